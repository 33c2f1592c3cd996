// throng serve / demo start, report their listeners in the ready file, and serve.
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

namespace throng::testing {
namespace {

TEST(Startup, ReadyFileNamesEveryListenerAndServerAnswers) {
  ServerProcess server;
  server.start();
  const auto& ready = server.ready();
  EXPECT_EQ(ready["mode"], "serve");
  EXPECT_EQ(ready["workers"], 2);
  EXPECT_EQ(ready["http"]["address"], "127.0.0.1");
  EXPECT_GT(server.httpPort(), 0);
  EXPECT_GT(server.controlPort(), 0);
  EXPECT_NE(server.httpPort(), server.controlPort());

  auto health = httpGet(server.controlPort(), "/healthz");
  EXPECT_EQ(health.response.result_int(), 200);
  EXPECT_EQ(health.response.body(), "ok\n");

  // The fd limit is raised at start and the value logged.
  EXPECT_NE(server.logText().find("file descriptor limit:"), std::string::npos);
  // The admin token is in the data dir, and never in the log.
  const auto token = server.adminToken();
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(server.logText().find(token), std::string::npos);
}

TEST(Startup, DemoCreatesTheDemoEventAndPrintsTheUrl) {
  ServerProcess::Options options;
  options.mode = "demo";
  ServerProcess server(options);
  server.start();
  EXPECT_EQ(server.ready()["mode"], "demo");
  auto events = httpGet(server.httpPort(), "/api/public/events/demo");
  ASSERT_EQ(events.response.result_int(), 200) << events.response.body();
  auto json = nlohmann::json::parse(events.response.body());
  EXPECT_EQ(json["slug"], "demo");
  EXPECT_FALSE(json.contains("stream_key"));  // secrets are not public
  // What the watch page needs to find the chat and the stream.
  EXPECT_EQ(json["chat"]["room"], "demo@rooms.localhost");
  EXPECT_EQ(json["chat"]["anonymous_domain"], "anon.localhost");
  EXPECT_EQ(json["chat"]["websocket_path"], "/xmpp-websocket");
  EXPECT_EQ(json["whep_path"], "/whep/demo");
  // The watch page is served for any event address; a malformed slug is 404.
  auto page = httpGet(server.httpPort(), "/live/demo");
  ASSERT_EQ(page.response.result_int(), 200);
  EXPECT_NE(page.response.body().find("/assets/watch.js"), std::string::npos);
  EXPECT_EQ(httpGet(server.httpPort(), "/live/no%20such").response.result_int(), 404);
  const std::string url = server.ready()["url"];
  EXPECT_NE(server.logText().find("Open " + url), std::string::npos) << server.logText();
}

TEST(Startup, MetricsExposeProcessWorkersAndHttp) {
  ServerProcess server;
  server.start();
  httpGet(server.httpPort(), "/index.html");
  // A request is counted when its response has been written, which the worker may finish just
  // after the client has read it: poll (bounded) until the count shows.
  Response metrics;
  const std::string counted =
      "throng_http_requests_total{server=\"public\",route=\"static\",status=\"200\"} 1";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    metrics = httpGet(server.controlPort(), "/metrics").response;
  } while (metrics.body().find(counted) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(metrics.result_int(), 200);
  EXPECT_EQ(metrics[beast_http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const auto& text = metrics.body();
  for (const char* needle :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
        "throng_worker_loop_lag_seconds{worker=\"0\"}",
        "throng_worker_loop_lag_seconds{worker=\"1\"}",
        "throng_http_open_connections{server=\"public\"}",
        "throng_http_requests_total{server=\"public\",route=\"static\",status=\"200\"} 1",
        "throng_http_request_duration_seconds_bucket{server=\"public\",route=\"static\",le=",
        "throng_storage_jobs_committed_total"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << "missing " << needle << "\n" << text;
  }
}

}  // namespace
}  // namespace throng::testing
