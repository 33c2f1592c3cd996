#include "bench/chat_bench.h"

#include "bench/chat_bench_report.h"
#include "bench/chat_client.h"
#include "bench/latency_histogram.h"
#include "bench/talker_schedule.h"
#include "net/rlimit.h"
#include "net/worker.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

namespace throng::bench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Descriptors kept back for the process itself (stdio, the workers' eventfds and epoll).
constexpr std::uint64_t kSpareFds = 64;
// Clients per source address: below the 28,231 ports of Linux's default ephemeral range
// (32768-60999), so every address has ports to spare.
constexpr int kClientsPerSourceAddress = 20'000;
// How long closing streams may take before the remaining sockets are cut.
constexpr auto kCloseGrace = 5s;
// The coordinator's polling step, and how often it calls the progress callback.
constexpr auto kPollStep = 20ms;
constexpr auto kProgressEvery = 250ms;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// One client thread and the clients that live on it. Clients are started by a pacing timer on
// this thread at their scheduled times (t0 + index / rate), so the global rate holds without
// any cross-thread hand-off.
class Shard {
 public:
  explicit Shard(int id) : worker_(id, fmt::format("bench-w{}", id)), pacer_(worker_.context()) {}

  ~Shard() {
    worker_.stop();  // no handler runs after this; then the clients (sockets) go
    clients_.clear();
  }

  void add(std::unique_ptr<ChatClient> client, Clock::time_point start_at,
           asio::ip::address_v4 source) {
    clients_.push_back(std::move(client));
    start_at_.push_back(start_at);
    sources_.push_back(source);
  }

  void start() {
    worker_.start();
    worker_.post([this] { pace(); });
  }

  // Runs `f(client)` for every client on this shard's thread and counts down `done`.
  template <class F>
  void forEach(F f, std::latch& done) {
    worker_.post([this, f, &done] {
      for (auto& client : clients_) f(*client);
      done.count_down();
    });
  }

  // The join phase is over: no more starts; clients that have not joined fail.
  void expire(std::latch& done) {
    worker_.post([this, &done] {
      stopped_ = true;
      pacer_.cancel();
      for (auto& client : clients_) client->expire();
      done.count_down();
    });
  }

  void stop() { worker_.stop(); }
  asio::io_context& context() { return worker_.context(); }
  ShardCounters& counters() { return counters_; }
  LatencyHistogram& latency() { return latency_; }
  std::chrono::microseconds maxLoopLag() const { return worker_.peekMaxLag(); }
  const std::vector<std::unique_ptr<ChatClient>>& clients() const { return clients_; }

 private:
  // Starts every client whose time has come, then sleeps until the next one's. Bounded: each
  // client is started once, and expire() ends it.
  void pace() {
    if (stopped_) return;
    const auto now = Clock::now();
    while (next_ < clients_.size() && start_at_[next_] <= now) {
      clients_[next_]->start(sources_[next_]);
      ++next_;
    }
    if (next_ == clients_.size()) return;
    pacer_.expires_at(start_at_[next_]);
    pacer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) pace();
    });
  }

  net::Worker worker_;
  asio::steady_timer pacer_;
  ShardCounters counters_;
  LatencyHistogram latency_;  // written on this shard's thread; read after it stopped
  std::vector<std::unique_ptr<ChatClient>> clients_;
  std::vector<Clock::time_point> start_at_;
  std::vector<asio::ip::address_v4> sources_;
  std::size_t next_ = 0;
  bool stopped_ = false;  // on the worker thread only
};

// The coordinator: waits for conditions while sampling the processes and reporting progress.
class Coordinator {
 public:
  Coordinator(const ChatBenchOptions& options, std::vector<std::unique_ptr<Shard>>& shards,
              const ProgressFn& progress)
      : options_(options), shards_(shards), progress_(progress), tool_(0) {
    if (options.server_pid > 0) {
      server_.emplace(options.server_pid);
      if (!server_->sample()) server_.reset();  // not readable: no server figures
    }
    tool_.sample();
  }

