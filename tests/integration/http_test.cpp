// The public HTTP server: static files, caching validators, keep-alive, routing answers.
#include "support/http_client.h"
#include "support/server_process.h"

#include <boost/beast/core.hpp>
#include <gtest/gtest.h>

namespace throng::testing {
namespace {

class Http : public ::testing::Test {
 protected:
  void SetUp() override { server_.start(); }
  ServerProcess server_;
};

TEST_F(Http, ServesIndexWithContentTypeAndValidators) {
  auto root = httpGet(server_.httpPort(), "/");
  ASSERT_EQ(root.response.result_int(), 200);
  EXPECT_EQ(root.response[beast_http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(root.response[beast_http::field::cache_control], "no-cache");
  EXPECT_NE(root.response.body().find("<title>"), std::string::npos);
  const std::string etag(root.response[beast_http::field::etag]);
  ASSERT_FALSE(etag.empty());

  // A conditional request with the same validator is answered 304 without a body.
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), server_.httpPort()});
  beast_http::request<beast_http::empty_body> conditional{beast_http::verb::get, "/", 11};
  conditional.set(beast_http::field::host, "x");
  conditional.set(beast_http::field::if_none_match, etag);
  beast_http::write(stream, conditional);
  boost::beast::flat_buffer buffer;
  Response not_modified;
  beast_http::read(stream, buffer, not_modified);
  EXPECT_EQ(not_modified.result_int(), 304);
  EXPECT_TRUE(not_modified.body().empty());
}

TEST_F(Http, AssetsGetTheirTypesAndLongerCaching) {
  auto css = httpGet(server_.httpPort(), "/style.css");
  ASSERT_EQ(css.response.result_int(), 200);
  EXPECT_EQ(css.response[beast_http::field::content_type], "text/css; charset=utf-8");
  EXPECT_EQ(css.response[beast_http::field::cache_control], "public, max-age=3600");
  auto js = httpGet(server_.httpPort(), "/app.js");
  ASSERT_EQ(js.response.result_int(), 200);
  EXPECT_EQ(js.response[beast_http::field::content_type], "text/javascript; charset=utf-8");
}

TEST_F(Http, HeadHasLengthButNoBody) {
  auto get = httpGet(server_.httpPort(), "/style.css");
  auto head = httpRequest(server_.httpPort(), beast_http::verb::head, "/style.css");
  EXPECT_EQ(head.response.result_int(), 200);
  EXPECT_EQ(head.response[beast_http::field::content_length],
            std::to_string(get.response.body().size()));
}

TEST_F(Http, UnknownPathsAndTraversalAre404) {
  EXPECT_EQ(httpGet(server_.httpPort(), "/nope.html").response.result_int(), 404);
  EXPECT_EQ(httpGet(server_.httpPort(), "/%2e%2e/%2e%2e/etc/passwd").response.result_int(), 400);
  EXPECT_EQ(httpGet(server_.httpPort(), "/../../etc/passwd").response.result_int(), 400);
}

TEST_F(Http, WrongMethodIs405WithAllow) {
  auto res = httpRequest(server_.httpPort(), beast_http::verb::post, "/api/public/events");
  EXPECT_EQ(res.response.result_int(), 405);
  EXPECT_EQ(res.response[beast_http::field::allow], "GET");
}

TEST_F(Http, KeepAliveServesManyRequestsOnOneConnection) {
  RawConnection conn(server_.httpPort());
  std::string requests;
  for (int i = 0; i < 3; ++i) requests += "GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n";
  requests += "GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  conn.send(requests);  // pipelined: answered in order, one at a time
  const auto reply = conn.readAll();
  std::size_t count = 0;
  for (auto pos = reply.find("HTTP/1.1 200 OK"); pos != std::string::npos;
       pos = reply.find("HTTP/1.1 200 OK", pos + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 4u) << reply;
}

TEST_F(Http, WebSocketUpgradeToUnknownPathIs404) {
  RawConnection conn(server_.httpPort());
  conn.send(
      "GET /no-such-socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_EQ(conn.readAll().rfind("HTTP/1.1 404", 0), 0u);
}

}  // namespace
}  // namespace throng::testing
