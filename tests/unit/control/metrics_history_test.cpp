#include "control/metrics_history.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace throng::control {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Json = nlohmann::json;

// Two series whose values the test sets before each sample().
struct Fixture {
  explicit Fixture(std::size_t capacity) : history(capacity) {
    history.addSeries("cpu_percent", [this] { return cpu; });
    history.addSeries("rss_bytes", [this] { return rss; });
  }
  double cpu = 0;
  double rss = 0;
  MetricsHistory history;
};

TEST(MetricsHistory, SampleReturnsOneSamplePerSeriesInOrder) {
  Fixture f(10);
  f.cpu = 12.5;
  f.rss = 4096;
  const auto samples = f.history.sample(1000);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].ts_ms, 1000);
  EXPECT_EQ(samples[0].name, "cpu_percent");
  EXPECT_EQ(samples[0].value, 12.5);
  EXPECT_EQ(samples[1].ts_ms, 1000);
  EXPECT_EQ(samples[1].name, "rss_bytes");
  EXPECT_EQ(samples[1].value, 4096);
  EXPECT_EQ(f.history.size(), 1u);
}

TEST(MetricsHistory, RingDropsOldestBeyondCapacity) {
  Fixture f(3);
  for (int i = 1; i <= 5; ++i) {
    f.cpu = i;
    f.history.sample(i * 1000);
    EXPECT_EQ(f.history.size(), static_cast<std::size_t>(std::min(i, 3)));
  }
  const Json j = f.history.toJson(0, {"cpu_percent"});
  EXPECT_EQ(j["timestamps_ms"], Json::parse("[3000, 4000, 5000]"));
  EXPECT_EQ(j["values"], Json::parse("[[3.0, 4.0, 5.0]]"));
}

TEST(MetricsHistory, RowNotAfterNewestIsReturnedButNotKept) {
  Fixture f(5);
  f.history.sample(2000);
  EXPECT_EQ(f.history.sample(2000).size(), 2u);  // duplicate instant
  EXPECT_EQ(f.history.sample(1500).size(), 2u);  // wall clock stepped back
  EXPECT_EQ(f.history.size(), 1u);
}

TEST(MetricsHistory, ZeroCapacityKeepsNothing) {
  Fixture f(0);
  EXPECT_EQ(f.history.sample(1000).size(), 2u);
  EXPECT_EQ(f.history.size(), 0u);
  EXPECT_EQ(f.history.toJson(0, {})["timestamps_ms"], Json::array());
}

TEST(MetricsHistory, RestoreGroupsByTimeIgnoresUnknownAndKeepsNewest) {
  Fixture f(3);
  f.history.sample(999999);  // replaced by restore
  // Out of order on purpose; "gone" is a series this build no longer records.
  const std::vector<store::MetricSample> rows = {
      {4000, "rss_bytes", 40}, {1000, "cpu_percent", 1}, {1000, "rss_bytes", 10},
      {2000, "cpu_percent", 2}, {2000, "rss_bytes", 20}, {3000, "cpu_percent", 3},
      {3000, "gone", 99},      {4000, "cpu_percent", 4}, {5000, "gone", 1},
  };
  f.history.restore(rows);
  ASSERT_EQ(f.history.size(), 3u);  // 1000 dropped; 5000 had no known series
  const Json j = f.history.toJson(0, {});
  EXPECT_EQ(j["series"], Json::parse(R"(["cpu_percent", "rss_bytes"])"));
  EXPECT_EQ(j["timestamps_ms"], Json::parse("[2000, 3000, 4000]"));
  EXPECT_EQ(j["values"], Json::parse("[[2.0, 3.0, 4.0], [20.0, null, 40.0]]"));

  // Sampling continues after the restored rows and pushes out the oldest.
  f.cpu = 5;
  f.rss = 50;
  f.history.sample(6000);
  const Json after = f.history.toJson(0, {});
  EXPECT_EQ(after["timestamps_ms"], Json::parse("[3000, 4000, 6000]"));
  EXPECT_EQ(after["values"], Json::parse("[[3.0, 4.0, 5.0], [null, 40.0, 50.0]]"));
}

TEST(MetricsHistory, ToJsonFiltersBySinceAndNamesAndRendersNaNAsNull) {
  Fixture f(10);
  f.history.addSeries("clients", [] { return kNaN; });
  for (int i = 1; i <= 4; ++i) {
    f.cpu = i;
    f.rss = i * 100;
    f.history.sample(i * 1000);
  }
  // since is inclusive; names keep the requested order; unknown and repeated names are skipped.
  const Json j = f.history.toJson(2000, {"rss_bytes", "nope", "clients", "rss_bytes"});
  EXPECT_EQ(j, Json::parse(R"({
    "series": ["rss_bytes", "clients"],
    "timestamps_ms": [2000, 3000, 4000],
    "values": [[200.0, 300.0, 400.0], [null, null, null]]
  })"));
  // Between rows, and after the newest.
  EXPECT_EQ(f.history.toJson(2500, {"cpu_percent"})["timestamps_ms"], Json::parse("[3000, 4000]"));
  const Json empty = f.history.toJson(5000, {"cpu_percent"});
  EXPECT_EQ(empty["timestamps_ms"], Json::array());
  EXPECT_EQ(empty["values"], Json::parse("[[]]"));
  // The dumped text is valid JSON with null, never NaN.
  EXPECT_EQ(f.history.toJson(4000, {"clients"}).dump(),
            R"({"series":["clients"],"timestamps_ms":[4000],"values":[[null]]})");
}

}  // namespace
}  // namespace throng::control
