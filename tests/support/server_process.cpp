#include "support/server_process.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace throng::testing {

std::string throngBinary() { return THRONG_BINARY; }

ServerProcess::ServerProcess() : ServerProcess(Options{}) {}

ServerProcess::ServerProcess(Options options) : options_(std::move(options)) {
  data_dir_ = options_.data_dir.value_or(dir_ / "data");
  config_path_ = dir_ / "throng.toml";
  ready_path_ = dir_ / "ready.json";
  log_path_ = dir_ / "server.log";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void ServerProcess::writeConfig() {
  // Loopback only, ephemeral ports: tests never use the machine's other interfaces.
  std::map<std::string, std::map<std::string, std::string>> tables;
  tables["server"]["workers"] = std::to_string(options_.workers);
  tables["server"]["data_dir"] = "\"" + data_dir_.string() + "\"";
  tables["server"]["drain_timeout_ms"] = "5000";
  tables["http"]["bind"] = "\"127.0.0.1\"";
  tables["http"]["port"] = "0";
  tables["control"]["bind"] = "\"127.0.0.1\"";
  tables["control"]["port"] = "0";
  tables["xmpp"]["tcp_bind"] = "\"127.0.0.1\"";
  tables["xmpp"]["tcp_port"] = "0";
  tables["webrtc"]["bind"] = "\"127.0.0.1\"";
  tables["webrtc"]["port"] = "0";
  tables["log"]["level"] = "\"info\"";
  for (const auto& [key, value] : options_.extra_toml) {
    const auto dot = key.find('.');
    tables[key.substr(0, dot)][key.substr(dot + 1)] = value;
  }
  std::ofstream out(config_path_);
  for (const auto& [table, keys] : tables) {
    out << "[" << table << "]\n";
    for (const auto& [k, v] : keys) out << k << " = " << v << "\n";
  }
}

void ServerProcess::spawn() {
  writeConfig();
  std::vector<std::string> args = {throngBinary(), options_.mode, "--config",
                                   config_path_.string(), "--ready-file", ready_path_.string()};
  for (const auto& a : options_.extra_args) args.push_back(a);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ASSERT_EQ(rc, 0) << "cannot start " << argv[0];
  pid_ = pid;
}

void ServerProcess::start() {
  std::filesystem::remove(ready_path_);
  spawn();
  // Bounded wait for the ready file (the server writes it atomically once bound).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::ifstream in(ready_path_); in) {
      ready_ = nlohmann::json::parse(in, nullptr, false);
      if (!ready_.is_discarded()) return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "throng exited before it was ready:\n" << logText();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "throng was not ready within 30 s:\n" << logText();
}

int ServerProcess::runExpectingExit(std::string& stderr_text, std::chrono::seconds limit) {
  spawn();
  const int status = waitExit(limit);
  stderr_text = logText();
  return status;
}

void ServerProcess::signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

int ServerProcess::waitExit(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << "throng did not exit within " << limit.count() << " ms";
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

std::string ServerProcess::adminToken() const {
  std::ifstream in(ready_["admin_token_file"].get<std::string>());
  std::string token;
  std::getline(in, token);
  return token;
}

std::string ServerProcess::logText() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace throng::testing
