// The last N samples of a few key series (CPU %, memory, clients...) kept in memory for the admin
// dashboard's plots, and persisted row by row by the caller so a restart keeps the history.
//
// Thread: control-plane thread only, including the `read` functions it calls. Not thread-safe;
// series readers that look at worker state must read atomics (Counter, Gauge), not worker
// objects.
#pragma once

#include "store/metric_samples.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace throng::control {

class MetricsHistory {
 public:
  // `capacity`: how many rows (one per sample() call) are kept; the oldest is dropped first.
  explicit MetricsHistory(std::size_t capacity);

  // Registers a series; call at startup, before the first sample(). Order is kept in sample()
  // and in toJson() without a filter. Names must be unique.
  void addSeries(std::string name, std::function<double()> read);

  // Reads every series, keeps one row, and returns one sample per series (in registration
  // order) for the caller to persist. The wall clock can step back: a row whose time is not
  // after the newest row's is returned but not kept, so timestamps stay strictly increasing as
  // uPlot requires.
  std::vector<store::MetricSample> sample(std::int64_t now_ms);

  // Replaces the contents with rows loaded from the database at startup. Samples are grouped by
  // ts_ms; names not registered are ignored, a series missing from a row is NaN, and only the
  // newest `capacity` rows are kept, in time order. Input order does not matter.
  void restore(const std::vector<store::MetricSample>& rows);

  // Columnar data for uPlot:
  //   {"series": [names...], "timestamps_ms": [t...], "values": [[v per t]... per series]}
  // Rows with ts_ms >= since_ms. `names` selects series in the order given (empty = all, in
  // registration order); unknown names are skipped. NaN and infinities become null.
  nlohmann::json toJson(std::int64_t since_ms, const std::vector<std::string>& names) const;

  // Rows currently kept.
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return rows_.size(); }

 private:
  struct Series {
    std::string name;
    std::function<double()> read;
  };
  struct Row {
    std::int64_t ts_ms = 0;
    std::vector<double> values;  // by series index; may be shorter if a series came later
  };

  // Logical index 0 = oldest kept row.
  const Row& row(std::size_t i) const { return rows_[(head_ + i) % rows_.size()]; }
  // Slot for a new newest row, dropping the oldest if full.
  Row& pushSlot();
  double valueAt(const Row& r, std::size_t series) const;
  int seriesIndex(const std::string& name) const;

  std::vector<Series> series_;
  std::vector<Row> rows_;  // ring storage, sized to capacity once; slots reused
  std::size_t head_ = 0;   // slot of the oldest row
  std::size_t size_ = 0;
};

}  // namespace throng::control
