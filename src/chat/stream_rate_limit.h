// StreamRateLimit: the two token buckets of one client connection (design.md §2: O(1) per
// connection, no queues — Jitsi's per-room limiter queues cost more than what they limited).
//
//  - Bytes (xmpp.rate_bytes_*): charged after each read; a connection in debt is not read again
//    until the debt is paid, so TCP flow control pushes back on the client and its bytes wait
//    in its own socket buffer, not in our memory. Every read costs at least kMinReadCost: expat
//    rescans an unterminated token on each feed, so a client trickling one byte per packet
//    would otherwise buy many parses for few bytes.
//  - Stanzas (xmpp.rate_stanzas_*), after binding: a stanza over the bucket is refused. A
//    client that keeps going past kRefusalBurst refusals (refilled at kRefusalsPerSecond, so
//    about 100 refusals within 10 s) is cut off: it is not a person typing.
//
// Pure: no I/O, the clock is passed in. Threading: lives in a ClientStream, on its worker.
#pragma once

#include "base/token_bucket.h"
#include "chat/chat_options.h"

#include <algorithm>
#include <cstddef>

namespace throng::chat {

class StreamRateLimit {
 public:
  using Clock = TokenBucket::Clock;

  static constexpr double kMinReadCost = 512;
  static constexpr double kRefusalBurst = 100;
  static constexpr double kRefusalsPerSecond = 10;

  enum class Verdict {
    kPass,    // deliver the stanza
    kRefuse,  // over the stanza bucket: answer resource-constraint (or drop a presence)
    kCutOff,  // refused too often: end the stream with policy-violation
  };

  StreamRateLimit(const ChatOptions& options, Clock::time_point now)
      : bytes_(options.rate_bytes_per_second, options.rate_bytes_burst, now),
        stanzas_(options.rate_stanzas_per_second, options.rate_stanzas_burst, now),
        refusals_(kRefusalsPerSecond, kRefusalBurst, now) {}

  // Bytes just read. Returns how long the connection must wait before the next read.
  Clock::duration onRead(std::size_t bytes, Clock::time_point now) {
    bytes_.charge(std::max(static_cast<double>(bytes), kMinReadCost), now);
    return bytes_.timeUntil(0, now);
  }

  Verdict onStanza(Clock::time_point now) {
    if (stanzas_.tryTake(1, now)) return Verdict::kPass;
    return refusals_.tryTake(1, now) ? Verdict::kRefuse : Verdict::kCutOff;
  }

 private:
  TokenBucket bytes_;
  TokenBucket stanzas_;
  TokenBucket refusals_;
};

}  // namespace throng::chat
