#include "http/route_stats.h"

#include <algorithm>

namespace throng::http {

RouteStats::RouteStats(std::string label)
    : label_(std::move(label)), latency_(Histogram::latencyBuckets()) {}

void RouteStats::record(unsigned status, double seconds) {
  const auto it = std::find(kStatuses.begin(), kStatuses.end(), status);
  if (it == kStatuses.end()) {
    other_.fetch_add(1, std::memory_order_relaxed);
  } else {
    by_status_[static_cast<std::size_t>(it - kStatuses.begin())].fetch_add(
        1, std::memory_order_relaxed);
  }
  latency_.observe(seconds);
}

std::uint64_t RouteStats::count(unsigned status) const {
  const auto it = std::find(kStatuses.begin(), kStatuses.end(), status);
  if (it == kStatuses.end()) return otherCount();
  return by_status_[static_cast<std::size_t>(it - kStatuses.begin())].load(
      std::memory_order_relaxed);
}

}  // namespace throng::http