  LiveTotals totals() const {
    LiveTotals t;
    for (const auto& shard : shards_) {
      auto& c = shard->counters();
      t.connected += c.connected.load(std::memory_order_relaxed);
      t.joined += c.joined.load(std::memory_order_relaxed);
      t.failed += c.failed.load(std::memory_order_relaxed);
      t.dropped += c.dropped.load(std::memory_order_relaxed);
      t.sent += c.sent.load(std::memory_order_relaxed);
      t.delivered += c.delivered.load(std::memory_order_relaxed);
      t.closed += c.closed.load(std::memory_order_relaxed);
    }
    return t;
  }

  // Polls `done(totals)` until it holds (true) or `deadline` passes (false).
  template <class Pred>
  bool waitUntil(std::string_view phase, Pred done, Clock::time_point deadline) {
    for (;;) {
      const auto now = Clock::now();
      if (now >= next_sample_) {
        sampleNow();
        next_sample_ = now + options_.sample_interval;
      }
      const auto t = totals();
      if (progress_ && now >= next_progress_) {
        progress_(formatProgressLine(phase, t, options_.clients, last_server_, last_tool_));
        next_progress_ = now + kProgressEvery;
      }
      if (done(t)) return true;
      if (now >= deadline) return false;
      std::this_thread::sleep_for(std::min<Clock::duration>(kPollStep, deadline - now));
    }
  }

  // CPU seconds of the server (if sampled) and of the tool, read now.
  struct Mark {
    double server_cpu_s = 0;
    double tool_cpu_s = 0;
    Clock::time_point at;
  };
  Mark mark() {
    sampleNow();
    return Mark{last_server_ ? last_server_->cpu_s : 0, last_tool_ ? last_tool_->cpu_s : 0,
                Clock::now()};
  }

  std::optional<ProcessSampler>& server() { return server_; }
  ProcessSampler& tool() { return tool_; }

 private:
  void sampleNow() {
    if (server_) {
      if (auto s = server_->sample()) last_server_ = s;
    }
    if (auto s = tool_.sample()) last_tool_ = s;
  }

  const ChatBenchOptions& options_;
  std::vector<std::unique_ptr<Shard>>& shards_;
  const ProgressFn& progress_;
  std::optional<ProcessSampler> server_;
  ProcessSampler tool_;
  std::optional<ProcessSample> last_server_;
  std::optional<ProcessSample> last_tool_;
  Clock::time_point next_sample_{};
  Clock::time_point next_progress_{};
};

template <class F>
void onEveryShard(std::vector<std::unique_ptr<Shard>>& shards, F f) {
  std::latch done(static_cast<std::ptrdiff_t>(shards.size()));
  for (auto& shard : shards) shard->forEach(f, done);
  done.wait();
}

LatencySummary summarizeLatency(const LatencyHistogram& h) {
  return LatencySummary{h.count(),
                        h.meanMillis(),
                        h.percentileMillis(50),
                        h.percentileMillis(90),
                        h.percentileMillis(99),
                        h.maxMillis()};
}

}  // namespace

