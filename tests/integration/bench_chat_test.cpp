// `throng bench chat` against a real `throng serve`: a seconds-long smoke run of the load tool
// (20 clients, 2 talkers) over TCP and over WebSocket, anonymous and with accounts. Every
// client must join, no message may be lost, and the JSON report must carry the figures
// bench/chat-compare.sh reads.
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
  // Before the server starts: what the data directory must hold (accounts).
  virtual void prepareDataDir() {}

  void SetUp() override {
    prepareDataDir();
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

// Accounts bench0..bench19, made with `throng user add` before the server starts.
class BenchChatAccounts : public BenchChat {
 protected:
  static constexpr const char* kPassword = "bench-password-1";
  void prepareDataDir() override {
    for (int i = 0; i < 20; ++i) {
      const std::string name = "bench" + std::to_string(i);
      const std::string out = runCommand("printf '%s\\n' '" + std::string(kPassword) + "' | " +
                                         throngBinary() + " user add " + name +
                                         " --password-stdin --data-dir " +
                                         server_.dataDir().string() + " 2>&1");
      ASSERT_NE(out.find("user " + name + " added"), std::string::npos) << out;
    }
  }
};

TEST_F(BenchChatAccounts, AccountsLogInWithSaslPlainAndLoseNothing) {
  nlohmann::json report;
  const std::string port = std::to_string(server_.ready()["xmpp"]["tcp"]["port"].get<int>());
  const auto status = runTool(
      "--port " + port + " --accounts bench --password " + std::string(kPassword), report);
  expectCleanRun(status, report);

  // A wrong password: every join fails, and the report says why.
  nlohmann::json refused;
  runTool("--port " + port + " --accounts bench --password wrong-password", refused);
  EXPECT_EQ(refused["joined"], 0);
  EXPECT_EQ(refused["failed"], 20);
  EXPECT_NE(refused["failures"].dump().find("not-authorized"), std::string::npos)
      << refused["failures"].dump();
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
