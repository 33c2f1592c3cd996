#include "control/metrics_history.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <map>

namespace throng::control {

namespace {
constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
}  // namespace

MetricsHistory::MetricsHistory(std::size_t capacity) : rows_(capacity) {}

void MetricsHistory::addSeries(std::string name, std::function<double()> read) {
  assert(seriesIndex(name) < 0 && "series names must be unique");
  series_.push_back(Series{std::move(name), std::move(read)});
}

MetricsHistory::Row& MetricsHistory::pushSlot() {
  assert(!rows_.empty());
  if (size_ < rows_.size()) {
    return rows_[(head_ + size_++) % rows_.size()];
  }
  Row& slot = rows_[head_];  // the oldest row is overwritten
  head_ = (head_ + 1) % rows_.size();
  return slot;
}

std::vector<store::MetricSample> MetricsHistory::sample(std::int64_t now_ms) {
  std::vector<store::MetricSample> out;
  out.reserve(series_.size());
  for (const Series& s : series_) {
    out.push_back(store::MetricSample{now_ms, s.name, s.read()});
  }
  const bool keep = !rows_.empty() && (size_ == 0 || now_ms > row(size_ - 1).ts_ms);
  if (keep) {
    Row& r = pushSlot();
    r.ts_ms = now_ms;
    r.values.clear();  // keeps the slot's allocation
    for (const auto& s : out) r.values.push_back(s.value);
  }
  return out;
}

void MetricsHistory::restore(const std::vector<store::MetricSample>& rows) {
  // ts -> values by series index; std::map sorts by time whatever the input order.
  std::map<std::int64_t, std::vector<double>> grouped;
  for (const store::MetricSample& s : rows) {
    const int index = seriesIndex(s.name);
    if (index < 0) continue;
    auto& values = grouped[s.ts_ms];
    if (values.empty()) values.assign(series_.size(), kMissing);
    values[static_cast<std::size_t>(index)] = s.value;
  }
  head_ = 0;
  size_ = 0;
  if (rows_.empty()) return;
  const std::size_t skip = grouped.size() > rows_.size() ? grouped.size() - rows_.size() : 0;
  auto it = grouped.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(skip));
  for (; it != grouped.end(); ++it) {
    Row& r = pushSlot();
    r.ts_ms = it->first;
    r.values = std::move(it->second);
  }
}

double MetricsHistory::valueAt(const Row& r, std::size_t series) const {
  return series < r.values.size() ? r.values[series] : kMissing;
}

int MetricsHistory::seriesIndex(const std::string& name) const {
  for (std::size_t i = 0; i < series_.size(); ++i) {
    if (series_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

nlohmann::json MetricsHistory::toJson(std::int64_t since_ms,
                                      const std::vector<std::string>& names) const {
  std::vector<std::size_t> selected;
  if (names.empty()) {
    for (std::size_t i = 0; i < series_.size(); ++i) selected.push_back(i);
  } else {
    for (const std::string& name : names) {
      const int index = seriesIndex(name);
      if (index < 0) continue;
      const auto u = static_cast<std::size_t>(index);
      if (std::find(selected.begin(), selected.end(), u) == selected.end()) selected.push_back(u);
    }
  }

  // Rows are in increasing time order: binary-search the first one at or after since_ms.
  std::size_t lo = 0;
  std::size_t hi = size_;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (row(mid).ts_ms < since_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }

  nlohmann::json series = nlohmann::json::array();
  for (const std::size_t s : selected) series.push_back(series_[s].name);
  nlohmann::json timestamps = nlohmann::json::array();
  for (std::size_t i = lo; i < size_; ++i) timestamps.push_back(row(i).ts_ms);
  nlohmann::json values = nlohmann::json::array();
  for (const std::size_t s : selected) {
    nlohmann::json column = nlohmann::json::array();
    for (std::size_t i = lo; i < size_; ++i) {
      const double v = valueAt(row(i), s);
      // uPlot draws a gap for null; JSON has no NaN or Infinity.
      if (std::isfinite(v)) {
        column.push_back(v);
      } else {
        column.push_back(nullptr);
      }
    }
    values.push_back(std::move(column));
  }
  return nlohmann::json{{"series", std::move(series)},
                        {"timestamps_ms", std::move(timestamps)},
                        {"values", std::move(values)}};
}

}  // namespace throng::control
