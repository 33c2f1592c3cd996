// The load generator's XMPP client transports: TCP (RFC 6120) and WebSocket (RFC 7395, Beast).
// Both hand the client whole depth-1 elements as raw bytes, so the client state machine
// (chat_client.h) does not know which one it runs on.
//
// Threading: a transport lives on one io_context thread with its client; every method and
// callback runs there. After close() no callback runs again.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace throng::bench {

class TransportListener {
 public:
  virtual ~TransportListener() = default;
  virtual void onTransportConnected() = 0;
  // A complete depth-1 element: its name as written (prefix included) and its raw bytes. Both
  // views are valid during the call only.
  virtual void onTransportElement(std::string_view name, std::string_view raw) = 0;
  // The server ended its stream (</stream:stream>, or <close/> over WebSocket).
  virtual void onTransportStreamClosed() = 0;
  // The connection failed or closed; `reason` says how.
  virtual void onTransportLost(std::string reason) = 0;
};

class ClientTransport {
 public:
  virtual ~ClientTransport() = default;
  // Binds the socket to `source` (any 127/8 address; port chosen at connect time) and connects.
  virtual void connect(const boost::asio::ip::tcp::endpoint& target,
                       const boost::asio::ip::address_v4& source) = 0;
  // Opens the stream to `to` (RFC 6120 §4.2 header, or RFC 7395 <open/>); called again for the
  // restart after SASL (§4.3.3), possibly from inside onTransportElement.
  virtual void openStream(std::string_view to) = 0;
  // Queues one stanza; writes go out in order.
  virtual void send(std::string stanza) = 0;
  // Ends our stream (</stream:stream> or <close/>, RFC 6120 §4.4); the socket stays open for
  // the server's answer.
  virtual void closeStream() = 0;
  // Closes the socket now. Idempotent.
  virtual void close() = 0;
  virtual std::uint64_t bytesReceived() const = 0;
};

// `listener` must outlive the transport.
std::unique_ptr<ClientTransport> makeTcpTransport(boost::asio::io_context& io,
                                                  TransportListener& listener);
// `host` is the Host header, `path` the endpoint (e.g. "/xmpp-websocket").
std::unique_ptr<ClientTransport> makeWebSocketTransport(boost::asio::io_context& io,
                                                        TransportListener& listener,
                                                        std::string host, std::string path);

}  // namespace throng::bench
