#include "bench/summary.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace throng::bench {

double percentile(std::span<const double> sorted, double p) {
  if (sorted.empty()) return 0;
  if (p <= 0) return sorted.front();
  if (p >= 100) return sorted.back();
  // Nearest rank: ceil(p/100 * n), 1-based. The product is not exact in binary (99.9% of 1000
  // comes out as 999.0000000000001), so a tolerance far below one rank keeps exact ranks exact.
  constexpr double kRankTolerance = 1e-9;
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n - kRankTolerance));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.count);
  s.p50 = percentile(samples, 50);
  s.p90 = percentile(samples, 90);
  s.p95 = percentile(samples, 95);
  s.p99 = percentile(samples, 99);
  return s;
}

}  // namespace throng::bench
