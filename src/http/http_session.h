// Internal: one HTTP/1.1 connection over a plain or TLS stream. Reads one request at a time
// (pipelined bytes wait in the buffer), answers through a Responder, keeps alive.
//
// Limits and their answers: request line > max_request_line_bytes → 414; header block >
// max_header_bytes → 431; body > max_body_bytes → 413; bad chunked encoding or any other
// syntax error → 400 with Beast's reason; a header not complete within header_timeout → 408
// (or a silent close if nothing at all arrived). Every error answer closes the connection.
#pragma once

#include "http/connection.h"
#include "http/websocket_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <optional>
#include <type_traits>

namespace throng::http {

namespace beast = boost::beast;

template <class Stream>
inline constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

template <class Stream>
class HttpSession final : public Connection,
                          public ResponseSink,
                          public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  template <class... Args>
  HttpSession(ConnectionContext context, boost::asio::ip::address remote, Args&&... stream_args)
      : Connection(std::move(context)), stream_(std::forward<Args>(stream_args)...),
        remote_(std::move(remote)), read_timer_(stream_.get_executor()) {}

  void run() {
    if constexpr (kIsTls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(context_.options->limits.header_timeout);
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // not TLS, or too slow: just close
                                beast::get_lowest_layer(self->stream_).expires_never();
                                self->readHeader();
                              });
    } else {
      readHeader();
    }
  }

  void deliver(beast_http::message_generator message, unsigned status, bool keep_alive,
               RouteStats* stats, std::chrono::steady_clock::time_point started) override {
    boost::asio::dispatch(
        stream_.get_executor(),
        [self = this->shared_from_this(), message = std::move(message), status, keep_alive,
         stats, started]() mutable {
          self->write(std::move(message), status, keep_alive, stats, started);
        });
  }

  boost::asio::any_io_executor executor() override { return stream_.get_executor(); }
  // The server-wide flag is set by beginDrain() at once, before drain() reaches this worker
  // (which may be busy), so a response finished meanwhile already says "Connection: close".
  bool closing() const override {
    return draining_.load(std::memory_order_relaxed) ||
           context_.counters->draining.load(std::memory_order_relaxed);
  }

  void drain() override {
    draining_ = true;
    // Waiting for a request that has not started: nothing is lost by closing now.
    if (state_ == State::kIdle && buffer_.size() == 0) cancelRead();
  }

 private:
  enum class State { kIdle, kReadingHeader, kReadingBody, kHandling, kWriting, kClosing };

  const ServerLimits& limits() const { return context_.options->limits; }

  void readHeader() {
    if (draining_) {
      shutdown();
      return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
    parser_->body_limit(limits().max_body_bytes);
    state_ = buffer_.size() == 0 ? State::kIdle : State::kReadingHeader;
    armReadTimer(state_ == State::kIdle && requests_ > 0 ? limits().idle_timeout
                                                         : limits().header_timeout);
    beast_http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          self->onHeader(ec);
        });
  }

  void onHeader(beast::error_code ec) {
    if (ec) {
      onReadError(ec);
      return;
    }
    started_ = std::chrono::steady_clock::now();
    auto& request = parser_->get();
    if (request.target().size() > limits().max_request_line_bytes) {
      fail(beast_http::status::uri_too_long, "request target too long");
      return;
    }
    if (beast::websocket::is_upgrade(request)) {
      // An upgrade carries no body; finish reading the message (header only) and hand over.
      upgradeToWebSocket();
      return;
    }
    state_ = State::kReadingBody;
    armReadTimer(limits().body_timeout);
    if (beast::iequals(request[beast_http::field::expect], "100-continue") &&
        !parser_->is_done()) {
      // RFC 9110 §10.1.1: tell the client to send the body it announced.
      continue_.emplace(beast_http::status::continue_, request.version());
      beast_http::async_write(stream_, *continue_,
                              [self = this->shared_from_this()](beast::error_code wec,
                                                                std::size_t) {
                                if (wec) return;
                                self->readBody();
                              });
      return;
    }
    readBody();
  }

  void readBody() {
    beast_http::async_read(stream_, buffer_, *parser_,
                           [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) {
                               self->onReadError(ec);
                               return;
                             }
                             self->read_timer_.cancel();
                             self->handle();
                           });
  }

  void handle() {
    state_ = State::kHandling;
    ++requests_;
    RequestContext context;
    context.request = parser_->release();
    context.remote = remote_;
    auto target = parseRequestTarget(context.request.target());
    if (!target) {
      fail(beast_http::status::bad_request, "malformed request target");
      return;
    }
    context.target = std::move(*target);
    const bool keep_alive = context.request.keep_alive() && !draining_;
    const bool head = context.request.method() == beast_http::verb::head;
    auto match = context_.router->find(context.request.method(), context.target.path);
    Responder responder(this->shared_from_this(), match.stats, context.request.version(),
                        keep_alive, started_);
    responder.setHead(head);
    if (!match.handler) {
      if (!match.allow.empty()) {
        auto response = makeTextResponse(beast_http::status::method_not_allowed,
                                         "method not allowed\n", "text/plain; charset=utf-8");
        response.set(beast_http::field::allow, match.allow);
        responder.send(std::move(response));
      } else {
        responder.error(beast_http::status::not_found, "not found");
      }
      return;
    }
    context.route_tail = std::move(match.tail);
    (*match.handler)(context, std::move(responder));
  }

  void write(beast_http::message_generator message, unsigned status, bool keep_alive,
             RouteStats* stats, std::chrono::steady_clock::time_point started) {
    state_ = State::kWriting;
    // A client gets idle_timeout to read the response before it is dropped.
    beast::get_lowest_layer(stream_).expires_after(limits().idle_timeout);
    beast::async_write(
        stream_, std::move(message),
        [self = this->shared_from_this(), status, keep_alive, stats, started](
            beast::error_code ec, std::size_t) {
          beast::get_lowest_layer(self->stream_).expires_never();
          if (stats) {
            stats->record(status, std::chrono::duration<double>(
                                      std::chrono::steady_clock::now() - started)
                                      .count());
          }
          if (ec) return;  // the client went away; the session ends with the last reference
          if (!keep_alive || self->draining_ || self->close_after_write_) {
            self->shutdown();
            return;
          }
          self->readHeader();
        });
  }

  void onReadError(beast::error_code ec) {
    read_timer_.cancel();
    using errc = beast_http::error;
    if (timed_out_) {
      context_.counters->timed_out.fetch_add(1, std::memory_order_relaxed);
      const bool partial = buffer_.size() > 0 || (parser_ && parser_->got_some());
      if (partial && !kIsTls<Stream>) {
        fail(beast_http::status::request_timeout, "request not complete in time");
      } else {
        shutdown();
      }
      return;
    }
    if (ec == errc::end_of_stream || ec == boost::asio::error::eof ||
        ec == boost::asio::error::connection_reset || ec == boost::asio::error::operation_aborted ||
        ec == boost::asio::ssl::error::stream_truncated) {
      shutdown();  // the client closed, or drain() cancelled an idle read
      return;
    }
    context_.counters->bad_requests.fetch_add(1, std::memory_order_relaxed);
    if (ec == errc::header_limit) {
      fail(requestLineTooLong() ? beast_http::status::uri_too_long
                                : beast_http::status::request_header_fields_too_large,
           requestLineTooLong() ? "request line too long" : "request header too large");
    } else if (ec == errc::body_limit) {
      fail(beast_http::status::payload_too_large, "request body too large");
    } else if (ec == errc::bad_chunk || ec == errc::bad_chunk_extension) {
      fail(beast_http::status::bad_request, "invalid chunked encoding");
    } else if (ec.category() == beast_http::make_error_code(errc::bad_method).category()) {
      fail(beast_http::status::bad_request, "malformed request: " + ec.message());
    } else {
      shutdown();
    }
  }

  // At header_limit: if the parser never completed the request line (the target is still
  // unset), the line itself was too long (414); otherwise the fields were (431).
  bool requestLineTooLong() const { return parser_ && parser_->get().target().empty(); }

  // Answers an error the connection itself detected and closes afterwards.
  void fail(beast_http::status status, std::string reason) {
    close_after_write_ = true;
    auto& stats = context_.router->connectionStats();
    Responder responder(this->shared_from_this(), &stats, 11, false,
                        started_ == std::chrono::steady_clock::time_point{}
                            ? std::chrono::steady_clock::now()
                            : started_);
    responder.error(status, std::move(reason));
  }

  void upgradeToWebSocket() {
    read_timer_.cancel();
    beast_http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) {
            self->onReadError(ec);
            return;
          }
          self->startWebSocket();
        });
  }

  void startWebSocket() {
    Request upgrade = parser_->release();
    auto target = parseRequestTarget(upgrade.target());
    WebSocketHandler* handler = target ? context_.router->findWebSocket(target->path) : nullptr;
    if (handler == nullptr || draining_) {
      fail(draining_ ? beast_http::status::service_unavailable : beast_http::status::not_found,
           draining_ ? "server is shutting down" : "no WebSocket endpoint at this path");
      return;
    }
    if (!handler->subprotocol().empty() &&
        !offersSubprotocol(upgrade[beast_http::field::sec_websocket_protocol],
                           handler->subprotocol())) {
      fail(beast_http::status::bad_request,
           "WebSocket subprotocol '" + std::string(handler->subprotocol()) + "' required");
      return;
    }
    if (buffer_.size() != 0) {
      // A client may not send frames before the handshake answer (RFC 6455 §4.1).
      fail(beast_http::status::bad_request, "data before the WebSocket handshake completed");
      return;
    }
    state_ = State::kClosing;
    auto ws = std::make_shared<WebSocketSession<Stream>>(context_, std::move(stream_), *handler,
                                                         remote_);
    ws->accept(std::move(upgrade));
  }

  static bool offersSubprotocol(std::string_view header, std::string_view wanted) {
    while (!header.empty()) {
      auto comma = header.find(',');
      auto item = header.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item == wanted) return true;
      if (comma == std::string_view::npos) break;
      header.remove_prefix(comma + 1);
    }
    return false;
  }

  void armReadTimer(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    read_timer_.expires_after(timeout);
    read_timer_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        self->timed_out_ = true;
        self->cancelRead();
      }
    });
  }

  void cancelRead() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().cancel(ignored);
  }

  void shutdown() {
    state_ = State::kClosing;
    read_timer_.cancel();
    if constexpr (kIsTls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  boost::asio::ip::address remote_;
  beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  std::optional<beast_http::response<beast_http::empty_body>> continue_;
  boost::asio::steady_timer read_timer_;
  std::chrono::steady_clock::time_point started_{};
  State state_ = State::kIdle;
  std::uint64_t requests_ = 0;
  bool timed_out_ = false;
  std::atomic<bool> draining_{false};  // read by Responder::send from any thread
  bool close_after_write_ = false;
};

}  // namespace throng::http
