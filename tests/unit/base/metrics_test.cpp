#include "base/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace throng {
namespace {

TEST(Counter, IncrementsByOneOrN) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(Gauge, SetAndAdd) {
  Gauge g;
  EXPECT_EQ(g.value(), 0.0);
  g.set(2.5);
  g.add(1.25);
  g.add(-4);
  EXPECT_DOUBLE_EQ(g.value(), -0.25);
}

TEST(Histogram, BoundsAreInclusiveAndOverflowGoesToInf) {
  Histogram h({0.1, 1, 10});
  h.observe(0.05);   // <= 0.1
  h.observe(0.1);    // exactly on the bound: le is inclusive
  h.observe(0.5);    // <= 1
  h.observe(1);      // on the bound
  h.observe(10);     // on the last bound
  h.observe(10.5);   // +Inf only
  h.observe(1e9);    // +Inf only
  const auto s = h.snapshot();
  EXPECT_EQ(s.buckets, (std::vector<std::uint64_t>{2, 4, 5, 7}));
  EXPECT_EQ(s.count, 7u);
  EXPECT_DOUBLE_EQ(s.sum, 0.05 + 0.1 + 0.5 + 1 + 10 + 10.5 + 1e9);
}

TEST(Histogram, NegativeValuesLandInFirstBucketAndNaNInInf) {
  Histogram h({0, 1});
  h.observe(-3);
  h.observe(std::numeric_limits<double>::quiet_NaN());
  const auto s = h.snapshot();
  EXPECT_EQ(s.buckets, (std::vector<std::uint64_t>{1, 1, 2}));
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(Histogram, RejectsUnsortedOrInfiniteBounds) {
  EXPECT_THROW(Histogram({1, 0.5}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
  const Histogram latency(Histogram::latencyBuckets());
  EXPECT_EQ(latency.upperBounds().size(), kLatencyBucketsSeconds.size());
  EXPECT_EQ(latency.snapshot().buckets.size(), kLatencyBucketsSeconds.size() + 1);
}

TEST(Histogram, ConcurrentObserveTotalsCorrectly) {
  Histogram h({1, 2, 3});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, t] {
      // Thread t always observes t + 0.5: bucket t (the last thread overflows to +Inf).
      // Halves are exact in binary, so the sum is exact whatever the interleaving.
      for (int i = 0; i < kPerThread; ++i) h.observe(t + 0.5);
    });
  }
  for (auto& th : threads) th.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.buckets, (std::vector<std::uint64_t>{kPerThread, 2 * kPerThread, 3 * kPerThread,
                                                   4 * kPerThread}));
  EXPECT_EQ(s.count, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_DOUBLE_EQ(s.sum, kPerThread * (0.5 + 1.5 + 2.5 + 3.5));
}

TEST(FormatSampleValue, IntegersPlainSpecialValuesSpelledPerSpec) {
  EXPECT_EQ(formatSampleValue(0), "0");
  EXPECT_EQ(formatSampleValue(-0.0), "0");
  EXPECT_EQ(formatSampleValue(1027), "1027");
  EXPECT_EQ(formatSampleValue(1e6), "1000000");
  EXPECT_EQ(formatSampleValue(-42), "-42");
  EXPECT_EQ(formatSampleValue(2.5), "2.5");
  EXPECT_EQ(formatSampleValue(0.0005), "0.0005");
  EXPECT_EQ(formatSampleValue(1.5e-7), "1.5e-07");
  EXPECT_EQ(formatSampleValue(1e-5), "1e-05");
  EXPECT_EQ(formatSampleValue(1234567.5), "1234567.5");
  EXPECT_EQ(formatSampleValue(1e20), "100000000000000000000");
  EXPECT_EQ(formatSampleValue(-1e22), "-1e+22");
  EXPECT_EQ(formatSampleValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(formatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(PromWriter, FamilyWithLabelsExactOutput) {
  PromWriter w;
  w.family("throng_http_requests_total", "counter", "HTTP requests handled.");
  w.sample("throng_http_requests_total", {{"method", "GET"}, {"code", "200"}}, 1027);
  w.sample("throng_http_requests_total", {{"method", "POST"}, {"code", "400"}}, 3);
  w.family("throng_rooms", "gauge", "Open rooms.");
  w.sample("throng_rooms", 2.5);
  EXPECT_EQ(w.take(),
            "# HELP throng_http_requests_total HTTP requests handled.\n"
            "# TYPE throng_http_requests_total counter\n"
            "throng_http_requests_total{method=\"GET\",code=\"200\"} 1027\n"
            "throng_http_requests_total{method=\"POST\",code=\"400\"} 3\n"
            "# HELP throng_rooms Open rooms.\n"
            "# TYPE throng_rooms gauge\n"
            "throng_rooms 2.5\n");
}

TEST(PromWriter, HelpAndTypeOnceAndFamilyStaysContiguous) {
  PromWriter w;
  w.family("a_total", "counter", "A.");
  w.sample("a_total", {{"worker", "0"}}, 1);
  w.family("b", "gauge", "B.");
  w.sample("b", 7);
  // A second collector adds to family a: no second HELP/TYPE, and its sample joins the group.
  w.family("a_total", "counter", "A.");
  w.sample("a_total", {{"worker", "1"}}, 2);
  EXPECT_EQ(w.take(),
            "# HELP a_total A.\n"
            "# TYPE a_total counter\n"
            "a_total{worker=\"0\"} 1\n"
            "a_total{worker=\"1\"} 2\n"
            "# HELP b B.\n"
            "# TYPE b gauge\n"
            "b 7\n");
  // take() resets: the next exposition starts from scratch.
  w.family("b", "gauge", "B.");
  w.sample("b", 8);
  EXPECT_EQ(w.take(), "# HELP b B.\n# TYPE b gauge\nb 8\n");
}

TEST(PromWriter, EscapesLabelValuesAndHelp) {
  PromWriter w;
  w.family("x", "gauge", "Path C:\\tmp\nsecond \"line\"");
  const std::vector<PromWriter::Label> labels = {{"room", "a\\b \"q\"\nz"}};
  w.sample("x", labels, 1);
  EXPECT_EQ(w.take(),
            "# HELP x Path C:\\\\tmp\\nsecond \"line\"\n"
            "# TYPE x gauge\n"
            "x{room=\"a\\\\b \\\"q\\\"\\nz\"} 1\n");
}

TEST(PromWriter, LargeCountersPrintExactly) {
  PromWriter w;
  w.sample("big_total", std::uint64_t{18446744073709551615u});
  EXPECT_EQ(w.take(), "big_total 18446744073709551615\n");
}

TEST(PromWriter, HistogramWritesBucketsSumCount) {
  Histogram h({0.005, 0.25, 1});
  h.observe(0.25);   // on a bound
  h.observe(0.125);  // values exact in binary keep the expected sum exact
  h.observe(3);
  PromWriter w;
  w.family("throng_req_seconds", "histogram", "Latency.");
  w.histogram("throng_req_seconds", {{"route", "/api"}}, h);
  EXPECT_EQ(w.take(),
            "# HELP throng_req_seconds Latency.\n"
            "# TYPE throng_req_seconds histogram\n"
            "throng_req_seconds_bucket{route=\"/api\",le=\"0.005\"} 0\n"
            "throng_req_seconds_bucket{route=\"/api\",le=\"0.25\"} 2\n"
            "throng_req_seconds_bucket{route=\"/api\",le=\"1\"} 2\n"
            "throng_req_seconds_bucket{route=\"/api\",le=\"+Inf\"} 3\n"
            "throng_req_seconds_sum{route=\"/api\"} 3.375\n"
            "throng_req_seconds_count{route=\"/api\"} 3\n");
}

TEST(PromWriter, HistogramWithoutLabels) {
  Histogram h({1});
  h.observe(2);
  PromWriter w;
  w.histogram("h", std::vector<PromWriter::Label>{}, h);
  EXPECT_EQ(w.take(), "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n");
}

TEST(MetricsRegistry, RendersEveryCollectorInOrder) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.render(), "");
  Counter hits;
  hits.inc(5);
  registry.addCollector([&hits](PromWriter& w) {
    w.family("hits_total", "counter", "Hits.");
    w.sample("hits_total", hits.value());
  });
  registry.addCollector([](PromWriter& w) {
    w.family("up", "gauge", "Up.");
    w.sample("up", 1);
  });
  const std::string expected =
      "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total 5\n"
      "# HELP up Up.\n# TYPE up gauge\nup 1\n";
  EXPECT_EQ(registry.render(), expected);
  EXPECT_EQ(registry.render(), expected);  // each render starts with a fresh writer
  hits.inc();
  EXPECT_NE(registry.render().find("hits_total 6\n"), std::string::npos);
}

}  // namespace
}  // namespace throng
