#include "base/log.h"

#include <string>

namespace throng {

bool setLogLevel(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; accept "off" only when asked for.
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  return true;
}

std::int64_t LogRateLimit::allow() {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  auto next = next_allowed_ms_.load(std::memory_order_relaxed);
  if (now < next || !next_allowed_ms_.compare_exchange_strong(next, now + interval_ms_)) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return -1;
  }
  return suppressed_.exchange(0, std::memory_order_relaxed);
}

}  // namespace throng
