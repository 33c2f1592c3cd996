// `throng bench chat`: a join storm and a fan-out run against any XMPP server on loopback.
//
// Phases, each bounded in time (chatBenchTimeBound):
//   1. join:   `clients` clients start at `join_rate` per second (a pacing timer per thread),
//              each connects, logs in, binds and joins the room; the phase ends when all have
//              joined or failed, or at `join_timeout`.
//   2. settle: a short idle pause.
//   3. talk:   `talkers` of the joined clients send `message_rate` messages per second in all
//              for `duration` (TalkerSchedule); every joined client, talkers included (XEP-0045
//              §7.4 reflects a message to its sender), is a receiver. Each body carries the send
//              time, so receivers measure delivery latency.
//   4. drain:  until every receiver has every message, or `drain` passes.
//   5. close:  every stream ends (RFC 6120 §4.4); sockets still open after 5 s are cut.
// Lost messages = receivers × messages sent − messages received.
//
// Threading: `threads` Asio threads (Shard), client i on thread i % threads for its whole life;
// the calling thread coordinates the phases, samples /proc and prints the progress line.
#pragma once

#include "base/result.h"
#include "bench/chat_bench_options.h"
#include "bench/process_sampler.h"
#include "bench/summary.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace throng::bench {

struct LatencySummary {
  std::uint64_t count = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

// CPU and memory of one process over the run (the server's, or the tool's own).
struct ProcessUsage {
  double cpu_s_join = 0;   // CPU seconds during the join phase
  double cpu_s_talk = 0;   // during talk + drain
  double cpu_s_total = 0;  // from the first start to the end of the close phase
  double cpu_pct_join = 0;  // mean over the phase (100 = one core)
  double cpu_pct_talk = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::vector<ProcessSample> timeline;
};

struct ChatBenchReport {
  // Joins.
  int clients = 0;
  int joined = 0;
  int failed = 0;
  std::map<std::string, int> failures;  // reason → clients
  Summary connect_to_joined_ms;         // connect started → self-presence (status 110)
  Summary join_ms;                      // join presence sent → self-presence
  double join_phase_s = 0;              // first start → last client joined or failed

  // Fan-out.
  int talkers = 0;
  int receivers = 0;                  // joined and connected when the talk phase began
  std::uint64_t messages_sent = 0;
  std::uint64_t expected_deliveries = 0;  // receivers × messages sent
  std::uint64_t deliveries = 0;           // talker messages received by receivers
  std::uint64_t lost = 0;                 // expected − received, summed over receivers
  LatencySummary delivery_ms;             // body's send time → received
  double talk_phase_s = 0;                // first send → every delivery in, or the drain ended
  double deliveries_per_s = 0;

  // Streams.
  int dropped_after_join = 0;
  std::map<std::string, int> drops;  // reason → clients
  int closed_cleanly = 0;

  // Traffic received by the clients.
  std::uint64_t stanzas_received = 0;
  std::uint64_t stanzas_received_join_phase = 0;
  std::uint64_t presences_received = 0;
  std::uint64_t bytes_received = 0;
  Summary bytes_per_client;

  // Processes.
  std::optional<ProcessUsage> server;  // when options.server_pid was given and readable
  ProcessUsage tool;
  double server_cpu_s_per_1000_deliveries = 0;  // talk + drain CPU / deliveries × 1000
  double client_loop_lag_max_ms = 0;  // how late the tool's timers fired: high = the tool, not
                                      // the server, was the bottleneck
  double wall_s = 0;
};

// Called on the coordinating thread about every 250 ms with a one-line status.
using ProgressFn = std::function<void(const std::string& line)>;

// Runs the benchmark. Blocks until every client is closed, within chatBenchTimeBound(options).
// An Error for options it cannot run (validateChatBenchOptions, fd limit too low).
Result<ChatBenchReport> runChatBench(const ChatBenchOptions& options,
                                     const ProgressFn& progress = {});

}  // namespace throng::bench
