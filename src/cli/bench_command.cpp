#include "cli/bench_command.h"

#include "bench/chat_bench.h"
#include "bench/chat_bench_report.h"
#include "bench/whep_bench.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace throng::cli {

BenchCommand::BenchCommand(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Load generators against a server on loopback");
  bench->require_subcommand(1);
  chat_ = bench->add_subcommand(
      "chat",
      "XMPP clients join one MUC room at an arrival rate, then talkers send timestamped "
      "messages: join and delivery latency, loss, server and tool CPU");
  auto& o = options_;
  auto* c = chat_;
  c->add_option("--host", o.host, "Server IPv4 address in 127.0.0.0/8 (no name lookup)")
      ->capture_default_str();
  c->add_option("--port", o.port, "XMPP TCP port, or the HTTP port with --transport websocket")
      ->capture_default_str();
  c->add_option("--transport", transport_, "tcp (RFC 6120) or websocket (RFC 7395)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tcp", "websocket"}));
  c->add_option("--ws-path", o.ws_path, "WebSocket endpoint path")->capture_default_str();
  c->add_option("--domain", o.domain, "Account domain (with --accounts)")->capture_default_str();
  c->add_option("--anon-domain", o.anon_domain, "SASL ANONYMOUS domain")->capture_default_str();
  c->add_option("--muc-domain", o.muc_domain, "MUC service")->capture_default_str();
  c->add_option("--room", o.room, "Room name (local part)")->capture_default_str();
  c->add_option("--nick-prefix", o.nick_prefix, "Nicknames are this prefix + client index")
      ->capture_default_str();
  c->add_option("--accounts", o.account_prefix,
                "SASL PLAIN as PREFIX<index>@domain instead of ANONYMOUS");
  c->add_option("--password", o.password, "Password of every account (with --accounts)");
  c->add_option("--clients", o.clients, "Number of clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  c->add_option("--join-rate", o.join_rate, "Client starts per second")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1'000'000.0));
  c->add_option("--join-timeout", join_timeout_s_, "Seconds the join phase may last")
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400));
  c->add_option("--history", o.history, "<history maxstanzas/> asked for on join")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  c->add_option("--talkers", o.talkers, "Joined clients that send messages")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000'000));
  c->add_flag("--no-store", o.no_store,
              "Talkers' messages carry <no-store/> (XEP-0334): the server does not archive them");
  c->add_option("--message-rate", o.message_rate, "Messages per second, all talkers together")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1'000'000.0));
  c->add_option("--duration", duration_s_, "Seconds of talking")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86'400.0));
  c->add_option("--drain", drain_s_, "Seconds to wait for the last deliveries after talking")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  c->add_option("--settle-ms", settle_ms_, "Idle pause between the join and talk phases")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  c->add_option("--threads", o.threads, "Client threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  c->add_option("--source-addresses", o.source_addresses,
                "Spread clients over 127.0.0.1, .2, ... (0: one per 20,000 clients)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65'000));
  c->add_option("--server-pid", o.server_pid, "Sample this process's CPU and RSS (/proc)")
      ->check(CLI::Range(1, 1 << 30));
  c->add_option("--sample-interval-ms", sample_interval_ms_, "Sampling period")
      ->capture_default_str()
      ->check(CLI::Range(10, 60'000));
  c->add_flag("--json", json_, "Print one JSON object instead of the summary");
  c->add_option("--json-file", json_file_, "Also write the JSON object to this file");
  c->add_flag("--progress", progress_, "Live progress line on stderr (default: if a terminal)");
  c->add_flag("--no-progress", no_progress_, "No progress line");
  addWhep(*bench);
}

void BenchCommand::addWhep(CLI::App& bench) {
  whep_ = bench.add_subcommand(
      "whep",
      "WebRTC viewer bots (WHEP, ICE, DTLS, SRTP) arrive at a rate and watch an event: setup "
      "times against the audience size, loss, server and tool CPU");
  auto& o = whep_options_;
  auto* w = whep_;
  w->add_option("--host", o.host, "Server IPv4 address in 127.0.0.0/8")->capture_default_str();
  w->add_option("--port", o.http_port, "Server HTTP port (WHEP)")->capture_default_str();
  w->add_option("--event", o.event, "Event slug: POST /whep/<event>")->capture_default_str();
  w->add_option("--viewers", o.viewers, "Number of viewer bots")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  w->add_option("--rate", o.rate, "Arrivals per second")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 100'000.0));
  w->add_option("--watch", whep_watch_s_, "Seconds every bot keeps watching after the last arrives")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  w->add_option("--threads", o.threads, "Bot threads")->capture_default_str()->check(CLI::Range(1, 64));
  w->add_option("--decrypt-every", o.decrypt_every,
                "Verify (SRTP-decrypt) one packet in this many after the first keyframe")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  w->add_option("--codec", o.codec, "Video codec offered: VP8 or H264")
      ->capture_default_str()
      ->check(CLI::IsMember({"VP8", "H264"}));
  w->add_option("--source-addresses", o.source_addresses,
                "Spread bots over 127.0.0.2, .3, ... (0: one per 5,000 bots)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65'000));
  w->add_flag("!--no-gro", o.gro,
             "Bots read one datagram per read instead of coalesced runs (UDP_GRO)");
  w->add_option("--server-pid", o.server_pid, "Sample this process's CPU and RSS (/proc)")
      ->check(CLI::Range(1, 1 << 30));
  w->add_flag("--json", json_, "Print one JSON object instead of the summary");
  w->add_option("--json-file", json_file_, "Also write the JSON object to this file");
  w->add_flag("--no-progress", no_progress_, "No progress line");
}

bool BenchCommand::parsed() const { return chat_->parsed() || whep_->parsed(); }

int BenchCommand::run() { return whep_->parsed() ? runWhep() : runChat(); }

int BenchCommand::runWhep() {
  whep_options_.watch = std::chrono::milliseconds(static_cast<std::int64_t>(whep_watch_s_ * 1000));
  const bool tty = isatty(STDERR_FILENO) == 1;
  bench::WhepProgressFn progress;
  if (!no_progress_) {
    progress = [tty](const std::string& line) {
      if (tty) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
      } else {
        std::fprintf(stderr, "%s\n", line.c_str());
      }
    };
  }
  auto report = bench::runWhepBench(whep_options_, progress);
  if (progress && tty) std::fputs("\n", stderr);
  if (!report) {
    std::fprintf(stderr, "throng bench whep: %s\n", report.error().message.c_str());
    return 1;
  }
  if (!json_file_.empty()) {
    std::ofstream out(json_file_);
    out << report->dump(1) << "\n";
  }
  if (json_) {
    std::printf("%s\n", report->dump().c_str());
  } else {
    std::fputs(bench::formatWhepBenchReport(*report).c_str(), stdout);
  }
  return (*report)["ok"].get<int>() == whep_options_.viewers ? 0 : 3;
}

int BenchCommand::runChat() {
  auto& o = options_;
  o.transport = transport_ == "websocket" ? bench::ChatTransport::kWebSocket
                                          : bench::ChatTransport::kTcp;
  o.join_timeout = std::chrono::seconds(join_timeout_s_);
  o.duration = std::chrono::milliseconds(static_cast<std::int64_t>(duration_s_ * 1000));
  o.drain = std::chrono::seconds(drain_s_);
  o.settle = std::chrono::milliseconds(settle_ms_);
  o.sample_interval = std::chrono::milliseconds(sample_interval_ms_);
  const bool tty = isatty(STDERR_FILENO) == 1;
  o.progress = !no_progress_ && (progress_ || tty);

  bench::ProgressFn progress;
  if (o.progress) {
    // On a terminal the line is redrawn in place; in a log, one line a second at most.
    progress = [tty, last = std::chrono::steady_clock::time_point{}](
                   const std::string& line) mutable {
      if (tty) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::seconds(1)) return;
      last = now;
      std::fprintf(stderr, "%s\n", line.c_str());
    };
  }
  auto report = bench::runChatBench(o, progress);
  if (o.progress && tty) std::fputs("\n", stderr);
  if (!report) {
    std::fprintf(stderr, "throng bench chat: %s\n", report.error().message.c_str());
    return 1;
  }
  const auto json = bench::chatBenchReportJson(o, *report);
  if (!json_file_.empty()) {
    std::ofstream out(json_file_);
    out << json.dump(1) << "\n";
    if (!out) {
      std::fprintf(stderr, "throng bench chat: cannot write %s\n", json_file_.c_str());
      return 1;
    }
  }
  if (json_) {
    std::printf("%s\n", json.dump().c_str());
  } else {
    std::fputs(bench::formatChatBenchReport(o, *report).c_str(), stdout);
  }
  const bool clean = report->failed == 0 && report->lost == 0 && report->dropped_after_join == 0;
  return clean ? 0 : 3;
}

}  // namespace throng::cli
