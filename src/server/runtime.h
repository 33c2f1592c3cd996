// The composition root: builds every part from the configuration, starts them in order,
// and drains them on SIGTERM/SIGINT. Features meet here and nowhere else (design.md §8).
//
// Threads: the caller's thread runs signals and the drain sequence; N data-plane workers;
// one control-plane thread; one storage thread.
#pragma once

#include "server/config.h"

#include <filesystem>
#include <memory>
#include <stdexcept>

namespace throng::server {

// A failure to start (a port in use, an unreadable certificate): the message names the
// configuration key at fault when there is one.
class StartupError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

class Runtime {
 public:
  Runtime(Config config, Mode mode, std::filesystem::path ready_file);
  ~Runtime();

  // Opens storage and every listener, starts the threads, writes the ready file. Throws
  // StartupError.
  void start();
  // Blocks until a signal has drained the server; returns the exit status (0 after a drain).
  int waitForShutdown();

 private:
  void ensureDemoEvent();
  void restoreMetricsHistory();
  void openEventRooms();

  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace throng::server
