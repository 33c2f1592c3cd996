// Small blocking HTTP clients for tests: a Beast client for well-formed requests, and a raw
// socket for the malformed ones a real client library would never send.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <string>

namespace throng::testing {

namespace beast_http = boost::beast::http;
using Response = beast_http::response<beast_http::string_body>;

struct HttpResult {
  Response response;
  std::chrono::microseconds elapsed{};
};

// One request on a fresh connection to 127.0.0.1:port (5 s timeout).
HttpResult httpRequest(std::uint16_t port, beast_http::verb method, const std::string& target,
                       const std::string& body = "", const std::string& content_type = "",
                       const std::string& bearer = "");
// GET with a raw Authorization header value (e.g. "Basic ..."); empty sends none.
HttpResult httpGetWithAuthorization(std::uint16_t port, const std::string& target,
                                    const std::string& authorization);
inline HttpResult httpGet(std::uint16_t port, const std::string& target,
                          const std::string& bearer = "") {
  return httpRequest(port, beast_http::verb::get, target, "", "", bearer);
}

// A raw TCP connection to 127.0.0.1:port.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  void send(const std::string& bytes);
  // Reads until the peer closes or `limit` passes; returns what arrived.
  std::string readAll(std::chrono::milliseconds limit = std::chrono::milliseconds(5000));
  // True if the peer closed the connection within `limit`.
  bool closedWithin(std::chrono::milliseconds limit);

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
};

}  // namespace throng::testing
