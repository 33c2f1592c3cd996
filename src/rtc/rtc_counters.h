// Counters of the WebRTC engine. Each worker owns one set (no shared cache lines on the packet
// path); the service sums them for /metrics. Written on one worker, read from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace throng::rtc {

struct RtcCounters {
  using Count = std::atomic<std::uint64_t>;
  Count datagrams_in{0};
  Count dropped_unknown{0};          // no session for the address, or not STUN/DTLS/RTP/RTCP
  Count stun_rejected{0};            // bad STUN, unknown username, failed MESSAGE-INTEGRITY
  Count stun_answered{0};
  Count dtls_failed{0};
  Count srtcp_rejected{0};           // SRTCP that failed authentication or replay checks
  Count rtp_from_viewer{0};          // viewers send no media; dropped
  Count packets_sent{0};             // RTP to viewers, including retransmissions
  Count bytes_sent{0};
  Count send_dropped{0};             // refused by a full socket buffer
  Count send_syscalls{0};
  Count nacks_received{0};
  Count retransmitted{0};
  Count retransmit_missing{0};       // asked for a packet older than the ring
  Count retransmit_limited{0};       // over the viewer's rate limit
  Count keyframe_requests{0};        // PLI and FIR from viewers
  Count sessions_connected{0};
  Count sessions_closed{0};
  Count consent_expired{0};
  Count setup_expired{0};
  // WHIP publishers (media in).
  Count ingest_packets{0};           // RTP accepted from publishers
  Count ingest_bytes{0};
  Count ingest_rejected{0};          // failed SRTP, malformed, unknown payload type, oversized
  Count ingest_duplicates{0};        // already received (or given up on)
  Count ingest_nacks_sent{0};        // sequence numbers asked for again
  Count ingest_recovered{0};         // losses that a retransmission filled
  Count ingest_keyframe_requests{0}; // PLI/FIR sent to publishers
  std::atomic<std::int64_t> sessions_active{0};

  static std::uint64_t get(const Count& c) { return c.load(std::memory_order_relaxed); }
  static void add(Count& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

}  // namespace throng::rtc
