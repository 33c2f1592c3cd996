// ClientStream: one client-to-server XMPP stream, from the first byte to a bound resource
// (RFC 6120 §4 streams, §6 SASL, §7 resource binding), over TCP or over WebSocket
// (RFC 7395 framing). Transport-agnostic and free of I/O: bytes come in through onBytes(),
// bytes go out through the ClientStreamTransport, so tests drive a whole negotiation step by
// step without sockets.
//
// After binding, every stanza the client sends goes to the ClientStreamListener with its
// 'from' stamped to the client's full JID (RFC 6120 §8.1.2.1); routing, MUC and the rest
// live there, not here.
//
// Threading: a ClientStream lives on the worker that owns its connection.
#pragma once

#include "base/shared_bytes.h"
#include "chat/chat_options.h"
#include "chat/routed_stanza.h"
#include "chat/stream_counters.h"
#include "chat/sasl/mechanism.h"
#include "chat/sasl/scram.h"
#include "proto/jid.h"
#include "proto/xml_element.h"
#include "proto/xml_stream.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace throng::chat {

// Implemented by the connection (TCP socket or WebSocket).
class ClientStreamTransport {
 public:
  virtual ~ClientStreamTransport() = default;
  // Queues bytes: over WebSocket exactly one frame (one complete element, RFC 7395 §3.3.3).
  virtual void send(SharedBytes bytes) = 0;
  // Queues one stanza made of several pieces (RoutedStanza: head, recipient, tail) without
  // copying them. A kSheddable stanza may be dropped when the outbox is under pressure;
  // returns false when it was.
  virtual bool sendPieces(const SharedBytes& head, const SharedBytes& to, const SharedBytes& tail,
                          Delivery delivery) = 0;
  // Closes after the queued bytes are written.
  virtual void close() = 0;
};

// Implemented by the chat core.
class ClientStreamListener {
 public:
  virtual ~ClientStreamListener() = default;
  virtual void onStreamBound(class ClientStream& stream) = 0;
  virtual void onClientStanza(ClientStream& stream, proto::XmlElement stanza) = 0;
  // The stream ended (closed by either side, or a stream error). Called once, only after
  // onStreamBound.
  virtual void onStreamUnbound(ClientStream& stream) = 0;
};

struct ClientStreamOptions {
  bool framed = false;         // WebSocket (RFC 7395) rather than a TCP stream
  bool plain_allowed = false;  // PLAIN only over TLS or loopback (RFC 6120 §6.4.2)
  StreamCounters* counters = nullptr;  // the worker's; null in tests that do not count
};

class ClientStream final : public proto::XmlStreamListener {
 public:
  using CredentialLookup = std::function<std::optional<sasl::ScramCredentials>(
      std::string_view username, sasl::ScramHash hash)>;
  using PasswordCheck = std::function<bool(std::string_view user, std::string_view password)>;

  // Non-owning: options, transport and listener outlive the stream. `random_id` makes stream
  // ids, SCRAM nonces and generated resources (tests inject a deterministic one).
  ClientStream(const ChatOptions& chat, ClientStreamOptions options,
               ClientStreamTransport& transport, ClientStreamListener& listener,
               CredentialLookup credentials, std::function<std::string()> random_id);
  ~ClientStream() override;

  // Bytes from the transport: any chunk of a TCP stream, or one WebSocket message.
  void onBytes(std::string_view bytes);
  // The transport closed underneath us.
  void onTransportClosed();

  // Sends a stanza to the client (the chat core's way out).
  void sendStanza(const proto::XmlElement& stanza);
  // Sends a stanza serialized once for many recipients, addressed to this client.
  void sendRouted(const RoutedStanza& stanza);
  // Sends a stream error (RFC 6120 §4.9) and closes the stream.
  void fail(std::string_view condition, std::string_view text = {});

  bool bound() const { return state_ == State::kBound; }
  const proto::Jid& jid() const { return *jid_; }  // only once bound()
  // The full JID, attribute-escaped, as the 'to' of a RoutedStanza (only once bound()).
  const SharedBytes& address() const { return address_; }
  bool anonymous() const { return anonymous_; }
  const std::string& streamId() const { return stream_id_; }

 private:
  enum class State { kAwaitingHeader, kAuthenticating, kAwaitingRestart, kBinding, kBound, kClosed };

  // proto::XmlStreamListener
  void onStreamOpen(const proto::XmlElement& header) override;
  void onStanza(proto::XmlElement stanza) override;
  void onStreamClose() override;

  void sendHeader();
  void sendFeatures();
  void sendRaw(std::string bytes);
  void onSaslElement(const proto::XmlElement& element);
  void answerSasl(const sasl::SaslOutcome& outcome);
  void onBindingStanza(proto::XmlElement stanza);
  void bindResource(const proto::XmlElement& iq);
  void closeStream();
  std::string stanzaString(const proto::XmlElement& stanza) const;

  const ChatOptions& chat_;
  const ClientStreamOptions options_;
  ClientStreamTransport& transport_;
  ClientStreamListener& listener_;
  CredentialLookup credentials_;
  std::function<std::string()> random_id_;
  proto::XmlStreamParser parser_;

  State state_ = State::kAwaitingHeader;
  std::string host_;  // the domain the client asked for in 'to'
  std::string stream_id_;
  std::string username_;
  bool anonymous_ = false;
  bool authenticated_ = false;
  std::unique_ptr<sasl::ServerMechanism> mechanism_;  // allocated by this, during SASL
  std::optional<proto::Jid> jid_;  // set by resource binding
  SharedBytes address_;            // jid_, escaped for an attribute
};

}  // namespace throng::chat
