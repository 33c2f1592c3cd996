// A synchronous-looking WebSocket client for tests (Beast): each call starts one asynchronous
// operation and runs the client's own io_context until it completes or kWait passes (then the
// socket is closed and the call reports timed_out). Also reads raw frame headers, to check
// how the server framed a message.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace throng::testing {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;

class WebSocketClient {
 public:
  using tcp = boost::asio::ip::tcp;

  // Long enough never to fire on a healthy run; short enough that a broken server fails the
  // test instead of hanging it.
  static constexpr std::chrono::seconds kWait{10};

  explicit WebSocketClient(std::uint16_t port) : port_(port) {}
  ~WebSocketClient() {
    boost::system::error_code ignored;
    ws_.next_layer().close(ignored);
    io_.restart();
    io_.run_for(std::chrono::seconds(1));  // let cancelled handlers finish while their captures are alive
  }

  // Before connect(): a small SO_RCVBUF makes a slow reader.
  void setReceiveBuffer(int bytes) {
    ws_.next_layer().open(tcp::v4());
    ws_.next_layer().set_option(asio::socket_base::receive_buffer_size(bytes));
  }

  // TCP connect and WebSocket handshake at `target`, offering `protocols` if non-empty.
  boost::system::error_code connect(const std::string& target, const std::string& protocols = "") {
    auto ec = run([&](auto done) {
      ws_.next_layer().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                     done);
    });
    if (ec) return ec;
    if (!protocols.empty()) {
      ws_.set_option(websocket::stream_base::decorator([protocols](websocket::request_type& req) {
        req.set(boost::beast::http::field::sec_websocket_protocol, protocols);
      }));
    }
    return run([&](auto done) {
      ws_.async_handshake(response_, "127.0.0.1:" + std::to_string(port_), target, done);
    });
  }

  boost::system::error_code write(const std::string& text) {
    ws_.text(true);
    return run([&](auto done) { ws_.async_write(asio::buffer(text), done); });
  }

  // One message into `out`.
  boost::system::error_code read(std::string* out) {
    boost::beast::flat_buffer buffer;
    auto ec = run([&](auto done) { ws_.async_read(buffer, done); });
    if (!ec) out->assign(boost::beast::buffers_to_string(buffer.data()));
    return ec;
  }

  boost::system::error_code close() {
    return run([&](auto done) { ws_.async_close(websocket::close_code::normal, done); });
  }

  // The next frame's header straight off the socket, bypassing the WebSocket layer: whether
  // it is final, and its payload length (RFC 6455 §5.2). The payload is read and dropped.
  struct Frame {
    bool fin = false;
    std::uint64_t length = 0;
  };
  boost::system::error_code readRawFrame(Frame* frame) {
    std::array<unsigned char, 10> header{};
    auto ec = readRaw(header.data(), 2);
    if (ec) return ec;
    frame->fin = (header[0] & 0x80) != 0;
    std::uint64_t length = header[1] & 0x7f;
    const std::size_t extra = length == 126 ? 2 : length == 127 ? 8 : 0;
    if (extra != 0) {
      ec = readRaw(header.data() + 2, extra);
      if (ec) return ec;
      length = 0;
      for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | header[2 + i];
    }
    frame->length = length;
    std::vector<unsigned char> payload(length);
    return length == 0 ? ec : readRaw(payload.data(), length);
  }

  const websocket::response_type& response() const { return response_; }
  websocket::stream<tcp::socket>& stream() { return ws_; }
  const websocket::close_reason& reason() const { return ws_.reason(); }

 private:
  template <class Start>
  boost::system::error_code run(Start&& start) {
    bool finished = false;
    boost::system::error_code result;
    start([&](boost::system::error_code ec, auto&&...) {
      finished = true;
      result = ec;
    });
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!finished && io_.run_one_until(deadline) != 0) {
    }
    if (finished) return result;
    boost::system::error_code ignored;
    ws_.next_layer().close(ignored);
    io_.restart();
    while (!finished && io_.run_one_for(std::chrono::seconds(1)) != 0) {
    }
    return asio::error::timed_out;
  }

  boost::system::error_code readRaw(unsigned char* data, std::size_t n) {
    return run([&](auto done) { asio::async_read(ws_.next_layer(), asio::buffer(data, n), done); });
  }

  asio::io_context io_;
  std::uint16_t port_;
  websocket::stream<tcp::socket> ws_{io_};
  websocket::response_type response_;
};

}  // namespace throng::testing
