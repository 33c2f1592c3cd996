// `throng user`: chat account management from the command line, run against the database while
// the server is up or down (SQLite WAL lets both write; a running server picks up changes when
// it next loads the account).
//
//   throng user add NAME     [--password-stdin] [--data-dir DIR] [--config FILE]
//   throng user passwd NAME  [--password-stdin] [--data-dir DIR] [--config FILE]
//   throng user del NAME     [--data-dir DIR] [--config FILE]
//   throng user list         [--data-dir DIR] [--config FILE]
//
// Passwords come from stdin's first line (--password-stdin) or are asked twice on the terminal
// with echo off, and are stored only as SCRAM-SHA-1 and SCRAM-SHA-256 credentials. Nothing
// secret is ever printed. Exit status: 0 on success, 1 with a message on stderr otherwise.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace throng::cli {

class UserCommand {
 public:
  // Registers `user` and its subcommands on `app`, which keeps pointers into this object: it
  // must outlive app.parse().
  explicit UserCommand(CLI::App& app);

  // True when the command line chose `throng user ...`.
  bool parsed() const;
  // Runs the chosen subcommand (after parsing); returns the exit status.
  int run();

 private:
  enum class Action { kAdd, kPasswd, kDel, kList };

  CLI::App* user_ = nullptr;  // owned by the CLI::App passed to the constructor
  CLI::App* add_ = nullptr;
  CLI::App* passwd_ = nullptr;
  CLI::App* del_ = nullptr;
  CLI::App* list_ = nullptr;

  std::string name_;
  std::string data_dir_ = "./throng-data";  // server.data_dir's default
  std::string config_file_;
  bool password_stdin_ = false;
};

}  // namespace throng::cli
