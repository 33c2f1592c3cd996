// An O(1) token bucket: the only rate limiter throng uses for anything a stranger controls
// (design.md §2: Jitsi's per-room limiter queues cost more than the traffic they limited).
// Not thread-safe: a bucket lives on the worker that owns the connection it limits.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace throng {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // `rate_per_second` tokens are added per second up to `burst`. The bucket starts full.
  TokenBucket(double rate_per_second, double burst, Clock::time_point now)
      : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

  // Takes `cost` tokens if there are enough; returns whether it did.
  bool tryTake(double cost, Clock::time_point now) {
    refill(now);
    if (tokens_ < cost) return false;
    tokens_ -= cost;
    return true;
  }

  // Takes `cost` tokens even when that leaves the bucket in debt (a negative balance): for a
  // cost known only after the fact, such as bytes already read off a socket. The debt is paid
  // back by the refill before anything else can be taken.
  void charge(double cost, Clock::time_point now) {
    refill(now);
    tokens_ -= cost;
  }

  // How long until `tokens` are available (zero if they are now). `tokens` above the burst
  // never become available; the wait is then the time to fill the bucket.
  Clock::duration timeUntil(double tokens, Clock::time_point now) {
    refill(now);
    const double missing = std::min(tokens, burst_) - tokens_;
    if (missing <= 0) return Clock::duration::zero();
    return std::chrono::ceil<Clock::duration>(std::chrono::duration<double>(missing / rate_));
  }

  double available(Clock::time_point now) {
    refill(now);
    return tokens_;
  }

 private:
  void refill(Clock::time_point now) {
    if (now <= last_) return;  // a clock that went backwards adds nothing
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace throng
