#include "http/server.h"

#include "base/log.h"
#include "http/http_session.h"
#include "net/listen.h"
#include "net/worker.h"

#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

namespace throng::http {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Server::Slot {
  net::Worker* worker;
  std::optional<tcp::acceptor> acceptor;
  std::shared_ptr<ConnectionRegistry> registry = std::make_shared<ConnectionRegistry>();
  std::optional<asio::steady_timer> retry_timer;
};

Server::Server(ServerOptions options, Router& router, std::vector<net::Worker*> workers)
    : options_(std::move(options)), router_(router),
      counters_(std::make_shared<ServerCounters>()) {
  for (auto* worker : workers) {
    auto slot = std::make_unique<Slot>();
    slot->worker = worker;
    slots_.push_back(std::move(slot));
  }
}

Server::~Server() = default;

Result<std::uint16_t> Server::listen() {
  auto port = net::listenOnSlots(slots_, options_.endpoint, options_.backlog);
  if (port) port_ = *port;
  return port;
}

void Server::start() {
  for (auto& slot : slots_) {
    Slot* s = slot.get();
    s->worker->post([this, s] { accept(*s); });
  }
}

void Server::accept(Slot& slot) {
  if (!slot.acceptor || !slot.acceptor->is_open()) return;
  slot.acceptor->async_accept(slot.worker->context(), [this, &slot](boost::system::error_code ec,
                                                                     tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // drain closed the acceptor
    if (ec) {
      // EMFILE/ENFILE and friends: back off briefly instead of spinning on the error.
      static LogRateLimit limit(std::chrono::seconds(5));
      if (limit.allow() >= 0) spdlog::warn("{}: accept failed: {}", options_.name, ec.message());
      slot.retry_timer.emplace(slot.worker->context(), std::chrono::milliseconds(50));
      slot.retry_timer->async_wait([this, &slot](boost::system::error_code) { accept(slot); });
      return;
    }
    counters_->accepted.fetch_add(1, std::memory_order_relaxed);
    if (counters_->open_connections.load(std::memory_order_relaxed) >=
        options_.limits.max_connections) {
      counters_->rejected_over_limit.fetch_add(1, std::memory_order_relaxed);
      // Best effort, never blocking: the socket is new, so its send buffer is empty.
      static constexpr std::string_view kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 24\r\nConnection: close\r\n"
          "Retry-After: 5\r\n\r\ntoo many connections, retry\n";
      boost::system::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ignored);
      socket.close(ignored);
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto remote = socket.remote_endpoint(ignored).address();
      ConnectionContext context{&options_, &router_, counters_, slot.registry};
      if (options_.tls != nullptr) {
        using TlsStream = beast::ssl_stream<beast::tcp_stream>;
        std::make_shared<HttpSession<TlsStream>>(std::move(context), remote, std::move(socket),
                                                 *options_.tls)
            ->run();
      } else {
        std::make_shared<HttpSession<beast::tcp_stream>>(std::move(context), remote,
                                                         std::move(socket))
            ->run();
      }
    }
    accept(slot);
  });
}

void Server::beginDrain() {
  counters_->draining.store(true);
  for (auto& slot : slots_) {
    Slot* s = slot.get();
    s->worker->post([s] {
      if (s->acceptor) {
        boost::system::error_code ignored;
        s->acceptor->close(ignored);
      }
      if (s->retry_timer) s->retry_timer->cancel();
      s->registry->forEach([](Connection& c) { c.drain(); });
    });
  }
}

}  // namespace throng::http
