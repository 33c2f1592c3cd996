#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace throng::bench {

int LatencyHistogram::bucketOf(std::uint64_t v) {
  if (v < static_cast<std::uint64_t>(kSub)) return static_cast<int>(v);
  const int exponent = std::bit_width(v) - 1;  // >= kSubBits
  if (exponent > kMaxExponent) return kBuckets - 1;
  const auto mantissa = static_cast<int>(v >> (exponent - kSubBits));  // kSub .. 2*kSub-1
  return (exponent - kSubBits + 1) * kSub + (mantissa - kSub);
}

std::uint64_t LatencyHistogram::upperBound(int bucket) {
  if (bucket < kSub) return static_cast<std::uint64_t>(bucket);
  const int exponent = bucket / kSub - 1 + kSubBits;
  const auto mantissa = static_cast<std::uint64_t>(bucket % kSub + kSub);
  const int shift = exponent - kSubBits;
  return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::recordMicros(std::int64_t micros) {
  const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(micros, 0));
  ++counts_[static_cast<std::size_t>(bucketOf(v))];
  if (count_ == 0 || v < min_) min_ = v;
  max_ = std::max(max_, v);
  ++count_;
  sum_ += static_cast<long double>(v);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double LatencyHistogram::percentileMillis(double p) const {
  if (count_ == 0) return 0;
  if (p <= 0) return minMillis();
  if (p >= 100) return maxMillis();
  constexpr double kRankTolerance = 1e-9;  // as Summary's percentile()
  auto rank = static_cast<std::uint64_t>(
      std::ceil(p / 100.0 * static_cast<double>(count_) - kRankTolerance));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<std::size_t>(b)];
    if (seen >= rank) {
      return static_cast<double>(std::min(upperBound(b), max_)) / 1000.0;
    }
  }
  return maxMillis();
}

double LatencyHistogram::meanMillis() const {
  if (count_ == 0) return 0;
  return static_cast<double>(sum_ / static_cast<long double>(count_)) / 1000.0;
}

}  // namespace throng::bench
