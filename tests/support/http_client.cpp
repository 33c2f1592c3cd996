#include "support/http_client.h"

#include <boost/beast/core.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <gtest/gtest.h>

#include <poll.h>

namespace throng::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

HttpResult exchange(std::uint16_t port, beast_http::verb method, const std::string& target,
                    const std::string& body, const std::string& content_type,
                    const std::string& authorization) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(5));
  const auto start = std::chrono::steady_clock::now();
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  beast_http::request<beast_http::string_body> request{method, target, 11};
  request.set(beast_http::field::host, "127.0.0.1");
  if (!content_type.empty()) request.set(beast_http::field::content_type, content_type);
  if (!authorization.empty()) request.set(beast_http::field::authorization, authorization);
  request.body() = body;
  request.prepare_payload();
  beast_http::write(stream, request);
  beast::flat_buffer buffer;
  HttpResult result;
  beast_http::response_parser<beast_http::string_body> parser;
  parser.skip(method == beast_http::verb::head);
  beast_http::read(stream, buffer, parser);
  result.response = parser.release();
  result.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace

HttpResult httpRequest(std::uint16_t port, beast_http::verb method, const std::string& target,
                       const std::string& body, const std::string& content_type,
                       const std::string& bearer) {
  return exchange(port, method, target, body, content_type,
                  bearer.empty() ? "" : "Bearer " + bearer);
}

HttpResult httpGetWithAuthorization(std::uint16_t port, const std::string& target,
                                    const std::string& authorization) {
  return exchange(port, beast_http::verb::get, target, "", "", authorization);
}

RawConnection::RawConnection(std::uint16_t port) : socket_(io_) {
  socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

void RawConnection::send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

std::string RawConnection::readAll(std::chrono::milliseconds limit) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{socket_.native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    boost::system::error_code ec;
    const auto n = socket_.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

bool RawConnection::closedWithin(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{socket_.native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(buf), ec);
    if (ec) return true;
  }
}

}  // namespace throng::testing
