// LatencyHistogram: a bounded-memory record of latencies for the load generators.
//
// A chat fan-out run records one sample per delivery — 500,000 a second at the target load —
// so keeping every sample (as Summary does) would grow by gigabytes. The histogram keeps counts
// in log-linear buckets instead: exact below 64 µs, then 64 buckets per power of two, so a
// reported percentile is within 1/64 (1.6%) of a latency that was observed. min, max and the
// mean are exact. Pure: no clock, no I/O; one histogram per thread, merged at the end.
#pragma once

#include <array>
#include <cstdint>

namespace throng::bench {

class LatencyHistogram {
 public:
  // Negative values (a clock that went backwards) count as 0.
  void recordMicros(std::int64_t micros);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  // Nearest rank, as Summary: the bucket holding the ceil(p/100 * count)-th sample, reported
  // as that bucket's upper bound (never below the true value; capped at max()). 0 when empty.
  double percentileMillis(double p) const;
  double maxMillis() const { return static_cast<double>(max_) / 1000.0; }
  double minMillis() const { return count_ ? static_cast<double>(min_) / 1000.0 : 0.0; }
  double meanMillis() const;

 private:
  static constexpr int kSubBits = 6;                  // 64 buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExponent = 42;             // 2^42 µs ≈ 51 days: beyond any run
  static constexpr int kBuckets = (kMaxExponent - kSubBits + 2) * kSub;

  static int bucketOf(std::uint64_t micros);
  static std::uint64_t upperBound(int bucket);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace throng::bench
