// Latency summaries for the load generators: count, mean and nearest-rank percentiles.
//
// Pure: a vector of samples in, numbers out. Percentiles use the nearest-rank method (the
// smallest sample such that at least p% of the samples are <= it), so every reported value is a
// sample that was actually observed — no interpolation between two clients' latencies.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace throng::bench {

struct Summary {
  std::size_t count = 0;
  double min = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
};

// Nearest-rank percentile of `sorted` (ascending), p in [0, 100]. 0 for an empty span;
// p <= 0 gives the minimum and p >= 100 the maximum.
double percentile(std::span<const double> sorted, double p);

// Sorts `samples` (taken by value) and summarizes them; all zero when empty.
Summary summarize(std::vector<double> samples);

}  // namespace throng::bench
