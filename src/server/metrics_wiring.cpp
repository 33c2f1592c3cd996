#include "server/metrics_wiring.h"

#include "rtc/rtc_service.h"

#include "control/process_stats.h"

#include <functional>
#include <limits>
#include <memory>
#include <string>

namespace throng::server {

namespace {

void writeHttpServer(PromWriter& out, const http::Server& server) {
  const std::string name = server.options().name;
  const auto& c = server.counters();
  out.family("throng_http_open_connections", "gauge", "Open HTTP and WebSocket connections.");
  out.sample("throng_http_open_connections", {{"server", name}},
             c.open_connections.load(std::memory_order_relaxed));
  out.family("throng_http_connections_accepted_total", "counter", "Connections accepted.");
  out.sample("throng_http_connections_accepted_total", {{"server", name}},
             c.accepted.load(std::memory_order_relaxed));
  out.family("throng_http_connections_rejected_total", "counter",
             "Connections refused with 503 because max_connections was reached.");
  out.sample("throng_http_connections_rejected_total", {{"server", name}},
             c.rejected_over_limit.load(std::memory_order_relaxed));
  out.family("throng_http_timeouts_total", "counter",
             "Connections closed because a request did not arrive in time.");
  out.sample("throng_http_timeouts_total", {{"server", name}},
             c.timed_out.load(std::memory_order_relaxed));
  out.family("throng_http_bad_requests_total", "counter", "Malformed or oversized requests.");
  out.sample("throng_http_bad_requests_total", {{"server", name}},
             c.bad_requests.load(std::memory_order_relaxed));
  out.family("throng_http_websocket_upgrades_total", "counter", "WebSocket upgrades accepted.");
  out.sample("throng_http_websocket_upgrades_total", {{"server", name}},
             c.websocket_upgrades.load(std::memory_order_relaxed));

  out.family("throng_http_requests_total", "counter", "HTTP responses by route and status.");
  server.router().forEachStats([&](const http::RouteStats& stats) {
    for (unsigned status : http::RouteStats::kStatuses) {
      if (auto n = stats.count(status); n > 0) {
        const std::string code = std::to_string(status);
        out.sample("throng_http_requests_total",
                   {{"server", name}, {"route", stats.label()}, {"status", code}}, n);
      }
    }
    if (auto n = stats.otherCount(); n > 0) {
      out.sample("throng_http_requests_total",
                 {{"server", name}, {"route", stats.label()}, {"status", "other"}}, n);
    }
  });
  out.family("throng_http_request_duration_seconds", "histogram",
             "Time from a request's header to its response written.");
  server.router().forEachStats([&](const http::RouteStats& stats) {
    if (stats.latency().snapshot().count == 0) return;
    out.histogram("throng_http_request_duration_seconds",
                  {{"server", name}, {"route", stats.label()}}, stats.latency());
  });
}

// One StreamCounters field summed over the shards: the per-worker copies exist so that
// increments never share a cache line; a scrape pays for the sum instead.
std::uint64_t sumOverShards(chat::ChatService& chat,
                            std::atomic<std::uint64_t> chat::StreamCounters::*field) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < chat.shardCount(); ++i) {
    total += (chat.shard(i).counters().*field).load(std::memory_order_relaxed);
  }
  return total;
}

// A history series that turns a monotonic total into a rate per second over the time since
// the previous sample (the control thread calls it once per sample).
std::function<double()> perSecond(std::function<std::uint64_t()> total) {
  struct State {
    std::uint64_t last = 0;
    std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
  };
  return [state = std::make_shared<State>(), total = std::move(total)] {
    const auto now = std::chrono::steady_clock::now();
    const std::uint64_t value = total();
    const double seconds = std::chrono::duration<double>(now - state->at).count();
    const double rate =
        seconds > 0 && value >= state->last ? static_cast<double>(value - state->last) / seconds
                                            : 0;
    state->last = value;
    state->at = now;
    return rate;
  };
}

