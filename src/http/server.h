// An HTTP/1.1 server (Boost.Beast) spread over workers: one SO_REUSEPORT acceptor per worker;
// each connection lives and dies on the worker that accepted it. Used twice: the public port
// on the data-plane workers, and the control plane on its own thread (design.md §3).
#pragma once

#include "base/result.h"
#include "http/router.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace throng::net {
class Worker;
}

namespace throng::http {

struct ServerLimits {
  std::size_t max_request_line_bytes = 8192;  // longer: 414 (RFC 9112 §3)
  std::size_t max_header_bytes = 16384;       // larger: 431 (RFC 6585 §5)
  std::size_t max_body_bytes = 1 << 20;       // larger: 413
  // The whole header must arrive within this time (stops slowloris trickles): 408.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  // A kept-alive connection with no request in flight is closed after this; also the time a
  // client gets to read a response before it is dropped.
  std::chrono::milliseconds idle_timeout{60000};
  std::int64_t max_connections = 100000;  // more: 503 and close
};

struct ServerOptions {
  std::string name = "public";  // the label in metrics and logs
  boost::asio::ip::tcp::endpoint endpoint;
  int backlog = 4096;
  ServerLimits limits;
  boost::asio::ssl::context* tls = nullptr;  // non-owning; set = every connection is TLS
};

struct ServerCounters {
  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> rejected_over_limit{0};
  std::atomic<std::uint64_t> timed_out{0};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> websocket_upgrades{0};
  std::atomic<bool> draining{false};
};

class ConnectionRegistry;

class Server {
 public:
  // `router` must outlive the server and be fully built before listen().
  Server(ServerOptions options, Router& router, std::vector<net::Worker*> workers);
  ~Server();

  // Opens one acceptor per worker on the configured endpoint (port 0: the first acceptor
  // picks a port, the others join it). Returns the bound port, or an Error naming the address.
  Result<std::uint16_t> listen();
  // Starts accepting on every worker. The workers may already be running.
  void start();
  // Stops accepting; idle connections close now, busy ones after their response (with
  // "Connection: close"); WebSockets are closed with 1001 (going away).
  void beginDrain();

  const ServerCounters& counters() const { return *counters_; }
  const Router& router() const { return router_; }
  const ServerOptions& options() const { return options_; }
  std::uint16_t port() const { return port_; }

 private:
  struct Slot;
  void accept(Slot& slot);

  ServerOptions options_;
  Router& router_;
  std::shared_ptr<ServerCounters> counters_;  // shared with connections, which may outlive us
  std::vector<std::unique_ptr<Slot>> slots_;  // one per worker; allocated by this
  std::uint16_t port_ = 0;
};

}  // namespace throng::http
