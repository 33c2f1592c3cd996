// Logging: spdlog, configured once at startup. Never log secrets (tokens, stream keys,
// passwords); log the file they live in instead.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace throng {

// Sets the global level from "trace|debug|info|warn|error|off"; returns false if unknown.
bool setLogLevel(std::string_view level);

// Lets at most one line per `interval` through, counting the ones it suppressed, so that a
// stranger sending garbage cannot flood the log. Safe to share between threads.
class LogRateLimit {
 public:
  explicit LogRateLimit(std::chrono::milliseconds interval) : interval_ms_(interval.count()) {}

  // Returns how many lines were suppressed since the last one allowed (>= 0) if this line may
  // be logged now, or -1 if it must be dropped.
  std::int64_t allow();

 private:
  std::int64_t interval_ms_;
  std::atomic<std::int64_t> next_allowed_ms_{0};
  std::atomic<std::int64_t> suppressed_{0};
};

}  // namespace throng
