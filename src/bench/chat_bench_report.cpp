#include "bench/chat_bench_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace throng::bench {
namespace {

// A tool thread busier than this share of a core probably limited the run.
constexpr double kToolBusyPercentPerThread = 85;
// Timers firing this late mean the tool's own loop, not the server, added latency.
constexpr double kToolLagWarnMs = 50;

std::string megabytes(std::uint64_t bytes) {
  return fmt::format("{:.0f} MB", static_cast<double>(bytes) / 1e6);
}

std::string count(std::uint64_t n) {
  if (n >= 10'000'000) return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

nlohmann::json summaryJson(const Summary& s) {
  return nlohmann::json{{"count", s.count}, {"min", s.min}, {"mean", s.mean}, {"p50", s.p50},
                        {"p90", s.p90},     {"p95", s.p95}, {"p99", s.p99}, {"max", s.max}};
}

nlohmann::json latencyJson(const LatencySummary& s) {
  return nlohmann::json{{"count", s.count}, {"mean", s.mean}, {"p50", s.p50},
                        {"p90", s.p90},     {"p99", s.p99},   {"max", s.max}};
}

nlohmann::json usageJson(const ProcessUsage& u) {
  auto timeline = nlohmann::json::array();
  for (const auto& s : u.timeline) {
    timeline.push_back({{"t_s", s.t_s}, {"cpu_s", s.cpu_s}, {"cpu_pct", s.cpu_pct},
                        {"rss_bytes", s.rss_bytes}});
  }
  return nlohmann::json{{"cpu_s_join", u.cpu_s_join},     {"cpu_s_talk", u.cpu_s_talk},
                        {"cpu_s_total", u.cpu_s_total},   {"cpu_pct_join", u.cpu_pct_join},
                        {"cpu_pct_talk", u.cpu_pct_talk}, {"peak_rss_bytes", u.peak_rss_bytes},
                        {"timeline", timeline}};
}

}  // namespace

std::string formatProgressLine(std::string_view phase, const LiveTotals& t, int clients,
                               const std::optional<ProcessSample>& server,
                               const std::optional<ProcessSample>& tool) {
  auto line = fmt::format("[{}] joined {}/{} failed {} dropped {} | sent {} delivered {}", phase,
                          t.joined, clients, t.failed, t.dropped, t.sent, count(t.delivered));
  if (server) {
    line += fmt::format(" | server {:.0f}% {}", server->cpu_pct, megabytes(server->rss_bytes));
  }
  if (tool) line += fmt::format(" | tool {:.0f}%", tool->cpu_pct);
  return line;
}

std::string formatChatBenchReport(const ChatBenchOptions& o, const ChatBenchReport& r) {
  const double n = r.clients > 0 ? r.clients : 1;
  std::string out = fmt::format(
      "chat bench: {} clients at {}/s over {} to {}:{}, room {}@{}, {} ({} thread(s))\n",
      r.clients, o.join_rate, o.transport == ChatTransport::kWebSocket ? "WebSocket" : "TCP",
      o.host, o.port, o.room, o.muc_domain,
      o.account_prefix.empty() ? "SASL ANONYMOUS" : "SASL PLAIN", o.threads);
  out += fmt::format("  joined / failed            {} / {} (join phase {:.2f} s)\n", r.joined,
                     r.failed, r.join_phase_s);
  const auto& c = r.connect_to_joined_ms;
  out += fmt::format(
      "  join latency (ms)          p50 {:.1f}  p95 {:.1f}  p99 {:.1f}  max {:.1f}  "
      "(connect -> self-presence 110)\n",
      c.p50, c.p95, c.p99, c.max);
  for (const auto& [reason, k] : r.failures) {
    out += fmt::format("  failed join: {} x {}\n", k, reason);
  }
  if (r.messages_sent > 0 || r.talkers > 0) {
    const auto& d = r.delivery_ms;
    out += fmt::format(
        "  talk                       {} talkers, {} messages to {} receivers in {:.2f} s\n",
        r.talkers, r.messages_sent, r.receivers, r.talk_phase_s);
    out += fmt::format("  deliveries                 {} of {} expected, lost {}; {:.0f}/s\n",
                       r.deliveries, r.expected_deliveries, r.lost, r.deliveries_per_s);
    out += fmt::format("  delivery latency (ms)      p50 {:.1f}  p99 {:.1f}  max {:.1f}\n", d.p50,
                       d.p99, d.max);
  }
  out += fmt::format(
      "  received per client        {:.0f} bytes mean, {:.0f} max; {:.1f} stanzas ({:.1f} "
      "presences)\n",
      r.bytes_per_client.mean, r.bytes_per_client.max, static_cast<double>(r.stanzas_received) / n,
      static_cast<double>(r.presences_received) / n);
  if (r.server) {
    const auto& s = *r.server;
    out += fmt::format(
        "  server (pid {})            CPU join {:.2f} s ({:.0f}%), talk {:.2f} s ({:.0f}%), "
        "total {:.2f} s; peak RSS {}\n",
        o.server_pid, s.cpu_s_join, s.cpu_pct_join, s.cpu_s_talk, s.cpu_pct_talk, s.cpu_s_total,
        megabytes(s.peak_rss_bytes));
    if (r.deliveries > 0) {
      out += fmt::format("  server CPU per 1000 deliveries  {:.4f} s\n",
                         r.server_cpu_s_per_1000_deliveries);
    }
  }
  const auto& t = r.tool;
  out += fmt::format(
      "  tool                       CPU join {:.2f} s ({:.0f}%), talk {:.2f} s ({:.0f}%); peak "
      "RSS {}; loop lag max {:.1f} ms\n",
      t.cpu_s_join, t.cpu_pct_join, t.cpu_s_talk, t.cpu_pct_talk, megabytes(t.peak_rss_bytes),
      r.client_loop_lag_max_ms);
  const double busy = kToolBusyPercentPerThread * o.threads;
  if (t.cpu_pct_join > busy || t.cpu_pct_talk > busy || r.client_loop_lag_max_ms > kToolLagWarnMs) {
    out += "  WARNING: the load tool was busy (CPU near its threads' capacity or loop lag): the "
           "latencies include its own delay\n";
  }
  out += fmt::format("  streams                    {} closed cleanly; {} dropped after join\n",
                     r.closed_cleanly, r.dropped_after_join);
  for (const auto& [reason, k] : r.drops) out += fmt::format("  dropped: {} x {}\n", k, reason);
  out += fmt::format("  wall time                  {:.2f} s\n", r.wall_s);
  return out;
}

nlohmann::json chatBenchReportJson(const ChatBenchOptions& o, const ChatBenchReport& r) {
  nlohmann::json j{
      {"options",
       {{"host", o.host},
        {"port", o.port},
        {"transport", o.transport == ChatTransport::kWebSocket ? "websocket" : "tcp"},
        {"domain", o.domain},
        {"anon_domain", o.anon_domain},
        {"muc_domain", o.muc_domain},
        {"room", o.room},
        {"sasl", o.account_prefix.empty() ? "ANONYMOUS" : "PLAIN"},
        {"clients", o.clients},
        {"join_rate", o.join_rate},
        {"join_timeout_s", o.join_timeout.count()},
        {"talkers", o.talkers},
        {"message_rate", o.message_rate},
        {"duration_s", static_cast<double>(o.duration.count()) / 1000.0},
        {"threads", o.threads},
        {"server_pid", o.server_pid}}},
      {"clients", r.clients},
      {"joined", r.joined},
      {"failed", r.failed},
      {"failures", r.failures},
      {"join_ms", summaryJson(r.connect_to_joined_ms)},
      {"join_presence_ms", summaryJson(r.join_ms)},
      {"join_phase_s", r.join_phase_s},
      {"talkers", r.talkers},
      {"receivers", r.receivers},
      {"messages_sent", r.messages_sent},
      {"expected_deliveries", r.expected_deliveries},
      {"deliveries", r.deliveries},
      {"lost", r.lost},
      {"delivery_ms", latencyJson(r.delivery_ms)},
      {"talk_phase_s", r.talk_phase_s},
      {"deliveries_per_s", r.deliveries_per_s},
      {"dropped_after_join", r.dropped_after_join},
      {"drops", r.drops},
      {"closed_cleanly", r.closed_cleanly},
      {"stanzas_received", r.stanzas_received},
      {"stanzas_received_join_phase", r.stanzas_received_join_phase},
      {"presences_received", r.presences_received},
      {"bytes_received", r.bytes_received},
      {"bytes_per_client", summaryJson(r.bytes_per_client)},
      {"tool", usageJson(r.tool)},
      {"client_loop_lag_max_ms", r.client_loop_lag_max_ms},
      {"wall_s", r.wall_s},
  };
  if (r.server) {
    j["server"] = usageJson(*r.server);
    j["server_cpu_s_per_1000_deliveries"] = r.server_cpu_s_per_1000_deliveries;
  }
  return j;
}

}  // namespace throng::bench
