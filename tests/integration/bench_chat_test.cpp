// `throng bench chat` against a real `throng serve`: a seconds-long smoke run of the load tool
// (20 clients, 2 talkers) over TCP and over WebSocket. Every client must join, no message may
// be lost, and the JSON report must carry the figures bench/chat-compare.sh reads.
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/shell.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace throng::testing {
namespace {

ServerProcess::Options benchServerOptions() {
  ServerProcess::Options options;
  // The talkers send 5 messages/s each; the default per-connection stanza budget (20/s) would
  // hold, but the bench runs with rate limits raised as in bench/chat-compare.sh.
  options.extra_toml["xmpp.rate_stanzas_per_second"] = "100000";
  options.extra_toml["xmpp.rate_stanzas_burst"] = "1000000";
  return options;
}

class BenchChat : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    // An event's room (bench@rooms.localhost) takes anonymous viewers as visitors.
    auto created = httpRequest(server_.controlPort(), beast_http::verb::post, "/api/events",
                               R"({"slug":"bench","title":"Bench"})", "application/json",
                               server_.adminToken());
    ASSERT_EQ(created.response.result_int(), 201) << created.response.body();
  }

  // Runs the tool (bounded by its own time bound: 10 + 0.5 + 2 + 5 + 5 s) and returns its
  // exit status and JSON report.
  int runTool(const std::string& transport_args, nlohmann::json& report) {
    const auto json_path = dir_ / "bench.json";
    const auto out_path = dir_ / "tool.out";
    const std::string command =
        throngBinary() + " bench chat --host 127.0.0.1 " + transport_args +
        " --clients 20 --join-rate 100 --join-timeout 10 --talkers 2 --message-rate 10"
        " --duration 2 --drain 5 --threads 1 --no-progress --server-pid " +
        std::to_string(server_.ready()["pid"].get<int>()) + " --json-file " +
        json_path.string() + " >" + out_path.string() + " 2>&1; echo $?";
    const auto status = std::stoi(runCommand(command));
    std::ifstream in(json_path);
    if (!in) {
      ADD_FAILURE() << "no JSON report; tool output:\n" << runCommand("cat " + out_path.string());
      return status;
    }
    report = nlohmann::json::parse(in);
    return status;
  }

  static void expectCleanRun(int status, const nlohmann::json& r) {
    EXPECT_EQ(status, 0) << r.dump(1);
    EXPECT_EQ(r["joined"], 20);
    EXPECT_EQ(r["failed"], 0) << r["failures"].dump();
    EXPECT_EQ(r["talkers"], 2);
    EXPECT_EQ(r["receivers"], 20);
    EXPECT_EQ(r["messages_sent"], 20);  // 10/s for 2 s
    EXPECT_EQ(r["expected_deliveries"], 400);
    EXPECT_EQ(r["deliveries"], 400);
    EXPECT_EQ(r["lost"], 0);
    EXPECT_EQ(r["dropped_after_join"], 0);
    EXPECT_EQ(r["delivery_ms"]["count"], 400);
    EXPECT_GT(r["join_ms"]["p99"].get<double>(), 0);
    EXPECT_GT(r["bytes_per_client"]["mean"].get<double>(), 0);
    ASSERT_TRUE(r.contains("server")) << "the server's /proc was not sampled";
    EXPECT_GT(r["server"]["peak_rss_bytes"].get<double>(), 0);
    EXPECT_EQ(r["closed_cleanly"], 20);
  }

  ServerProcess server_{benchServerOptions()};
  TempDir dir_;
};

TEST_F(BenchChat, TcpSmokeRunJoinsEveryoneAndLosesNothing) {
  nlohmann::json report;
  const auto status = runTool(
      "--port " + std::to_string(server_.ready()["xmpp"]["tcp"]["port"].get<int>()), report);
  expectCleanRun(status, report);
}

TEST_F(BenchChat, WebSocketSmokeRunJoinsEveryoneAndLosesNothing) {
  nlohmann::json report;
  const auto status = runTool("--transport websocket --port " +
                                  std::to_string(server_.httpPort()),
                              report);
  expectCleanRun(status, report);
  EXPECT_EQ(report["options"]["transport"], "websocket");
}

TEST_F(BenchChat, RefusesTargetsOffLoopback) {
  const auto out = runCommand(throngBinary() +
                              " bench chat --host 192.0.2.1 --clients 1 --no-progress 2>&1;"
                              " echo status=$?");
  EXPECT_NE(out.find("loopback (127.0.0.0/8) only"), std::string::npos) << out;
  EXPECT_NE(out.find("status=1"), std::string::npos) << out;
}

}  // namespace
}  // namespace throng::testing
