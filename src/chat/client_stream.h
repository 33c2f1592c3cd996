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
// Also here, because they are per-stream policy rather than transport mechanics: STARTTLS
// (RFC 6120 §5) over TCP, the per-connection rate limits (stream_rate_limit.h), and the
// authentication deadline, idle pings and connection-timeout (stream_liveness.h).
//
// Threading: a ClientStream lives on the worker that owns its connection.
#pragma once

#include "base/shared_bytes.h"
#include "chat/chat_options.h"
#include "chat/routed_stanza.h"
#include "chat/stream_counters.h"
#include "chat/stream_liveness.h"
#include "chat/stream_rate_limit.h"
#include "chat/sasl/mechanism.h"
#include "chat/sasl/scram.h"
#include "proto/jid.h"
#include "proto/xml_element.h"
#include "proto/xml_stream.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace throng::chat {

// What became of bytes handed to a transport (style.md rule 4: backpressure is a value).
enum class SendOutcome {
  kQueued,  // in the outbox
  kShed,    // a kSheddable stanza, dropped: the outbox is past half its budget
  kCutOff,  // the outbox budget is spent: the transport has dropped the connection, unannounced
            // (the peer is not reading, so a stream error would only queue behind the rest)
  kClosed,  // the connection is closing or gone; nothing was queued
};

// Implemented by the connection (TCP socket or WebSocket).
class ClientStreamTransport {
 public:
  virtual ~ClientStreamTransport() = default;
  // Queues bytes: over WebSocket exactly one frame (one complete element, RFC 7395 §3.3.3).
  virtual SendOutcome send(SharedBytes bytes) = 0;
  // Queues one stanza made of several pieces (RoutedStanza: head, recipient, tail) without
  // copying them. A kSheddable stanza is shed past half the outbox budget (design.md §4 step 6).
  // A kCoalesced stanza may wait (xmpp.fanout_flush_ms) to share a write with the next ones;
  // send() and kAtOnce write at once, taking whatever waits along.
  virtual SendOutcome sendPieces(const SharedBytes& head, const SharedBytes& to,
                                 const SharedBytes& tail, Delivery delivery, Pace pace) = 0;
  // Closes after the queued bytes are written.
  virtual void close() = 0;
  // The connection's one timer: ClientStream::onTimer() runs once `delay` has passed. Arming
  // again replaces the previous deadline.
  virtual void armTimer(std::chrono::steady_clock::duration delay) = 0;
  // RFC 6120 §5.4.3.3: once the queued bytes (ending with <proceed/>) are written, run the TLS
  // handshake as the server over the same socket; bytes arriving after it are decrypted before
  // they reach onBytes(). Plaintext read after <starttls/> is discarded, never parsed. Called
  // only when ClientStreamOptions::tls_offered.
  virtual void startTls() = 0;
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
  bool plain_allowed = false;  // the transport is already TLS (wss) or loopback (RFC 6120 §6.4.2)
  StreamCounters* counters = nullptr;  // the worker's; null in tests that do not count
  bool tls_offered = false;    // STARTTLS is available (TCP with a certificate configured)
  bool tls_required = false;   // ... and mandatory before SASL (not loopback): RFC 6120 §5.3.1
  // The client's network address as the transport saw it (for bans of anonymous users).
  std::string remote_address;
  // The clock of the rate limits and deadlines; empty = std::chrono::steady_clock::now. Tests
  // inject their own.
  std::function<std::chrono::steady_clock::time_point()> clock;
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

  // Arms the authentication deadline. Call once, when the transport can run its timer.
  void start();
  // Bytes from the transport: any chunk of a TCP stream, or one WebSocket message. Returns how
  // long the transport must wait before reading again (xmpp.rate_bytes_*; zero: read on).
  std::chrono::steady_clock::duration onBytes(std::string_view bytes);
  // The transport closed underneath us.
  void onTransportClosed();
  // The deadline armed with ClientStreamTransport::armTimer() has passed.
  void onTimer();

  // Sends a stanza to the client (the chat core's way out).
  void sendStanza(const proto::XmlElement& stanza);
  // Sends a stanza serialized once for many recipients, addressed to this client: kCoalesced
  // for a room's fan-out, kAtOnce for what answers this client (its join, replies, errors).
  void sendRouted(const RoutedStanza& stanza, Pace pace);
  // Sends a stream error (RFC 6120 §4.9) and closes the stream.
  void fail(std::string_view condition, std::string_view text = {});

  bool bound() const { return state_ == State::kBound; }
  bool tlsActive() const { return tls_active_; }
  const proto::Jid& jid() const { return *jid_; }  // only once bound()
  // The full JID, attribute-escaped, as the 'to' of a RoutedStanza (only once bound()).
  const SharedBytes& address() const { return address_; }
  const std::string& remoteAddress() const { return options_.remote_address; }
  bool anonymous() const { return anonymous_; }
  const std::string& streamId() const { return stream_id_; }

 private:
  enum class State {
    kAwaitingHeader,
    kAuthenticating,
    kStartingTls,  // <proceed/> sent; the rest of this read is discarded (RFC 6120 §5.4.3.3)
    kAwaitingRestart,
    kBinding,
    kBound,
    kClosed,
  };
  using Clock = std::chrono::steady_clock;

  // proto::XmlStreamListener
  void onStreamOpen(const proto::XmlElement& header) override;
  void onStanza(proto::XmlElement stanza) override;
  void onStreamClose() override;

  void sendHeader();
  void sendFeatures();
  SendOutcome sendRaw(std::string bytes);
  SendOutcome noteOutcome(SendOutcome outcome);
  void onStartTls(const proto::XmlElement& element);
  void onSaslElement(const proto::XmlElement& element);
  void onBoundStanza(proto::XmlElement stanza);
  void refuse(const proto::XmlElement& stanza);
  void sendPing();
  bool plainAllowed() const { return options_.plain_allowed || tls_active_; }
  Clock::time_point now() const { return options_.clock ? options_.clock() : Clock::now(); }
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
  bool tls_active_ = false;
  bool cut_off_ = false;  // the transport dropped us for a full outbox: nothing more goes out
  StreamRateLimit rate_;
  StreamLiveness liveness_;
  std::string ping_id_;  // the id of our outstanding XEP-0199 ping, if any
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
