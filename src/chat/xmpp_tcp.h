// XMPP over TCP (RFC 6120), port 5222 by default: one SO_REUSEPORT acceptor per worker; each
// connection stays on the worker that accepted it. STARTTLS is not offered yet, so PLAIN is
// available only from loopback; SCRAM works everywhere.
#pragma once

#include "base/result.h"
#include "chat/chat_service.h"

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace throng::chat {

struct XmppTcpOptions {
  boost::asio::ip::tcp::endpoint endpoint;
  int backlog = 4096;
  // Bytes a connection may have queued for writing before it is dropped as too slow.
  std::size_t outbox_budget_bytes = 1024 * 1024;
};

struct XmppTcpCounters {
  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> dropped_slow{0};
};

class XmppTcpServer {
 public:
  // Non-owning: service and workers outlive the server. Destroy it before the workers'
  // io_contexts (its acceptors belong to them).
  XmppTcpServer(XmppTcpOptions options, ChatService& service, std::vector<net::Worker*> workers);
  ~XmppTcpServer();

  Result<std::uint16_t> listen();
  void start();
  void beginDrain();  // stop accepting; open streams are closed with system-shutdown

  const XmppTcpCounters& counters() const { return *counters_; }

 private:
  struct Slot;
  void accept(Slot& slot);

  XmppTcpOptions options_;
  ChatService& service_;
  std::shared_ptr<XmppTcpCounters> counters_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace throng::chat
