// Counters of one XMPP transport (TCP or WebSocket), shared by all workers: they change once
// per connection, not per stanza, so one cache line for all is cheap. /metrics reads them.
#pragma once

#include <atomic>
#include <cstdint>

namespace throng::chat {

struct TransportCounters {
  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::uint64_t> accepted{0};
};

}  // namespace throng::chat
