// `throng bench`: load generators against a running server (src/bench).
//
//   throng bench chat [--host 127.0.0.1] [--port 5222] [--transport tcp|websocket]
//       [--clients 1000] [--join-rate 200] [--talkers 0] [--message-rate 0] [--duration 0]
//       [--server-pid PID] [--json | --json-file FILE] ...   (`throng bench chat --help`)
//   throng bench whep [--port 8080] [--event demo] [--viewers 100] [--rate 100] [--watch 10]
//       [--server-pid PID] [--json] ...                       (`throng bench whep --help`)
//
// Prints a readable summary (a live progress line on stderr while it runs), or one JSON object
// with --json. Exit status: 0 when every client joined, none dropped and no message was lost;
// 3 when some did; 1 when the run could not start.
#pragma once

#include "bench/chat_bench_options.h"
#include "bench/whep_bench.h"

#include <string>

namespace CLI {
class App;
}

namespace throng::cli {

class BenchCommand {
 public:
  // Registers `bench` and its subcommands on `app`, which keeps pointers into this object: it
  // must outlive app.parse().
  explicit BenchCommand(CLI::App& app);

  bool parsed() const;
  int run();

 private:
  int runChat();
  int runWhep();
  void addWhep(CLI::App& bench);

  CLI::App* whep_ = nullptr;  // owned by the CLI::App passed to the constructor
  bench::WhepBenchOptions whep_options_;
  double whep_watch_s_ = 10;

  CLI::App* chat_ = nullptr;  // owned by the CLI::App passed to the constructor
  bench::ChatBenchOptions options_;
  std::string transport_ = "tcp";
  int join_timeout_s_ = 60;
  double duration_s_ = 0;
  int drain_s_ = 10;
  int settle_ms_ = 500;
  int sample_interval_ms_ = 1000;
  bool json_ = false;
  std::string json_file_;
  bool progress_ = false;
  bool no_progress_ = false;
};

}  // namespace throng::cli
