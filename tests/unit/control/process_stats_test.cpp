#include "control/process_stats.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace throng::control {
namespace {

using namespace std::chrono_literals;

TEST(ParseProcStat, CountsFieldsFromTheLastParenthesis) {
  // Captured from a process whose name holds a space and parentheses.
  const std::string_view text =
      "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 123456 "
      "10485760 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto fields = parseProcStat(text);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->utime_ticks, 250u);
  EXPECT_EQ(fields->stime_ticks, 50u);
  EXPECT_EQ(fields->num_threads, 7u);
  EXPECT_EQ(fields->starttime_ticks, 123456u);
}

TEST(ParseProcStat, RejectsMalformedInput) {
  EXPECT_FALSE(parseProcStat(""));
  EXPECT_FALSE(parseProcStat("1234 no parens S 1 2 3"));
  EXPECT_FALSE(parseProcStat("1234 (short) S 1 1234"));
  EXPECT_FALSE(parseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 50 0 0 20 0 7 0 1 1 1"));
}

TEST(ReadProcessStats, ValuesArePlausible) {
  // A second thread parked on a future, so the thread count has something to see.
  std::promise<void> release;
  std::thread parked([f = release.get_future()]() mutable { f.wait(); });
  const ProcessStats stats = readProcessStats();
  release.set_value();
  parked.join();

  EXPECT_GT(stats.rss_bytes, 0u);
  EXPECT_GE(stats.virtual_bytes, stats.rss_bytes);
  EXPECT_GE(stats.threads, 2u);
  EXPECT_GE(stats.open_fds, 3u);  // stdin, stdout, stderr
  EXPECT_GE(stats.max_fds, stats.open_fds);
  EXPECT_GE(stats.cpu_seconds, 0.0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(stats.start_time_seconds, 1.5e9);  // after 2017: a real Unix time, not ticks
  EXPECT_LE(stats.start_time_seconds, now + 1);  // +1: btime is rounded to whole seconds
}

TEST(WriteProcessMetrics, EmitsStandardNames) {
  ProcessStats stats;
  stats.cpu_seconds = 1.5;
  stats.rss_bytes = 4096;
  stats.virtual_bytes = 8192;
  stats.open_fds = 12;
  stats.max_fds = 1024;
  stats.threads = 5;
  stats.start_time_seconds = 1700000000.25;
  PromWriter w;
  writeProcessMetrics(w, stats);
  const std::string text = w.take();
  for (const char* line : {"# TYPE process_cpu_seconds_total counter\n",
                           "\nprocess_cpu_seconds_total 1.5\n",
                           "\nprocess_resident_memory_bytes 4096\n",
                           "\nprocess_virtual_memory_bytes 8192\n", "\nprocess_open_fds 12\n",
                           "\nprocess_max_fds 1024\n",
                           "\nprocess_start_time_seconds 1700000000.25\n",
                           "# TYPE throng_process_threads gauge\n",
                           "\nthrong_process_threads 5\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

TEST(CpuPercent, ComputesPercentOfOneCoreSincePreviousReading) {
  const auto t0 = CpuPercent::Clock::time_point{} + 1h;
  CpuPercent cpu;
  EXPECT_FALSE(cpu.update(10.0, t0).has_value());  // no baseline yet
  auto p = cpu.update(10.5, t0 + 1s);              // half a core for a second
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(*p, 50.0);
  p = cpu.update(14.5, t0 + 3s);  // 4 CPU-seconds in 2 s: two cores
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(*p, 200.0);
  p = cpu.update(14.5, t0 + 4s);  // idle
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(*p, 0.0);
}

TEST(CpuPercent, NoAdvanceOrBackwardsCpuTime) {
  const auto t0 = CpuPercent::Clock::time_point{} + 1h;
  CpuPercent cpu;
  EXPECT_FALSE(cpu.update(1.0, t0));
  EXPECT_FALSE(cpu.update(2.0, t0));  // same instant: no rate, baseline kept
  auto p = cpu.update(1.25, t0 + 500ms);
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(*p, 50.0);  // measured from the first reading
  p = cpu.update(0.5, t0 + 1s);  // CPU time went backwards: counts as idle
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(*p, 0.0);
}

}  // namespace
}  // namespace throng::control
