// XMPP over TCP (RFC 6120), port 5222 by default: one SO_REUSEPORT acceptor per worker; each
// connection stays on the worker that accepted it. With a certificate, STARTTLS (RFC 6120 §5)
// is offered, and required before SASL from anywhere but loopback; PLAIN is available over TLS
// or from loopback, SCRAM everywhere.
#pragma once

#include "base/result.h"
#include "chat/chat_service.h"
#include "chat/transport_counters.h"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace throng::chat {

struct XmppTcpOptions {
  boost::asio::ip::tcp::endpoint endpoint;
  int backlog = 4096;
  // Bytes a connection may have queued for writing before it is dropped as too slow. 1 MiB
  // holds a few seconds of a busy room for a reader on a slow link.
  std::size_t outbox_budget_bytes = 1024 * 1024;
  // xmpp.fanout_flush_ms: a connection that wrote less than this ago holds room fan-out back
  // until then, so that one write carries several stanzas (write_pacer.h). Zero: every
  // stanza is written at once. 50 ms is a few messages of a busy room per write, and well
  // inside what a reader notices.
  std::chrono::milliseconds fanout_flush{50};
  // Non-owning, outlives the server. Set: STARTTLS is offered (RFC 6120 §5).
  boost::asio::ssl::context* tls = nullptr;
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

  const TransportCounters& counters() const { return *counters_; }
  bool tlsOffered() const { return options_.tls != nullptr; }

 private:
  struct Slot;
  void accept(Slot& slot);

  XmppTcpOptions options_;
  ChatService& service_;
  std::shared_ptr<TransportCounters> counters_;  // shared with connections, which may outlive us
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace throng::chat
