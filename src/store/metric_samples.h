// Metrics history rows (table metric_samples). Runs on the storage thread only.
#pragma once

#include "base/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace throng::store {

class Database;

struct MetricSample {
  std::int64_t ts_ms = 0;  // Unix time, milliseconds
  std::string name;        // series name, e.g. "cpu_percent"
  double value = 0;
};

Status insertSamples(Database& db, const std::vector<MetricSample>& samples);
// Samples with ts_ms >= since_ms, ordered by time then name.
Result<std::vector<MetricSample>> loadSamplesSince(Database& db, std::int64_t since_ms);
// Deletes samples older than `before_ms`; returns how many were deleted.
Result<std::int64_t> pruneSamplesBefore(Database& db, std::int64_t before_ms);

}  // namespace throng::store
