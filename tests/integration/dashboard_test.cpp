// The admin dashboard on the control port: its page is served without the token (it holds no
// data), its data (/api/server, the metrics history with the audience and chat series) only
// with it, and none of it on the public port.
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

namespace throng::testing {
namespace {

TEST(Dashboard, PageIsStaticAndDataNeedsTheAdminToken) {
  ServerProcess::Options options;
  options.extra_toml["metrics.sample_interval_ms"] = "500";
  ServerProcess server(options);
  server.start();

  auto page = httpGet(server.controlPort(), "/admin");
  ASSERT_EQ(page.response.result_int(), 200);
  EXPECT_TRUE(std::string(page.response[beast_http::field::content_type]).starts_with("text/html"));
  EXPECT_NE(page.response.body().find("Admin token"), std::string::npos);
  EXPECT_EQ(page.response.body().find(server.adminToken()), std::string::npos);
  EXPECT_EQ(httpGet(server.controlPort(), "/style.css").response.result_int(), 200);
  EXPECT_EQ(httpGet(server.controlPort(), "/admin.css").response.result_int(), 200);
  // The bundle exists once scripts/setup.sh has built it.
  if (std::filesystem::exists(std::filesystem::path(THRONG_WEB_ROOT) / "assets/admin.js")) {
    auto script = httpGet(server.controlPort(), "/assets/admin.js");
    EXPECT_EQ(script.response.result_int(), 200);
    EXPECT_TRUE(std::string(script.response[beast_http::field::content_type])
                    .starts_with("text/javascript"));
  }
  // Only the dashboard's files: the control port is not a second public web server.
  EXPECT_EQ(httpGet(server.controlPort(), "/index.html").response.result_int(), 404);
  EXPECT_EQ(httpGet(server.controlPort(), "/live.html").response.result_int(), 404);

  EXPECT_EQ(httpGet(server.controlPort(), "/api/server").response.result_int(), 401);
  EXPECT_EQ(httpGet(server.controlPort(), "/api/server", "wrong").response.result_int(), 401);
  EXPECT_EQ(httpGet(server.httpPort(), "/api/server", server.adminToken()).response.result_int(),
            404);

  auto res = httpGet(server.controlPort(), "/api/server", server.adminToken());
  ASSERT_EQ(res.response.result_int(), 200);
  const auto info = nlohmann::json::parse(res.response.body());
  EXPECT_EQ(info["version"], "0.1.0");
  EXPECT_EQ(info["workers"], 2);
  EXPECT_EQ(info["sample_interval_ms"], 500);
  EXPECT_EQ(info["public_url"], server.ready()["url"]);
  EXPECT_EQ(info["whip_path_prefix"], "/whip/");
  EXPECT_EQ(info["whep_path_prefix"], "/whep/");
  EXPECT_GE(info["uptime_seconds"].get<std::int64_t>(), 0);
  EXPECT_EQ(info["viewers"], 0);
  EXPECT_TRUE(info["streams"].is_array());
  EXPECT_TRUE(info["streams"].empty());

  // The history carries the audience and chat series, sampled like the others.
  nlohmann::json history;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    history = nlohmann::json::parse(
        httpGet(server.controlPort(), "/api/metrics/history", server.adminToken()).response.body());
    if (history["timestamps_ms"].size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(history["timestamps_ms"].size(), 2u) << history.dump();
  const auto& series = history["series"];
  for (const char* name : {"webrtc_viewers", "webrtc_bits_per_second", "chat_occupants",
                           "chat_messages_per_second", "chat_deliveries_per_second"}) {
    const auto it = std::find(series.begin(), series.end(), name);
    ASSERT_NE(it, series.end()) << name;
    const auto& column = history["values"][static_cast<std::size_t>(it - series.begin())];
    EXPECT_EQ(column.back(), 0) << name << ": nothing happened yet";
  }

  const auto metrics = httpGet(server.controlPort(), "/metrics").response.body();
  for (const char* family :
       {"throng_muc_messages_total 0", "throng_muc_deliveries_total 0", "throng_muc_occupants 0"}) {
    EXPECT_NE(metrics.find(family), std::string::npos) << family;
  }
}

TEST(Dashboard, ListsLiveStreamsWithTheirViewers) {
  ServerProcess::Options options;
  options.extra_toml["test_source.enabled"] = "true";
  options.extra_toml["test_source.event"] = "\"show\"";
  options.extra_toml["test_source.width"] = "160";
  options.extra_toml["test_source.height"] = "90";
  ServerProcess server(options);
  server.start();
  auto res = httpGet(server.controlPort(), "/api/server", server.adminToken());
  ASSERT_EQ(res.response.result_int(), 200);
  const auto info = nlohmann::json::parse(res.response.body());
  ASSERT_EQ(info["streams"].size(), 1u) << info.dump();
  EXPECT_EQ(info["streams"][0]["slug"], "show");
  EXPECT_EQ(info["streams"][0]["viewers"], 0);
}

}  // namespace
}  // namespace throng::testing
