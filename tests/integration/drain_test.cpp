// SIGTERM/SIGINT drain: stop accepting, finish in-flight requests, close idle connections,
// flush storage, exit 0 in bounded time; a second signal exits at once.
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <thread>

namespace throng::testing {
namespace {

ServerProcess::Options busyOptions() {
  ServerProcess::Options options;
  options.extra_toml["debug.busy_route"] = "true";
  return options;
}

TEST(Drain, SigtermClosesIdleConnectionsAndExitsZeroQuickly) {
  ServerProcess server;
  server.start();
  RawConnection idle(server.httpPort());
  idle.send("GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(idle.readAll(std::chrono::milliseconds(300)).rfind("HTTP/1.1 200", 0), 0u);

  const auto started = std::chrono::steady_clock::now();
  server.signal(SIGTERM);
  EXPECT_TRUE(idle.closedWithin(std::chrono::seconds(3)));
  EXPECT_EQ(server.waitExit(std::chrono::seconds(10)), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_NE(server.logText().find("drained; storage flushed"), std::string::npos);
}

TEST(Drain, InFlightRequestCompletesAndHealthReportsDraining) {
  ServerProcess server(busyOptions());
  server.start();
  auto in_flight = std::async(std::launch::async, [&] {
    return httpGet(server.httpPort(), "/debug/busy?ms=1500");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the request start
  server.signal(SIGINT);
  // While draining, the control plane says so.
  bool saw_503 = false;
  for (int i = 0; i < 50 && !saw_503; ++i) {
    try {
      saw_503 = httpGet(server.controlPort(), "/healthz").response.result_int() == 503;
    } catch (const std::exception&) {
      break;
    }
    if (!saw_503) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(saw_503);
  auto result = in_flight.get();
  EXPECT_EQ(result.response.result_int(), 200);
  EXPECT_FALSE(result.response.keep_alive());  // told to go away
  EXPECT_EQ(server.waitExit(std::chrono::seconds(10)), 0);
}

TEST(Drain, SecondSignalExitsAtOnce) {
  ServerProcess::Options options = busyOptions();
  options.extra_toml["server.drain_timeout_ms"] = "60000";
  ServerProcess server(options);
  server.start();
  auto in_flight = std::async(std::launch::async, [&] {
    try {
      httpGet(server.httpPort(), "/debug/busy?ms=8000");
    } catch (const std::exception&) {
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server.signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto started = std::chrono::steady_clock::now();
  server.signal(SIGTERM);
  EXPECT_EQ(server.waitExit(std::chrono::seconds(5)), 128 + SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  in_flight.get();
}

}  // namespace
}  // namespace throng::testing
