// Per-route request counters by status and a latency histogram. Written by workers
// (relaxed atomics, no locks), read by the control plane at scrape time.
#pragma once

#include "base/metrics.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace throng::http {

class RouteStats {
 public:
  // The statuses throng answers with, each counted on its own; anything else lands in "other".
  static constexpr std::array<unsigned, 24> kStatuses = {
      101, 200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404,
      405, 408, 409, 413, 414, 415, 422, 429, 431, 500, 501, 503};

  explicit RouteStats(std::string label);

  const std::string& label() const { return label_; }
  void record(unsigned status, double seconds);
  std::uint64_t count(unsigned status) const;  // status 0 = "other"
  std::uint64_t otherCount() const { return other_.load(std::memory_order_relaxed); }
  const Histogram& latency() const { return latency_; }

 private:
  std::string label_;
  std::array<std::atomic<std::uint64_t>, kStatuses.size()> by_status_{};
  std::atomic<std::uint64_t> other_{0};
  Histogram latency_;
};

}  // namespace throng::http