std::uint64_t totalRequests(const http::Server& server) {
  std::uint64_t total = 0;
  server.router().forEachStats(
      [&](const http::RouteStats& stats) { total += stats.latency().snapshot().count; });
  return total;
}

}  // namespace

void wireMetrics(MetricsRegistry& registry, control::ControlPlane& control,
                 net::WorkerPool& workers, const http::Server& public_server,
                 const store::Storage& storage) {
  auto* pool = &workers;
  auto* store = &storage;
  auto* plane = &control;

  registry.addCollector([](PromWriter& out) {
    control::writeProcessMetrics(out, control::readProcessStats());
  });
  registry.addCollector([pool](PromWriter& out) {
    out.family("throng_worker_loop_lag_seconds", "gauge",
               "How late the worker's last 100 ms probe timer fired.");
    for (int i = 0; i < pool->size(); ++i) {
      out.sample("throng_worker_loop_lag_seconds", {{"worker", std::to_string(i)}},
                 static_cast<double>(pool->at(i).lastLag().count()) / 1e6);
    }
    out.family("throng_worker_loop_lag_max_seconds", "gauge",
               "Largest probe delay since the last metrics-history sample.");
    for (int i = 0; i < pool->size(); ++i) {
      out.sample("throng_worker_loop_lag_max_seconds", {{"worker", std::to_string(i)}},
                 static_cast<double>(pool->at(i).peekMaxLag().count()) / 1e6);
    }
    out.single("throng_workers", "gauge", "Data-plane worker threads.", pool->size());
  });
  registry.addCollector([&public_server, plane](PromWriter& out) {
    writeHttpServer(out, public_server);
    writeHttpServer(out, plane->server());
  });
  registry.addCollector([store](PromWriter& out) {
    const auto s = store->stats();
    out.single("throng_storage_jobs_committed_total", "counter", "Storage jobs committed.", s.jobs_committed);
    out.single("throng_storage_jobs_failed_total", "counter", "Storage jobs that failed.", s.jobs_failed);
    out.single("throng_storage_batches_committed_total", "counter", "Group commits (one transaction each).", s.batches_committed);
    out.single("throng_storage_queued_jobs", "gauge", "Jobs waiting for the storage thread.", s.queued_jobs);
    out.single("throng_storage_commit_latency_mean_seconds", "gauge", "Mean time from submitting a job to its commit.", s.meanCommitLatencyUs() / 1e6);
  });

  // History series, sampled on the control thread every metrics.sample_interval_ms.
  auto& history = control.history();
  auto cpu = std::make_shared<control::CpuPercent>();
  history.addSeries("cpu_percent", [cpu] {
    // The first reading has nothing to compare with: NaN draws as a gap, not a false 0%.
    return cpu->update(control::readProcessStats().cpu_seconds, std::chrono::steady_clock::now())
        .value_or(std::numeric_limits<double>::quiet_NaN());
  });
  history.addSeries("rss_bytes", [] {
    return static_cast<double>(control::readProcessStats().rss_bytes);
  });
  history.addSeries("http_connections", [&public_server] {
    return static_cast<double>(
        public_server.counters().open_connections.load(std::memory_order_relaxed));
  });
  struct RateState {
    std::uint64_t last = 0;
    std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
  };
  auto rate = std::make_shared<RateState>();
  history.addSeries("http_requests_per_second", [rate, &public_server] {
    const auto now = std::chrono::steady_clock::now();
    const auto total = totalRequests(public_server);
    const double seconds = std::chrono::duration<double>(now - rate->at).count();
    const double per_second = seconds > 0 ? static_cast<double>(total - rate->last) / seconds : 0;
    rate->last = total;
    rate->at = now;
    return per_second;
  });
  history.addSeries("loop_lag_max_ms", [pool] {
    double worst = 0;
    for (int i = 0; i < pool->size(); ++i) {
      worst = std::max(worst, static_cast<double>(pool->at(i).takeMaxLag().count()) / 1e3);
    }
    return worst;
  });
  history.addSeries("storage_commit_latency_ms",
                    [store] { return store->stats().meanCommitLatencyUs() / 1e3; });
}

