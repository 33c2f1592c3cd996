// FailedAttempts: how many wrong credentials each client address has sent lately, so that a
// guesser is slowed to a trickle (a token bucket per address: a burst, then a steady rate).
// Bounded: when more addresses than the limit are tracked the table is cleared — coarse, but
// an attacker with many addresses gains a fresh burst, never unbounded memory.
// Thread-safe (one mutex, touched only on failures and on the checks before them).
#pragma once

#include "base/token_bucket.h"

#include <mutex>
#include <string>
#include <unordered_map>

namespace throng {

class FailedAttempts {
 public:
  FailedAttempts(double burst, double per_second, std::size_t max_addresses = 4096)
      : burst_(burst), per_second_(per_second), max_addresses_(max_addresses) {}

  // May this address try again now?
  bool allowed(const std::string& address, TokenBucket::Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(address);
    return it == buckets_.end() || it->second.available(now) >= 1;
  }

  void record(const std::string& address, TokenBucket::Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (buckets_.size() >= max_addresses_) buckets_.clear();
    buckets_.try_emplace(address, per_second_, burst_, now).first->second.charge(1, now);
  }

 private:
  const double burst_;
  const double per_second_;
  const std::size_t max_addresses_;
  std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace throng
