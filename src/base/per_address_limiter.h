// PerAddressLimiter: a token bucket per client address, for what a stranger may try only so
// often — wrong credentials (a burst, then a trickle) or login attempts at all. Bounded: when
// more addresses than the limit are tracked the table is cleared — coarse, but an attacker
// with many addresses gains a fresh burst, never unbounded memory.
// Thread-safe (one mutex, touched only on the checks and failures, never per packet).
#pragma once

#include "base/token_bucket.h"

#include <mutex>
#include <string>
#include <unordered_map>

namespace throng {

class PerAddressLimiter {
 public:
  static constexpr std::size_t kMaxTrackedAddresses = 4096;

  PerAddressLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}

  // Whether `address` has a token left, without taking it.
  bool allowed(const std::string& address, TokenBucket::Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(address);
    return it == buckets_.end() || it->second.available(now) >= 1;
  }
  // Takes one token from `address` (it may go into debt): a failure after the fact.
  void record(const std::string& address, TokenBucket::Clock::time_point now) {
    std::lock_guard lock(mutex_);
    bucketFor(address, now).charge(1, now);
  }
  // Takes one token if there is one.
  bool tryTake(const std::string& address, TokenBucket::Clock::time_point now) {
    std::lock_guard lock(mutex_);
    return bucketFor(address, now).tryTake(1, now);
  }

 private:
  TokenBucket& bucketFor(const std::string& address, TokenBucket::Clock::time_point now) {
    if (buckets_.size() >= kMaxTrackedAddresses) buckets_.clear();
    return buckets_.try_emplace(address, per_second_, burst_, now).first->second;
  }

  const double per_second_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;  // guarded by mutex_
};

}  // namespace throng