void wireChatMetrics(MetricsRegistry& registry, chat::ChatService& chat,
                     const chat::XmppTcpServer& tcp, const chat::XmppWebSocketHandler& websocket) {
  registry.addCollector([&chat, &tcp, &websocket](PromWriter& out) {
    using C = chat::StreamCounters;
    out.single("throng_xmpp_stanzas_in_total", "counter", "Stanzas received from bound clients.",
               sumOverShards(chat, &C::stanzas_in));
    out.single("throng_xmpp_stanzas_out_total", "counter", "Stanzas queued to clients.",
               sumOverShards(chat, &C::stanzas_out));
    out.single("throng_xmpp_tcp_writes_total", "counter",
               "Writes (sendmsg; TLS: async_write) to XMPP TCP connections. Room fan-out "
               "shares writes (xmpp.fanout_flush_ms): stanzas out per write says how many.",
               sumOverShards(chat, &C::tcp_writes));
    out.single("throng_xmpp_shed_total", "counter",
               "Sheddable stanzas (presences) dropped because an outbox was past half its budget.",
               sumOverShards(chat, &C::shed));
    out.single("throng_xmpp_dropped_slow_total", "counter",
               "Connections cut off because their outbox budget was exceeded.",
               sumOverShards(chat, &C::dropped_slow));
    out.single("throng_xmpp_rate_limited_total", "counter",
               "Stanzas refused by a connection's rate limit.",
               sumOverShards(chat, &C::rate_limited));
    out.single("throng_muc_messages_total", "counter",
               "Groupchat messages with a body the rooms accepted.",
               sumOverShards(chat, &C::muc_messages));
    out.single("throng_muc_deliveries_total", "counter",
               "Room stanzas queued to occupants by the fan-out (messages, presences, counts).",
               sumOverShards(chat, &C::muc_deliveries));
    out.single("throng_muc_occupants", "gauge", "Occupants of all chat rooms (every 2 s).",
               sumOverShards(chat, &C::muc_occupants));

    const std::pair<const char*, const chat::TransportCounters*> transports[] = {
        {"tcp", &tcp.counters()}, {"websocket", &websocket.counters()}};
    out.family("throng_xmpp_connections", "gauge", "Open XMPP client connections.");
    for (const auto& [name, counters] : transports) {
      out.sample("throng_xmpp_connections", {{"transport", name}},
                 counters->open_connections.load(std::memory_order_relaxed));
    }
    out.family("throng_xmpp_connections_accepted_total", "counter",
               "XMPP client connections accepted (WebSocket: upgraded to XMPP).");
    for (const auto& [name, counters] : transports) {
      out.sample("throng_xmpp_connections_accepted_total", {{"transport", name}},
                 counters->accepted.load(std::memory_order_relaxed));
    }
  });
}

