#include "cli/loadtest_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace throng::cli {

LoadtestCommand::LoadtestCommand(CLI::App& app) {
  auto* loadtest = app.add_subcommand("loadtest", "Load generators against a running server");
  loadtest->require_subcommand(1);
  chat_joins_ = loadtest->add_subcommand(
      "chat-joins", "XMPP clients join one MUC room at a fixed rate; join latency and traffic");
  auto& o = chat_joins_options_;
  auto* c = chat_joins_;
  c->add_option("--host", o.host, "Server IP address (no name lookup)")->capture_default_str();
  c->add_option("--port", o.port, "XMPP TCP port")->capture_default_str();
  c->add_option("--anon-domain", o.anon_domain, "Anonymous (SASL ANONYMOUS) domain")
      ->capture_default_str();
  c->add_option("--muc-domain", o.muc_domain, "MUC service domain")->capture_default_str();
  c->add_option("--room", o.room, "Room name (local part)")->capture_default_str();
  c->add_option("--nick-prefix", o.nick_prefix, "Nicknames are this prefix + client index")
      ->capture_default_str();
  c->add_option("--clients", o.clients, "Number of clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  c->add_option("--rate", o.rate, "Client starts per second")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1'000'000.0));
  c->add_option("--timeout", timeout_s_, "Seconds the join phase may last")
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400));
  c->add_option("--messages", o.messages, "Groupchat messages per client once all have joined")
      ->capture_default_str()
      ->check(CLI::Range(0, 10'000));
  c->add_option("--history", o.history, "<history maxstanzas/> asked for on join")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  c->add_option("--threads", o.threads, "Client threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  c->add_flag("--json", json_, "Print one JSON object");
}

bool LoadtestCommand::parsed() const { return chat_joins_->parsed(); }

int LoadtestCommand::run() {
  chat_joins_options_.timeout = std::chrono::seconds(timeout_s_);
  auto report = bench::runChatJoinStorm(chat_joins_options_);
  if (!report) {
    std::fprintf(stderr, "throng loadtest chat-joins: %s\n", report.error().message.c_str());
    return 1;
  }
  if (json_) {
    std::printf("%s\n", bench::reportJson(chat_joins_options_, *report).dump().c_str());
  } else {
    std::fputs(bench::formatReport(chat_joins_options_, *report).c_str(), stdout);
  }
  return report->failed == 0 ? 0 : 3;
}

}  // namespace throng::cli
