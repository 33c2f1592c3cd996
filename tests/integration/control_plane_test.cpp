// The control plane answers while every worker is at 100% CPU (design.md §2, the Jitsi
// lesson: health checks starved behind client traffic).
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace throng::testing {
namespace {

TEST(ControlPlane, HealthzAnswersFastWhileEveryWorkerIsSaturated) {
  ServerProcess::Options options;
  options.extra_toml["debug.busy_route"] = "true";
  ServerProcess server(options);
  server.start();

  // 16 connections each ask for 250 ms of spinning, four times: SO_REUSEPORT spreads them
  // over both workers, which stay busy for about 4 s.
  std::atomic<int> served{0};
  std::vector<std::thread> load;
  for (int i = 0; i < 16; ++i) {
    load.emplace_back([&] {
      for (int j = 0; j < 4; ++j) {
        try {
          if (httpGet(server.httpPort(), "/debug/busy?ms=250").response.result_int() == 200) {
            ++served;
          }
        } catch (const std::exception&) {
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  std::vector<double> latencies_ms;
  for (int i = 0; i < 20; ++i) {
    auto probe = httpGet(server.controlPort(), "/healthz");
    EXPECT_EQ(probe.response.result_int(), 200);
    latencies_ms.push_back(static_cast<double>(probe.elapsed.count()) / 1000.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Prove the workers really were saturated: each reports a large loop lag.
  const auto metrics = httpGet(server.controlPort(), "/metrics").response.body();
  for (auto& t : load) t.join();

  std::sort(latencies_ms.begin(), latencies_ms.end());
  const double worst = latencies_ms.back();
  const double median = latencies_ms[latencies_ms.size() / 2];
  std::printf("healthz under full worker load: median %.2f ms, max %.2f ms\n", median, worst);
  EXPECT_LT(worst, 50.0);
  EXPECT_EQ(served.load(), 64);

  // Lines look like: throng_worker_loop_lag_max_seconds{worker="0"} 0.25
  const std::string prefix = "throng_worker_loop_lag_max_seconds{worker=\"";
  int saturated = 0;
  for (auto pos = metrics.find(prefix); pos != std::string::npos;
       pos = metrics.find(prefix, pos + 1)) {
    const auto value_at = metrics.find("} ", pos);
    if (value_at != std::string::npos && std::stod(metrics.substr(value_at + 2)) > 0.2) {
      ++saturated;
    }
  }
  EXPECT_EQ(saturated, 2) << metrics;
}

TEST(ControlPlane, MetricsHistoryIsSampledPersistedAndAuthenticated) {
  ServerProcess::Options options;
  options.extra_toml["metrics.sample_interval_ms"] = "500";
  ServerProcess server(options);
  server.start();

  EXPECT_EQ(httpGet(server.controlPort(), "/api/metrics/history").response.result_int(), 401);
  EXPECT_EQ(httpGet(server.controlPort(), "/api/metrics/history", "wrong-token")
                .response.result_int(),
            401);

  nlohmann::json history;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = httpGet(server.controlPort(), "/api/metrics/history", server.adminToken());
    ASSERT_EQ(res.response.result_int(), 200);
    history = nlohmann::json::parse(res.response.body());
    if (history["timestamps_ms"].size() >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(history["timestamps_ms"].size(), 3u) << history.dump();
  const auto& series = history["series"];
  for (const char* name : {"cpu_percent", "rss_bytes", "http_connections",
                           "http_requests_per_second", "loop_lag_max_ms"}) {
    EXPECT_NE(std::find(series.begin(), series.end(), name), series.end()) << name;
  }
  const std::size_t before = history["timestamps_ms"].size();

  // Filtered by series, and kept across a restart (persisted to SQLite).
  auto only = nlohmann::json::parse(
      httpGet(server.controlPort(), "/api/metrics/history?series=rss_bytes", server.adminToken())
          .response.body());
  EXPECT_EQ(only["series"].size(), 1u);

  const auto data_dir = server.dataDir();
  server.signal(SIGTERM);
  ASSERT_EQ(server.waitExit(), 0);
  ServerProcess::Options again = options;
  again.data_dir = data_dir;
  ServerProcess restarted(again);
  restarted.start();
  auto restored = nlohmann::json::parse(
      httpGet(restarted.controlPort(), "/api/metrics/history", restarted.adminToken())
          .response.body());
  EXPECT_GE(restored["timestamps_ms"].size(), before);
}

}  // namespace
}  // namespace throng::testing
