// Malformed and hostile HTTP gets a precise 4xx or a timeout, frees its connection, and
// does not disturb anyone else.
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <thread>

namespace throng::testing {
namespace {

ServerProcess::Options tightLimits() {
  ServerProcess::Options options;
  options.extra_toml["http.max_request_line_bytes"] = "1024";
  options.extra_toml["http.max_header_bytes"] = "4096";
  options.extra_toml["http.max_body_bytes"] = "1024";
  options.extra_toml["http.header_timeout_ms"] = "700";
  options.extra_toml["http.idle_timeout_ms"] = "2000";
  return options;
}

class MalformedHttp : public ::testing::Test {
 protected:
  MalformedHttp() : server_(tightLimits()) {}
  void SetUp() override { server_.start(); }

  std::string exchange(const std::string& bytes) {
    RawConnection conn(server_.httpPort());
    conn.send(bytes);
    return conn.readAll();
  }
  std::int64_t openConnections() {
    auto text = httpGet(server_.controlPort(), "/metrics").response.body();
    const std::string key = "throng_http_open_connections{server=\"public\"} ";
    auto pos = text.find(key);
    return pos == std::string::npos ? -1 : std::stoll(text.substr(pos + key.size()));
  }
  void expectOthersUnaffected() {
    auto ok = httpGet(server_.httpPort(), "/api/public/events");
    EXPECT_EQ(ok.response.result_int(), 200);
  }

  ServerProcess server_;
};

TEST_F(MalformedHttp, GarbageRequestLineIs400) {
  const auto reply = exchange("HELLO THERE\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("malformed request"), std::string::npos) << reply;
  expectOthersUnaffected();
}

TEST_F(MalformedHttp, OversizeHeaderIs431) {
  const auto reply =
      exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << reply;
  expectOthersUnaffected();
}

TEST_F(MalformedHttp, OversizeRequestLineIs414) {
  const auto reply = exchange("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 414", 0), 0u) << reply;
  const auto huge = exchange("GET /" + std::string(6000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(huge.rfind("HTTP/1.1 414", 0), 0u) << huge;
  expectOthersUnaffected();
}

TEST_F(MalformedHttp, OversizeBodyIs413) {
  const auto reply = exchange(
      "POST /api/public/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
      std::string(5000, 'x'));
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  expectOthersUnaffected();
}

TEST_F(MalformedHttp, InvalidChunkingIs400) {
  const auto reply = exchange(
      "POST /api/public/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "zz\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("chunked"), std::string::npos) << reply;
  expectOthersUnaffected();
}

TEST_F(MalformedHttp, ConflictingLengthsAre400) {
  const auto reply = exchange(
      "POST /api/public/events HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
      "Content-Length: 4\r\n\r\nabcd");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
}

TEST_F(MalformedHttp, SlowlorisTrickleTimesOutWith408AndIsFreed) {
  const auto baseline = openConnections();
  RawConnection slow(server_.httpPort());
  // One header line every 200 ms: each byte is "in time", the whole header is not.
  slow.send("GET / HTTP/1.1\r\n");
  const auto started = std::chrono::steady_clock::now();
  std::string reply;
  for (int i = 0; i < 20 && reply.empty(); ++i) {
    try {
      slow.send("X-Slow-" + std::to_string(i) + ": 1\r\n");
    } catch (const std::exception&) {
      break;  // the server closed the connection
    }
    reply = slow.readAll(std::chrono::milliseconds(200));
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
  EXPECT_LT(waited, std::chrono::seconds(3));
  // Other clients were served meanwhile, and the connection is released.
  expectOthersUnaffected();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (openConnections() > baseline && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LE(openConnections(), baseline);
}

TEST_F(MalformedHttp, SilentConnectionIsClosedAfterHeaderTimeout) {
  RawConnection silent(server_.httpPort());
  EXPECT_TRUE(silent.closedWithin(std::chrono::seconds(3)));
}

TEST_F(MalformedHttp, ManyBadClientsAtOnceDoNotDisturbAGoodOne) {
  std::vector<std::thread> attackers;
  for (int i = 0; i < 8; ++i) {
    attackers.emplace_back([this, i] {
      for (int j = 0; j < 10; ++j) {
        RawConnection conn(server_.httpPort());
        conn.send(i % 2 ? "\x16\x03\x01 garbage\r\n\r\n" : "GET / HTTP/9.9\r\n\r\n");
        conn.readAll(std::chrono::milliseconds(1000));
      }
    });
  }
  for (int i = 0; i < 20; ++i) expectOthersUnaffected();
  for (auto& t : attackers) t.join();
  auto metrics = httpGet(server_.controlPort(), "/metrics").response.body();
  EXPECT_NE(metrics.find("throng_http_bad_requests_total{server=\"public\"}"), std::string::npos);
}

}  // namespace
}  // namespace throng::testing
