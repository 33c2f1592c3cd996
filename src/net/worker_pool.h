// WorkerPool: the N data-plane workers (default: one per core).
#pragma once

#include "net/worker.h"

#include <memory>
#include <vector>

namespace throng::net {

class WorkerPool {
 public:
  // `count` 0 means one worker per core.
  explicit WorkerPool(int count);
  ~WorkerPool();

  void start();
  void stop();

  int size() const { return static_cast<int>(workers_.size()); }
  Worker& at(int i) { return *workers_.at(static_cast<std::size_t>(i)); }
  std::vector<Worker*> all();

 private:
  std::vector<std::unique_ptr<Worker>> workers_;  // allocated by this
};

}  // namespace throng::net
