// Starts the real `throng` binary for a test: writes a TOML config on loopback with
// ephemeral ports, waits for the ready file, and stops the process at the end.
#pragma once

#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace throng::testing {

class ServerProcess {
 public:
  struct Options {
    std::string mode = "serve";
    int workers = 2;
    std::map<std::string, std::string> extra_toml;  // "table.key" -> TOML value literal
    std::vector<std::string> extra_args;
    std::optional<std::filesystem::path> data_dir;  // default: a fresh temporary directory
  };

  ServerProcess();
  explicit ServerProcess(Options options);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits (bounded) for its ready file. Fails the test on error.
  void start();
  // Starts and waits for the process to exit on its own (a refused config); returns its exit
  // status and fills `stderr_text`.
  int runExpectingExit(std::string& stderr_text, std::chrono::seconds limit = std::chrono::seconds(20));

  // Sends `signo`; waitExit() returns the exit status (or 128 + signal if killed).
  void signal(int signo);
  int waitExit(std::chrono::milliseconds limit = std::chrono::milliseconds(20000));
  bool running() const { return pid_ > 0; }

  const nlohmann::json& ready() const { return ready_; }
  std::uint16_t httpPort() const { return ready_["http"]["port"].get<std::uint16_t>(); }
  std::uint16_t controlPort() const { return ready_["control"]["port"].get<std::uint16_t>(); }
  std::string adminToken() const;
  const std::filesystem::path& dataDir() const { return data_dir_; }
  std::string logText() const;  // stdout + stderr so far

 private:
  void writeConfig();
  void spawn();

  Options options_;
  TempDir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path config_path_;
  std::filesystem::path ready_path_;
  std::filesystem::path log_path_;
  nlohmann::json ready_;
  int pid_ = -1;
};

// The path of the built throng binary (set by the build).
std::string throngBinary();

}  // namespace throng::testing