Result<ChatBenchReport> runChatBench(const ChatBenchOptions& options, const ProgressFn& progress) {
  auto address = validateChatBenchOptions(options);
  if (!address) return address.error();

  const auto fds = net::raiseFdLimit();
  if (fds.after < static_cast<std::uint64_t>(options.clients) + kSpareFds) {
    return makeError(fmt::format("RLIMIT_NOFILE is {} (hard {}): too low for {} clients",
                                 fds.after, fds.hard, options.clients));
  }

  ChatRunPlan plan;
  plan.options = &options;
  plan.target = asio::ip::tcp::endpoint(*address, options.port);
  plan.room_jid = options.room + "@" + options.muc_domain;
  plan.stream_to = options.account_prefix.empty() ? options.anon_domain : options.domain;

  const int sources = options.source_addresses > 0
                          ? options.source_addresses
                          : (options.clients + kClientsPerSourceAddress - 1) /
                                kClientsPerSourceAddress;
  const auto first_source = asio::ip::make_address_v4("127.0.0.1").to_uint();

  std::vector<std::unique_ptr<Shard>> shards;
  for (int s = 0; s < options.threads; ++s) shards.push_back(std::make_unique<Shard>(s));
  // 20 ms lets every thread arm its pacer before the first start is due.
  const auto t0 = Clock::now() + 20ms;
  const auto interval = std::chrono::duration<double>(1.0 / options.join_rate);
  for (int i = 0; i < options.clients; ++i) {
    auto& shard = *shards[static_cast<std::size_t>(i % options.threads)];
    const auto start_at = t0 + std::chrono::duration_cast<Clock::duration>(interval * i);
    const asio::ip::address_v4 source(first_source + static_cast<unsigned>(i % sources));
    shard.add(std::make_unique<ChatClient>(shard.context(), plan, shard.counters(),
                                           shard.latency(), i),
              start_at, source);
  }

  ChatBenchReport report;
  report.clients = options.clients;
  Coordinator coordinator(options, shards, progress);
  const auto m0 = coordinator.mark();

  // 1. Join phase.
  for (auto& shard : shards) shard->start();
  const auto all = static_cast<std::uint64_t>(options.clients);
  coordinator.waitUntil(
      "join", [all](const LiveTotals& t) { return t.joined + t.failed >= all; },
      t0 + options.join_timeout);
  {
    std::latch expired(static_cast<std::ptrdiff_t>(shards.size()));
    for (auto& shard : shards) shard->expire(expired);
    expired.wait();
  }
  report.join_phase_s = seconds(Clock::now() - t0);
  const auto m_join = coordinator.mark();

  // 2. Settle, 3. talk and 4. drain.
  std::atomic<int> receivers{0};
  onEveryShard(shards, [&receivers](ChatClient& c) {
    if (c.connectedAndJoined()) receivers.fetch_add(1, std::memory_order_relaxed);
  });
  report.receivers = receivers.load();
  const TalkerSchedule schedule(options.talkers, options.message_rate, options.duration);
  auto m_talk_start = m_join;
  auto m_talk_end = m_join;
  if (schedule.total() > 0 && report.receivers > 0) {
    coordinator.waitUntil("settle", [](const LiveTotals&) { return false; },
                          Clock::now() + options.settle);
    // The first `talkers` clients that are joined and connected talk.
    std::vector<std::pair<int, int>> talker_of;  // (shard, position) → talker index
    const auto phase_start = Clock::now() + 20ms;
    {
      std::atomic<int> next_talker{0};
      // Talkers are picked on each shard's thread; the index is shared so there are exactly
      // `talkers` of them over all shards.
      onEveryShard(shards, [&](ChatClient& c) {
        if (!c.connectedAndJoined()) return;
        const int t = next_talker.fetch_add(1, std::memory_order_relaxed);
        if (t < schedule.talkers()) c.startTalking(schedule, t, phase_start);
      });
      report.talkers = std::min(next_talker.load(), schedule.talkers());
    }
    m_talk_start = coordinator.mark();
    const auto receivers_n = static_cast<std::uint64_t>(report.receivers);
    const auto total = schedule.total();
    const auto send_end = phase_start + options.duration + 1s;  // a late timer's slack
    coordinator.waitUntil(
        "talk", [total](const LiveTotals& t) { return t.sent >= total; }, send_end);
    onEveryShard(shards, [](ChatClient& c) { c.stopTalking(); });
    const auto sent = coordinator.totals().sent;
    coordinator.waitUntil(
        "drain",
        [sent, receivers_n](const LiveTotals& t) { return t.delivered >= sent * receivers_n; },
        Clock::now() + options.drain);
    m_talk_end = coordinator.mark();
    report.talk_phase_s = seconds(m_talk_end.at - phase_start);
  }

  // 5. Close phase: every stream ends; sockets still open after the grace period are cut when
  // the workers stop.
  onEveryShard(shards, [](ChatClient& c) { c.close(); });
  coordinator.waitUntil(
      "close", [all](const LiveTotals& t) { return t.closed >= all; },
      Clock::now() + kCloseGrace);
  const auto m_end = coordinator.mark();
  for (auto& shard : shards) shard->stop();
  report.wall_s = seconds(Clock::now() - t0);

  // The workers have stopped: the clients can be read from this thread.
  std::vector<double> join_ms, connect_ms, bytes;
  LatencyHistogram latency;
  double max_lag_ms = 0;
  for (const auto& shard : shards) {
    max_lag_ms = std::max(max_lag_ms, static_cast<double>(shard->maxLoopLag().count()) / 1000.0);
    latency.merge(shard->latency());
    for (const auto& client : shard->clients()) {
      if (auto ms = client->connectToJoinedMillis()) {
        ++report.joined;
        connect_ms.push_back(*ms);
        join_ms.push_back(*client->joinMillis());
      } else {
        ++report.failed;
        ++report.failures[client->failure().empty() ? "unknown" : client->failure()];
      }
      if (client->droppedAfterJoin()) {
        ++report.dropped_after_join;
        ++report.drops[client->lossReason().empty() ? "unknown" : client->lossReason()];
      }
      if (client->closedCleanly()) ++report.closed_cleanly;
      report.messages_sent += client->sent();
      report.stanzas_received += client->stanzas();
      report.stanzas_received_join_phase += client->stanzasInJoinPhase();
      report.presences_received += client->presences();
      report.bytes_received += client->bytes();
      bytes.push_back(static_cast<double>(client->bytes()));
    }
  }
  // Loss: every receiver should have every message sent (each at most once: a receiver's count
  // above the total would be duplicates, which do not make up for losses elsewhere).
  for (const auto& shard : shards) {
    for (const auto& client : shard->clients()) {
      const auto got = std::min(client->delivered(), report.messages_sent);
      report.deliveries += got;
    }
  }
  report.expected_deliveries = report.messages_sent * static_cast<std::uint64_t>(report.receivers);
  report.lost = report.expected_deliveries > report.deliveries
                    ? report.expected_deliveries - report.deliveries
                    : 0;
  report.delivery_ms = summarizeLatency(latency);
  if (report.talk_phase_s > 0) {
    report.deliveries_per_s = static_cast<double>(report.deliveries) / report.talk_phase_s;
  }
  report.client_loop_lag_max_ms = max_lag_ms;
  report.connect_to_joined_ms = summarize(std::move(connect_ms));
  report.join_ms = summarize(std::move(join_ms));
  report.bytes_per_client = summarize(std::move(bytes));

  auto usage = [&](double Coordinator::Mark::*cpu, const ProcessSampler& sampler) {
    ProcessUsage u;
    u.cpu_s_join = m_join.*cpu - m0.*cpu;
    u.cpu_s_talk = m_talk_end.*cpu - m_talk_start.*cpu;
    u.cpu_s_total = m_end.*cpu - m0.*cpu;
    const double join_s = seconds(m_join.at - m0.at);
    const double talk_s = seconds(m_talk_end.at - m_talk_start.at);
    if (join_s > 0) u.cpu_pct_join = 100.0 * u.cpu_s_join / join_s;
    if (talk_s > 0) u.cpu_pct_talk = 100.0 * u.cpu_s_talk / talk_s;
    u.peak_rss_bytes = sampler.peakRssBytes();
    u.timeline = sampler.history();
    return u;
  };
  report.tool = usage(&Coordinator::Mark::tool_cpu_s, coordinator.tool());
  if (coordinator.server()) {
    report.server = usage(&Coordinator::Mark::server_cpu_s, *coordinator.server());
    if (report.deliveries > 0) {
      report.server_cpu_s_per_1000_deliveries =
          report.server->cpu_s_talk / static_cast<double>(report.deliveries) * 1000.0;
    }
  }
  return report;
}

}  // namespace throng::bench
