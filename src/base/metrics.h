// Metrics primitives for the control plane, exposed in the Prometheus text format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
//
// Threads: Counter, Gauge and Histogram are written by any worker thread without locks and read
// by the control-plane thread at scrape time. PromWriter is a local of one render and is not
// shared. MetricsRegistry is filled at startup and rendered on the control-plane thread.
#pragma once

#include <array>
#include <atomic>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace throng {

// A monotonically increasing count. Relaxed ordering: a scrape needs each value eventually, not
// in order with any other memory.
class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (queue depth, connected clients).
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  // C++20 atomic<double>::fetch_add: a CAS loop, lock-free on every target we build for.
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
  static_assert(std::atomic<double>::is_always_lock_free);
};

// Request-latency buckets in seconds, from 0.5 ms (a cache hit on the control plane) to 10 s
// (the HTTP idle timeout; anything slower is already a failure).
inline constexpr std::array<double, 14> kLatencyBucketsSeconds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A cumulative histogram with fixed upper bounds. observe() is lock-free so worker threads can
// record on the hot path; snapshot() is for the control-plane thread.
class Histogram {
 public:
  struct Snapshot {
    // Cumulative counts: buckets[i] = observations <= upper_bounds()[i]; the last entry is the
    // +Inf bucket and equals `count`.
    std::vector<std::uint64_t> buckets;
    std::uint64_t count = 0;
    double sum = 0;
  };

  // `upper_bounds` must be finite and strictly increasing; +Inf is implicit. Throws
  // std::invalid_argument otherwise (histograms are built at startup, where exceptions are
  // allowed).
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Any thread. The bound is inclusive ("le"); NaN lands in +Inf as in client_golang.
  void observe(double v);

  // Control-plane thread. Not an atomic picture of all buckets: an observe() racing with the
  // snapshot may be in a bucket but not yet in `sum`. `count` is derived from the buckets so
  // that _count always equals the +Inf bucket, which Prometheus requires.
  Snapshot snapshot() const;

  const std::vector<double>& upperBounds() const { return upper_bounds_; }

  // kLatencyBucketsSeconds as constructor input: Histogram(Histogram::latencyBuckets()).
  static std::vector<double> latencyBuckets() {
    return {kLatencyBucketsSeconds.begin(), kLatencyBucketsSeconds.end()};
  }

 private:
  std::vector<double> upper_bounds_;
  // Non-cumulative, one per bound plus +Inf; made cumulative in snapshot() so observe() touches
  // one bucket only.
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<double> sum_{0.0};
};

// Formats a sample value so Prometheus parses it: integral values (up to 2^53) without exponent
// or fraction, other values in the shortest round-trip form, and NaN, +Inf, -Inf as spelled by
// the text format.
std::string formatSampleValue(double v);

// Builds one exposition. Samples are grouped under the family most recently named with
// family(), and families are output in order of first appearance, so two collectors feeding the
// same family still produce one contiguous group as the format requires.
class PromWriter {
 public:
  using Label = std::pair<std::string_view, std::string_view>;

  // Starts (or returns to) a family. `type` is "counter", "gauge", "histogram", "summary" or
  // "untyped". # HELP and # TYPE are written the first time a name is seen only.
  void family(std::string_view name, std::string_view type, std::string_view help);

  template <class T>
    requires std::is_arithmetic_v<T>
  void sample(std::string_view name, std::initializer_list<Label> labels, T value) {
    writeSample(name, {}, {labels.begin(), labels.size()}, nullptr, formatValue(value));
  }
  template <class T>
    requires std::is_arithmetic_v<T>
  void sample(std::string_view name, const std::vector<Label>& labels, T value) {
    writeSample(name, {}, labels, nullptr, formatValue(value));
  }
  template <class T>
    requires std::is_arithmetic_v<T>
  void sample(std::string_view name, T value) {
    writeSample(name, {}, {}, nullptr, formatValue(value));
  }

  // A family with one unlabelled sample: the common case for process and storage counters.
  template <class T>
    requires std::is_arithmetic_v<T>
  void single(std::string_view name, std::string_view type, std::string_view help, T value) {
    family(name, type, help);
    sample(name, value);
  }

  // Writes name_bucket{...,le="..."} for every bound and +Inf, then name_sum and name_count.
  // Call family(name, "histogram", help) first.
  void histogram(std::string_view name, std::initializer_list<Label> labels, const Histogram& h);
  void histogram(std::string_view name, const std::vector<Label>& labels, const Histogram& h);

  // Returns the exposition and resets the writer.
  std::string take();

 private:
  struct Family {
    std::string name;  // empty for samples written before any family()
    std::string text;
  };

  template <class T>
  static std::string formatValue(T value) {
    if constexpr (std::is_floating_point_v<T>) {
      return formatSampleValue(static_cast<double>(value));
    } else {
      // Integers print exactly; a counter past 2^53 must not be rounded through double.
      std::array<char, 24> buf{};
      const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
      return std::string(buf.data(), res.ptr);
    }
  }

  void histogramImpl(std::string_view name, std::span<const Label> labels, const Histogram& h);
  // `extra` is an optional trailing label (le for buckets).
  void writeSample(std::string_view name, std::string_view suffix, std::span<const Label> labels,
                   const Label* extra, std::string_view value);
  std::string& currentText();

  std::vector<Family> families_;  // order of first appearance; few enough for linear search
  std::size_t current_ = 0;       // index into families_, valid when families_ is not empty
};

// The set of collectors rendered for GET /metrics. Collectors are added at startup by each
// module and run on the control-plane thread at scrape time.
class MetricsRegistry {
 public:
  using Collector = std::function<void(PromWriter&)>;

  // Any thread (normally the startup thread).
  void addCollector(Collector collector);
  // Control-plane thread. Runs every collector in the order added. The collectors run outside
  // the lock, so a collector may add another (it runs from the next scrape).
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Collector> collectors_;  // guarded by mutex_
};

}  // namespace throng