void wireRtcMetrics(MetricsRegistry& registry, const rtc::RtcService& rtc) {
  registry.addCollector([&rtc](PromWriter& out) {
    const auto t = rtc.totals();
    out.single("throng_webrtc_sessions", "gauge", "WebRTC viewer sessions owned by workers.",
               t.sessions_active);
    out.single("throng_webrtc_sessions_connected_total", "counter",
               "Viewer sessions that finished ICE and DTLS.", t.sessions_connected);
    out.single("throng_webrtc_sessions_closed_total", "counter", "Viewer sessions closed.",
               t.sessions_closed);
    out.single("throng_webrtc_consent_expired_total", "counter",
               "Viewers dropped because consent checks stopped (RFC 7675).", t.consent_expired);
    out.single("throng_webrtc_setup_expired_total", "counter",
               "Viewers that did not finish ICE and DTLS in time.", t.setup_expired);
    out.single("throng_webrtc_dtls_failed_total", "counter", "Failed DTLS handshakes.",
               t.dtls_failed);
    out.single("throng_webrtc_datagrams_in_total", "counter", "UDP datagrams received.",
               t.datagrams_in);
    out.single("throng_webrtc_dropped_unknown_total", "counter",
               "Datagrams from no known session, or of no known protocol.", t.dropped_unknown);
    out.single("throng_webrtc_stun_rejected_total", "counter",
               "STUN messages refused: malformed, unknown username or bad MESSAGE-INTEGRITY.",
               t.stun_rejected);
    out.single("throng_webrtc_srtcp_rejected_total", "counter",
               "SRTCP packets that failed authentication, replay or parsing.", t.srtcp_rejected);
    out.single("throng_webrtc_packets_sent_total", "counter",
               "RTP packets sent to viewers (retransmissions included).", t.packets_sent);
    out.single("throng_webrtc_bytes_sent_total", "counter", "SRTP bytes sent to viewers.",
               t.bytes_sent);
    out.single("throng_webrtc_send_dropped_total", "counter",
               "Packets a full socket buffer refused.", t.send_dropped);
    out.single("throng_webrtc_send_syscalls_total", "counter", "sendmmsg calls.",
               t.send_syscalls);
    out.single("throng_webrtc_nacks_total", "counter", "NACK feedback packets from viewers.",
               t.nacks_received);
    out.single("throng_webrtc_retransmitted_total", "counter",
               "Packets retransmitted from the ring.", t.retransmitted);
    out.single("throng_webrtc_keyframe_requests_total", "counter",
               "PLI and FIR from viewers (before debouncing).", t.keyframe_requests);
    std::int64_t live = 0;
    for (const auto& stream : rtc.streams()) live += stream->live() ? 1 : 0;
    out.single("throng_webrtc_streams_live", "gauge",
               "Streams with a publisher (the test source or a WHIP ingest).", live);
    out.single("throng_ingest_packets_total", "counter", "RTP packets accepted from publishers.",
               t.ingest_packets);
    out.single("throng_ingest_bytes_total", "counter", "Bytes of RTP accepted from publishers.",
               t.ingest_bytes);
    out.single("throng_ingest_rejected_total", "counter",
               "Publisher RTP refused: failed SRTP, malformed, unknown payload type, oversized.",
               t.ingest_rejected);
    out.single("throng_ingest_duplicates_total", "counter",
               "Publisher RTP already received or given up on.", t.ingest_duplicates);
    out.single("throng_ingest_nacks_sent_total", "counter",
               "Sequence numbers asked of publishers again (NACK).", t.ingest_nacks_sent);
    out.single("throng_ingest_recovered_total", "counter",
               "Upstream losses filled by a retransmission.", t.ingest_recovered);
    out.single("throng_ingest_keyframe_requests_total", "counter",
               "PLI/FIR sent to publishers.", t.ingest_keyframe_requests);
  });
}

void addDashboardSeries(control::MetricsHistory& history, chat::ChatService& chat,
                        const rtc::RtcService& rtc) {
  history.addSeries("webrtc_viewers", [&rtc] {
    return static_cast<double>(rtc.totals().sessions_active);
  });
  // Bits, not bytes: link capacity is quoted in bit/s. SRTP payload and headers, no UDP/IP.
  history.addSeries("webrtc_bits_per_second",
                    perSecond([&rtc] { return rtc.totals().bytes_sent * 8; }));
  using C = chat::StreamCounters;
  history.addSeries("chat_occupants", [&chat] {
    return static_cast<double>(sumOverShards(chat, &C::muc_occupants));
  });
  history.addSeries("chat_messages_per_second",
                    perSecond([&chat] { return sumOverShards(chat, &C::muc_messages); }));
  history.addSeries("chat_deliveries_per_second",
                    perSecond([&chat] { return sumOverShards(chat, &C::muc_deliveries); }));
}

}  // namespace throng::server
