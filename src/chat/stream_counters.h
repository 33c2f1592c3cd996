// Counters of the chat's client streams, one set per worker (ChatShard) so that increments
// never share a cache line across workers; /metrics sums them.
#pragma once

#include <atomic>
#include <cstdint>

namespace throng::chat {

struct StreamCounters {
  std::atomic<std::uint64_t> stanzas_in{0};    // stanzas received from bound clients
  std::atomic<std::uint64_t> stanzas_out{0};   // stanzas queued to clients (any state)
  // sendmsg calls (TLS: async_write calls) to XMPP TCP connections; stanzas_out / tcp_writes is
  // how many stanzas a write carries (xmpp.fanout_flush_ms)
  std::atomic<std::uint64_t> tcp_writes{0};
  std::atomic<std::uint64_t> shed{0};          // sheddable stanzas dropped: outbox under pressure
  std::atomic<std::uint64_t> dropped_slow{0};  // connections cut off: outbox budget exceeded
  std::atomic<std::uint64_t> rate_limited{0};  // stanzas refused by a connection's token bucket
  // The rooms' side (MucShard), for the dashboard's plots: groupchat messages with a body
  // that rooms homed here accepted (handed to the archive), and room stanzas this worker's
  // fan-out queued to its occupants (messages, presences, occupant counts).
  std::atomic<std::uint64_t> muc_messages{0};
  std::atomic<std::uint64_t> muc_deliveries{0};
  // Occupants of the rooms homed here, refreshed with the pushed occupant count (every 2 s).
  std::atomic<std::uint64_t> muc_occupants{0};
};

}  // namespace throng::chat
