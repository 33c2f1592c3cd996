#include "cli/user_command.h"

#include "chat/sasl/scram.h"
#include "server/config.h"
#include "store/accounts.h"
#include "store/storage.h"

#include <openssl/crypto.h>
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace throng::cli {
namespace {

namespace fs = std::filesystem;
namespace sasl = chat::sasl;

// A password must fit, with the names, in one PLAIN message (sasl::kMaxClientMessageBytes);
// 1024 bytes is far beyond any typed or generated password.
constexpr std::size_t kMaxPasswordBytes = 1024;

// A failure to report: the message goes to stderr and the exit status is 1.
struct Failure {
  std::string message;
};

// Holds a password and wipes it when done, so it does not linger in freed memory.
class Secret {
 public:
  // Reserved up front so that reading never reallocates (and leaves a copy behind).
  Secret() { text_.reserve(kMaxPasswordBytes + 2); }
  ~Secret() { OPENSSL_cleanse(text_.data(), text_.size()); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  std::string& text() { return text_; }

 private:
  std::string text_;
};

// Reads one line (without its "\n" or "\r\n") from `fd`, byte by byte so that nothing after the
// first line is consumed. False on a read error or when the line exceeds kMaxPasswordBytes.
bool readLine(int fd, std::string& line) {
  line.clear();
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0 || c == '\n') break;
    if (line.size() > kMaxPasswordBytes) return false;
    line.push_back(c);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

// Echo off on the terminal for this object's life.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // still move to the next line on Enter
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

void writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<Failure> checkPassword(const std::string& password) {
  if (password.empty()) return Failure{"the password must not be empty"};
  if (password.size() > kMaxPasswordBytes) {
    return Failure{"the password must be at most 1024 bytes"};
  }
  if (!sasl::preparePassword(password)) {
    return Failure{"the password must be UTF-8 text without control characters"};
  }
  return std::nullopt;
}

// The new password, from stdin's first line or asked twice on the controlling terminal.
std::optional<Failure> readPassword(bool from_stdin, const std::string& name, Secret& out) {
  if (from_stdin) {
    if (!readLine(STDIN_FILENO, out.text())) {
      return Failure{"cannot read the password from stdin (or it is over 1024 bytes)"};
    }
    return checkPassword(out.text());
  }
  // /dev/tty rather than stdin/stdout: the prompt reaches the user even when output is piped.
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) {
    return Failure{"no terminal to ask for the password on; use --password-stdin"};
  }
  std::optional<Failure> failure;
  {
    EchoOff quiet(tty);
    Secret again;
    writeAll(tty, "Password for " + name + ": ");
    if (!readLine(tty, out.text())) {
      failure = Failure{"cannot read the password"};
    } else if (auto bad = checkPassword(out.text())) {
      failure = std::move(bad);
    } else {
      writeAll(tty, "Repeat the password: ");
      if (!readLine(tty, again.text()) || again.text() != out.text()) {
        failure = Failure{"the passwords do not match"};
      }
    }
  }
  ::close(tty);
  return failure;
}

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs `job` on the storage thread, waits for its commit and returns its result (or the
// batch's error).
template <class T>
Result<T> runJob(store::Storage& storage, std::function<Result<T>(store::Database&)> job) {
  std::optional<Result<T>> result;
  storage.submit(
      [&result, &job](store::Database& db) -> Status {
        result.emplace(job(db));
        if (!result->ok()) return result->error();
        return {};
      },
      [&result](Status status) {
        // Never ran (rejected), or ran but the commit failed: report the storage error.
        if (!status.ok() && (!result || result->ok())) result.emplace(status.error());
      });
  storage.flush();  // done() has returned once flush() does, so `result` is final
  return std::move(*result);
}

}  // namespace

UserCommand::UserCommand(CLI::App& app) {
  user_ = app.add_subcommand("user", "Manage chat accounts (stored as SCRAM credentials)");
  user_->require_subcommand(1);
  add_ = user_->add_subcommand("add", "Create an account");
  passwd_ = user_->add_subcommand("passwd", "Set an account's password");
  del_ = user_->add_subcommand("del", "Delete an account");
  list_ = user_->add_subcommand("list", "Print every account name, one a line");
  for (CLI::App* command : {add_, passwd_, del_, list_}) {
    if (command != list_) {
      command->add_option("NAME", name_, "Account name: 1..64 of a-z, 0-9, '.', '_', '-'")
          ->required();
    }
    command->add_option("--data-dir", data_dir_, "Data directory (as server.data_dir)")
        ->capture_default_str();
    command
        ->add_option("-c,--config", config_file_,
                     "TOML configuration file: use its server.data_dir and storage.path")
        ->check(CLI::ExistingFile);
    if (command == add_ || command == passwd_) {
      command->add_flag("--password-stdin", password_stdin_,
                        "Read the password from the first line of stdin instead of the terminal");
    }
  }
}

bool UserCommand::parsed() const {
  return user_->parsed();
}

int UserCommand::run() {
  CLI::App* const chosen = add_->parsed()      ? add_
                           : passwd_->parsed() ? passwd_
                           : del_->parsed()    ? del_
                                               : list_;
  const Action action = chosen == add_      ? Action::kAdd
                        : chosen == passwd_ ? Action::kPasswd
                        : chosen == del_    ? Action::kDel
                                            : Action::kList;
  const auto fail = [](const std::string& message) {
    std::fprintf(stderr, "throng user: %s\n", message.c_str());
    return 1;
  };

  if (action != Action::kList) {
    if (Status valid = store::validateUsername(name_); !valid) {
      return fail("invalid user name '" + name_ + "': " + valid.error().message);
    }
  }

  // Where the database is: --config's server.data_dir and storage.path (unless --data-dir is
  // also given), else --data-dir.
  store::StorageOptions options;
  fs::path data_dir = data_dir_;
  std::string storage_path;
  if (!config_file_.empty()) {
    try {
      const server::Config config = server::loadConfig(server::Mode::kServe, config_file_, {});
      if (chosen->count("--data-dir") == 0) data_dir = config.server.data_dir;
      storage_path = config.storage.path;
      options.synchronous = config.storage.synchronous;
    } catch (const server::ConfigError& e) {
      return fail(e.what());
    }
  }
  options.path = storage_path.empty() ? data_dir / "throng.db" : fs::path(storage_path);

  // Only `add` creates a database: a mistyped --data-dir should not leave an empty one behind.
  std::error_code ec;
  if (action == Action::kAdd) {
    fs::create_directories(
        options.path.parent_path().empty() ? fs::path(".") : options.path.parent_path(), ec);
    if (ec)
      return fail("cannot create " + options.path.parent_path().string() + ": " + ec.message());
  } else if (!fs::exists(options.path, ec)) {
    if (action == Action::kList) return 0;  // no database yet: no accounts
    return fail("user '" + name_ + "' does not exist (no database at " + options.path.string() +
                ")");
  }

  auto opened = store::Storage::open(options);
  if (!opened) return fail(opened.error().message);
  std::unique_ptr<store::Storage> storage = std::move(opened).value();
  storage->start();

  const std::string name = name_;
  int status = 0;
  switch (action) {
    case Action::kList: {
      auto names = runJob<std::vector<std::string>>(
          *storage, [](store::Database& db) { return store::listAccounts(db); });
      if (!names) {
        status = fail(names.error().message);
        break;
      }
      for (const std::string& n : *names) std::printf("%s\n", n.c_str());
      break;
    }
    case Action::kDel: {
      auto deleted = runJob<bool>(
          *storage, [&name](store::Database& db) { return store::deleteAccount(db, name); });
      if (!deleted) {
        status = fail(deleted.error().message);
      } else if (!*deleted) {
        status = fail("user '" + name + "' does not exist");
      } else {
        std::printf("user %s deleted\n", name.c_str());
      }
      break;
    }
    case Action::kAdd:
    case Action::kPasswd: {
      // Check the name first, so nobody types a password for nothing.
      auto found = runJob<std::optional<store::AccountRecord>>(
          *storage, [&name](store::Database& db) { return store::findAccount(db, name); });
      if (!found) {
        status = fail(found.error().message);
        break;
      }
      if (action == Action::kAdd && found->has_value()) {
        status = fail("user '" + name + "' already exists");
        break;
      }
      if (action == Action::kPasswd && !found->has_value()) {
        status = fail("user '" + name + "' does not exist");
        break;
      }
      Secret password;
      if (auto bad = readPassword(password_stdin_, name, password)) {
        status = fail(bad->message);
        break;
      }
      store::AccountRecord record;
      record.username = name;
      record.scram_sha1 =
          sasl::newScramCredentials(sasl::ScramHash::kSha1, password.text()).serialize();
      record.scram_sha256 =
          sasl::newScramCredentials(sasl::ScramHash::kSha256, password.text()).serialize();
      record.created_at_ms = nowMs();
      if (action == Action::kAdd) {
        auto created = runJob<bool>(
            *storage, [&record](store::Database& db) { return store::createAccount(db, record); });
        if (!created) {
          status = fail(created.error().message);
        } else if (!*created) {
          status = fail("user '" + name + "' already exists");
        } else {
          std::printf("user %s added\n", name.c_str());
        }
      } else {
        auto updated = runJob<bool>(*storage, [&record](store::Database& db) {
          return store::updateAccountCredentials(db, record.username, record.scram_sha1,
                                                 record.scram_sha256);
        });
        if (!updated) {
          status = fail(updated.error().message);
        } else if (!*updated) {
          status = fail("user '" + name + "' does not exist");
        } else {
          std::printf("password of %s changed\n", name.c_str());
        }
      }
      break;
    }
  }
  storage->stop();
  return status;
}

}  // namespace throng::cli
