// `throng loadtest`: load generators against a running server (src/bench).
//
//   throng loadtest chat-joins [--host 127.0.0.1] [--port 5222] [--anon-domain anon.localhost]
//       [--muc-domain rooms.localhost] [--room demo] [--clients 2000] [--rate 200]
//       [--timeout 120] [--messages 0] [--threads 2] [--json]
//
// Prints a human-readable summary, or one JSON object with --json (for bench/chat-joins.sh).
// Exit status: 0 when every client joined, 3 when some failed, 1 when the run could not start.
#pragma once

#include "bench/chat_join_storm.h"

namespace CLI {
class App;
}

namespace throng::cli {

class LoadtestCommand {
 public:
  // Registers `loadtest` and its subcommands on `app`, which keeps pointers into this object:
  // it must outlive app.parse().
  explicit LoadtestCommand(CLI::App& app);

  bool parsed() const;
  int run();

 private:
  CLI::App* chat_joins_ = nullptr;  // owned by the CLI::App passed to the constructor
  bench::ChatJoinOptions chat_joins_options_;
  int timeout_s_ = 120;
  bool json_ = false;
};

}  // namespace throng::cli
