#include "net/worker_pool.h"

#include <fmt/format.h>

#include <thread>

namespace throng::net {

WorkerPool::WorkerPool(int count) {
  if (count <= 0) count = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, fmt::format("throng-w{}", i)));
  }
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
  for (auto& w : workers_) w->start();
}

void WorkerPool::stop() {
  for (auto& w : workers_) w->stop();
}

std::vector<Worker*> WorkerPool::all() {
  std::vector<Worker*> out;
  for (auto& w : workers_) out.push_back(w.get());
  return out;
}

}  // namespace throng::net
