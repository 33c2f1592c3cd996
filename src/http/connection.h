// Internal to the HTTP layer: what every connection (HTTP or WebSocket) shares — the
// per-worker registry that drain walks, and the server-wide counters.
#pragma once

#include "http/server.h"

#include <memory>
#include <unordered_set>

namespace throng::http {

class Connection;

// The live connections of one worker. Touched only on that worker's thread.
class ConnectionRegistry {
 public:
  void add(Connection* c) { connections_.insert(c); }
  void remove(Connection* c) { connections_.erase(c); }
  template <class F>
  void forEach(F&& f) {
    // Copy: drain() may end a connection, which removes it from the set.
    std::vector<Connection*> snapshot(connections_.begin(), connections_.end());
    for (auto* c : snapshot) {
      if (connections_.count(c) != 0) f(*c);
    }
  }

 private:
  std::unordered_set<Connection*> connections_;
};

struct ConnectionContext {
  const ServerOptions* options;  // owned by the Server; valid while any worker runs
  Router* router;
  std::shared_ptr<ServerCounters> counters;
  std::shared_ptr<ConnectionRegistry> registry;
};

class Connection {
 public:
  explicit Connection(ConnectionContext context) : context_(std::move(context)) {
    context_.counters->open_connections.fetch_add(1, std::memory_order_relaxed);
    context_.registry->add(this);
  }
  virtual ~Connection() {
    context_.registry->remove(this);
    context_.counters->open_connections.fetch_sub(1, std::memory_order_relaxed);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Close politely: finish what is in flight, then close.
  virtual void drain() = 0;

 protected:
  ConnectionContext context_;
};

}  // namespace throng::http
