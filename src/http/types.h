// The vocabulary of the HTTP layer: requests, the context a handler sees, and the Responder a
// handler uses to answer — now or later, from any thread.
#pragma once

#include "proto/request_target.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace throng::http {

namespace beast_http = boost::beast::http;
using proto::parseRequestTarget;
using proto::percentDecode;
using proto::RequestTarget;
using Request = beast_http::request<beast_http::string_body>;
using StringResponse = beast_http::response<beast_http::string_body>;

class RouteStats;

struct RequestContext {
  Request request;
  RequestTarget target;
  std::string route_tail;  // for prefix routes: the part of the path after the prefix
  boost::asio::ip::address remote;
};

// Where a response goes. Implemented by the connection; see http/session.h.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void deliver(beast_http::message_generator message, unsigned status, bool keep_alive,
                       RouteStats* stats, std::chrono::steady_clock::time_point started) = 0;
  virtual boost::asio::any_io_executor executor() = 0;
  // True once the connection will close after this response (the server is draining).
  virtual bool closing() const = 0;
};

// Move-only handle for answering one request exactly once. Handlers may keep it and answer
// after asynchronous work (a storage query); send() is safe from any thread (it dispatches to
// the connection's worker). A Responder destroyed unanswered sends 500, so a handler that
// forgets to answer never leaves a client hanging.
class Responder {
 public:
  Responder(std::shared_ptr<ResponseSink> sink, RouteStats* stats, unsigned version,
            bool keep_alive, std::chrono::steady_clock::time_point started)
      : sink_(std::move(sink)), stats_(stats), version_(version), keep_alive_(keep_alive),
        started_(started) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&&) noexcept = default;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  template <class Body, class Fields>
  void send(beast_http::response<Body, Fields>&& response) {
    if (!sink_) return;
    response.version(version_);
    if (!keep_alive_ || sink_->closing()) response.keep_alive(false);
    if (response.find(beast_http::field::content_length) == response.end() &&
        !response.chunked()) {
      response.prepare_payload();
    }
    const unsigned status = response.result_int();
    const bool keep_alive = response.keep_alive();
    auto sink = std::move(sink_);
    if (head_) {
      // HEAD: the same header as GET, no body (RFC 9110 §9.3.2).
      beast_http::response<beast_http::empty_body> head(std::move(response.base()));
      sink->deliver(beast_http::message_generator(std::move(head)), status, keep_alive, stats_,
                    started_);
      return;
    }
    sink->deliver(beast_http::message_generator(std::move(response)), status, keep_alive, stats_,
                  started_);
  }

  // The request was HEAD: send() keeps the header (Content-Length included), drops the body.
  void setHead(bool head) { head_ = head; }

  // Shorthands for the common answers. Error bodies are one line of text giving the reason.
  void text(beast_http::status status, std::string body,
            std::string_view content_type = "text/plain; charset=utf-8");
  void json(beast_http::status status, std::string body);
  void error(beast_http::status status, std::string reason);

  boost::asio::any_io_executor executor() const { return sink_->executor(); }
  bool answered() const { return !sink_; }

 private:
  std::shared_ptr<ResponseSink> sink_;
  RouteStats* stats_;
  unsigned version_;
  bool keep_alive_;
  bool head_ = false;
  std::chrono::steady_clock::time_point started_;
};

using Handler = std::function<void(RequestContext& context, Responder responder)>;

// Common response construction, for handlers and for the connection's own error answers.
StringResponse makeTextResponse(beast_http::status status, std::string body,
                                std::string_view content_type, unsigned version = 11);

}  // namespace throng::http
