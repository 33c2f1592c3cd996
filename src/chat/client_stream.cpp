#include "chat/client_stream.h"

#include "base/base64.h"
#include "chat/sasl/anonymous.h"
#include "chat/sasl/plain.h"
#include "chat/stream_replies.h"
#include "chat/xmpp_namespaces.h"

#include <fmt/format.h>

namespace throng::chat {
namespace {

using proto::kFramingNs;
using proto::kStreamsNs;

// RFC 6120 §7.7.2.1: a resource the client picks may be refused; we cap it like a JID part.
constexpr std::size_t kMaxResourceBytes = 1023;

std::string attr(std::string_view value) {
  std::string out;
  proto::escapeAttribute(out, value);
  return out;
}

}  // namespace

ClientStream::ClientStream(const ChatOptions& chat, ClientStreamOptions options,
                           ClientStreamTransport& transport, ClientStreamListener& listener,
                           CredentialLookup credentials, std::function<std::string()> random_id)
    : chat_(chat),
      options_(options),
      transport_(transport),
      listener_(listener),
      credentials_(std::move(credentials)),
      random_id_(std::move(random_id)),
      parser_(options.framed ? proto::XmlStreamParser::Mode::kFramed
                             : proto::XmlStreamParser::Mode::kStream,
              chat.limits, *this),
      rate_(chat, now()),
      liveness_(chat.idle_timeout, chat.ping_timeout, now()) {}

ClientStream::~ClientStream() = default;

void ClientStream::start() { transport_.armTimer(liveness_.start()); }

std::chrono::steady_clock::duration ClientStream::onBytes(std::string_view bytes) {
  if (state_ == State::kClosed || cut_off_) return Clock::duration::zero();
  const auto t = now();
  liveness_.onInput(t);
  const auto pause = rate_.onRead(bytes.size(), t);
  if (auto error = parser_.feed(bytes)) {
    if (state_ != State::kStartingTls) fail(proto::xmlErrorCondition(error->kind), error->text);
  }
  if (state_ == State::kStartingTls) {
    // RFC 6120 §5.4.3.3: the client sends nothing between <starttls/> and the handshake.
    // Whatever followed it in this read was sent in the clear and is dropped unparsed, so
    // nobody can inject plaintext that would be taken as coming over TLS.
    parser_.reset();
    state_ = State::kAwaitingRestart;
    transport_.startTls();
  }
  return pause;
}

void ClientStream::onTransportClosed() {
  if (state_ == State::kClosed) return;
  const bool was_bound = state_ == State::kBound;
  state_ = State::kClosed;
  if (was_bound) listener_.onStreamUnbound(*this);
}

void ClientStream::onTimer() {
  if (state_ == State::kClosed || cut_off_) return;
  const auto step = liveness_.onTimer(now());
  switch (step.action) {
    case StreamLiveness::Action::kTimeOut:
      // RFC 6120 §4.9.3.4.
      fail("connection-timeout",
           state_ == State::kBound
               ? fmt::format("no answer to a ping within {} s",
                             std::chrono::duration_cast<std::chrono::seconds>(chat_.ping_timeout)
                                 .count())
               : fmt::format("no resource bound within {} s of connecting",
                             std::chrono::duration_cast<std::chrono::seconds>(
                                 StreamLiveness::kAuthDeadline)
                                 .count()));
      return;
    case StreamLiveness::Action::kSendPing:
      sendPing();
      [[fallthrough]];
    case StreamLiveness::Action::kNone:
      transport_.armTimer(step.next);
      return;
  }
}

void ClientStream::sendPing() {
  // XEP-0199 §4.2: server-to-client ping. The answer is swallowed in onBoundStanza(); any
  // byte that arrives counts as alive anyway (StreamLiveness).
  ping_id_ = "ping-" + random_id_();
  sendStanza(serverPing(ping_id_, host_, jid_->full()));
}

void ClientStream::onStreamOpen(const proto::XmlElement& header) {
  if (state_ == State::kStartingTls) return;  // plaintext after <starttls/>: discarded
  if (state_ != State::kAwaitingHeader && state_ != State::kAwaitingRestart) {
    fail("bad-format", "unexpected stream header");
    return;
  }
  // RFC 6120 §4.7.1: 'to' names the service the client wants; we serve two virtual hosts.
  const std::string to(header.attributeOr("to", ""));
  if (state_ == State::kAwaitingHeader) {
    if (to != chat_.domain && to != chat_.anonymous_domain) {
      host_ = chat_.domain;
      stream_id_ = random_id_();
      sendHeader();
      fail("host-unknown", to.empty() ? "no 'to' on the stream header" : "no such host: " + to);
      return;
    }
    host_ = to;
  } else if (to != host_) {
    fail("host-unknown", "the restarted stream names another host");
    return;
  }
  if (!options_.framed && parser_.defaultNamespace() != kClientNs) {
    stream_id_ = random_id_();
    sendHeader();
    fail("invalid-namespace", "the default namespace must be jabber:client");
    return;
  }
  stream_id_ = random_id_();
  state_ = authenticated_ ? State::kBinding : State::kAuthenticating;
  sendHeader();
  sendFeatures();
}

void ClientStream::sendHeader() {
  if (options_.framed) {
    // RFC 7395 §3.3.2.
    sendRaw(fmt::format(
        "<open xmlns='{}' from='{}' id='{}' version='1.0' xml:lang='en'/>", kFramingNs,
        attr(host_), attr(stream_id_)));
  } else {
    sendRaw(fmt::format(
        "<?xml version='1.0'?><stream:stream xmlns='{}' xmlns:stream='{}' from='{}' id='{}' "
        "version='1.0' xml:lang='en'>",
        kClientNs, kStreamsNs, attr(host_), attr(stream_id_)));
  }
}

void ClientStream::sendFeatures() {
  std::string features = options_.framed
                             ? fmt::format("<stream:features xmlns:stream='{}'>", kStreamsNs)
                             : std::string("<stream:features>");
  if (!authenticated_) {
    const bool offer_tls = options_.tls_offered && !tls_active_;
    if (offer_tls) {
      // RFC 6120 §5.4.1; <required/> when we refuse SASL without it (§5.3.1).
      features += fmt::format("<starttls xmlns='{}'>{}</starttls>", kTlsNs,
                              options_.tls_required ? "<required/>" : "");
    }
    // RFC 6120 §5.3.1: with TLS mandatory, nothing else is advertised before it — the SASL
    // mechanisms on offer depend on whether the stream is encrypted.
    if (!offer_tls || !options_.tls_required) {
      features += fmt::format("<mechanisms xmlns='{}'>", kSaslNs);
      if (host_ == chat_.anonymous_domain) {
        features += "<mechanism>ANONYMOUS</mechanism>";
      } else {
        features += "<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism>";
        if (plainAllowed()) features += "<mechanism>PLAIN</mechanism>";
      }
      features += "</mechanisms>";
    }
  } else {
    // RFC 6120 §7.4 bind; the RFC 3921 session feature is optional (RFC 6121 Appendix E) but
    // older clients still send it.
    features += fmt::format("<bind xmlns='{}'/><session xmlns='{}'><optional/></session>",
                            kBindNs, kSessionNs);
  }
  features += "</stream:features>";
  sendRaw(std::move(features));
}

void ClientStream::onStanza(proto::XmlElement stanza) {
  switch (state_) {
    case State::kAuthenticating:
      if (stanza.xmlns() == kTlsNs && stanza.name() == "starttls") {
        onStartTls(stanza);
      } else if (stanza.xmlns() == kSaslNs) {
        if (options_.tls_required && !tls_active_) {
          // RFC 6120 §5.3.1 and §6.5.4: TLS first. The stream stays open for <starttls/>.
          mechanism_.reset();
          answerSasl(sasl::SaslOutcome::failure("encryption-required"));
          return;
        }
        onSaslElement(stanza);
      } else {
        // RFC 6120 §6.4.1: nothing but SASL before authentication.
        fail("not-authorized", "authenticate first");
      }
      return;
    case State::kBinding:
      onBindingStanza(std::move(stanza));
      return;
    case State::kBound:
      onBoundStanza(std::move(stanza));
      return;
    case State::kAwaitingHeader:
    case State::kAwaitingRestart:
      fail("not-authorized", "stanza before the stream header");
      return;
    case State::kStartingTls:  // plaintext after <starttls/>: discarded
    case State::kClosed:
      return;
  }
}

void ClientStream::onStartTls(const proto::XmlElement&) {
  if (!options_.tls_offered || tls_active_) {
    // RFC 6120 §5.4.2.2: the failure case ends the stream (no stream error).
    sendRaw(fmt::format("<failure xmlns='{}'/>", kTlsNs));
    closeStream();
    return;
  }
  mechanism_.reset();
  sendRaw(fmt::format("<proceed xmlns='{}'/>", kTlsNs));  // RFC 6120 §5.4.2.3
  // From here on every byte the stream sees has come through TLS: a failed handshake closes
  // the transport instead. The client restarts the stream over TLS (§5.4.3.3).
  tls_active_ = true;
  state_ = State::kStartingTls;
}

void ClientStream::onBoundStanza(proto::XmlElement stanza) {
  // RFC 6120 §8.1.2.1: the server stamps 'from'; a different one is an impersonation.
  if (const auto* from = stanza.attribute("from")) {
    auto claimed = proto::Jid::parse(*from);
    if (!claimed || (*claimed != *jid_ && *claimed != jid_->bare())) {
      fail("invalid-from", "'from' does not match the authenticated identity");
      return;
    }
  }
  if (options_.counters) options_.counters->stanzas_in.fetch_add(1, std::memory_order_relaxed);
  if (isPingAnswer(stanza, ping_id_)) {
    ping_id_.clear();  // it has done its job; the chat core has no use for it
    return;
  }
  switch (rate_.onStanza(now())) {
    case StreamRateLimit::Verdict::kPass:
      break;
    case StreamRateLimit::Verdict::kRefuse:
      if (options_.counters) options_.counters->rate_limited.fetch_add(1, std::memory_order_relaxed);
      refuse(stanza);
      return;
    case StreamRateLimit::Verdict::kCutOff:
      if (options_.counters) options_.counters->rate_limited.fetch_add(1, std::memory_order_relaxed);
      fail("policy-violation", "too many stanzas over the rate limit");  // RFC 6120 §4.9.3.18
      return;
  }
  stanza.setAttribute("from", jid_->full());
  listener_.onClientStanza(*this, std::move(stanza));
}

void ClientStream::refuse(const proto::XmlElement& stanza) {
  // Presences go silently: a lost "is typing" or status change is harmless, and an error
  // would cost the bandwidth the limit saves.
  auto reply = resourceConstraint(
      stanza, jid_->full(),
      fmt::format(
          "too many stanzas: at most {:g} per second (bursts of {:g}); this one was not delivered",
          chat_.rate_stanzas_per_second, chat_.rate_stanzas_burst));
  if (reply) sendStanza(*reply);
}

void ClientStream::onSaslElement(const proto::XmlElement& element) {
  const std::string& name = element.name();
  if (name == "abort") {
    // RFC 6120 §6.4.4.
    mechanism_.reset();
    answerSasl(sasl::SaslOutcome::failure("aborted"));
    return;
  }
  const std::string payload = element.text();
  std::string decoded;
  if (!payload.empty() && payload != "=") {
    auto bytes = base64Decode(payload);
    if (!bytes) {
      mechanism_.reset();
      answerSasl(sasl::SaslOutcome::failure("incorrect-encoding"));  // RFC 6120 §6.5.2
      return;
    }
    decoded = std::move(*bytes);
  }
  if (name == "auth") {
    const std::string mechanism(element.attributeOr("mechanism", ""));
    const bool anonymous_host = host_ == chat_.anonymous_domain;
    mechanism_.reset();
    if (anonymous_host && mechanism == "ANONYMOUS") {
      mechanism_ = sasl::makeAnonymousServer();
    } else if (!anonymous_host && mechanism == "SCRAM-SHA-256") {
      mechanism_ = sasl::makeScramServer(sasl::ScramHash::kSha256, credentials_, random_id_);
    } else if (!anonymous_host && mechanism == "SCRAM-SHA-1") {
      mechanism_ = sasl::makeScramServer(sasl::ScramHash::kSha1, credentials_, random_id_);
    } else if (!anonymous_host && mechanism == "PLAIN") {
      if (!plainAllowed()) {
        answerSasl(sasl::SaslOutcome::failure("encryption-required"));  // RFC 6120 §6.5.4
        return;
      }
      auto lookup = credentials_;
      mechanism_ = sasl::makePlainServer([lookup](std::string_view user, std::string_view pass) {
        auto creds = lookup(user, sasl::ScramHash::kSha256);
        return creds && sasl::verifyPassword(*creds, pass, sasl::ScramHash::kSha256);
      });
    } else {
      answerSasl(sasl::SaslOutcome::failure("invalid-mechanism"));  // RFC 6120 §6.5.6
      return;
    }
    answerSasl(mechanism_->step(decoded));
    return;
  }
  if (name == "response" && mechanism_) {
    answerSasl(mechanism_->step(decoded));
    return;
  }
  fail("bad-format", "unexpected SASL element <" + name + "/>");
}

void ClientStream::answerSasl(const sasl::SaslOutcome& outcome) {
  using Outcome = sasl::SaslOutcome::State;
  switch (outcome.state) {
    case Outcome::kContinue:
      sendRaw(fmt::format("<challenge xmlns='{}'>{}</challenge>", kSaslNs,
                          base64Encode(outcome.data)));
      return;
    case Outcome::kSuccess: {
      mechanism_.reset();
      authenticated_ = true;
      anonymous_ = host_ == chat_.anonymous_domain;
      username_ = outcome.username;
      const std::string data = outcome.data.empty() ? "" : base64Encode(outcome.data);
      sendRaw(data.empty() ? fmt::format("<success xmlns='{}'/>", kSaslNs)
                           : fmt::format("<success xmlns='{}'>{}</success>", kSaslNs, data));
      // RFC 6120 §6.4.6: the client restarts the stream; the parser expects a new document.
      state_ = State::kAwaitingRestart;
      parser_.reset();
      return;
    }
    case Outcome::kFailure:
      mechanism_.reset();
      sendRaw(fmt::format("<failure xmlns='{}'><{}/></failure>", kSaslNs, outcome.condition));
      return;
  }
}

void ClientStream::onBindingStanza(proto::XmlElement stanza) {
  const auto* type = stanza.attribute("type");
  if (stanza.name() != "iq" || type == nullptr || *type != "set") {
    // RFC 6120 §7.1: nothing is routed before a resource is bound.
    if (stanza.name() == "iq" && (type == nullptr || (*type != "result" && *type != "error"))) {
      sendStanza(negotiationIqError(stanza, "cancel", "not-allowed"));
    }
    return;
  }
  if (stanza.child("bind", kBindNs) != nullptr) {
    bindResource(stanza);
    return;
  }
  sendStanza(negotiationIqError(stanza, "cancel", "not-allowed"));
}

void ClientStream::bindResource(const proto::XmlElement& iq) {
  const auto* bind = iq.child("bind", kBindNs);
  std::string resource;
  if (const auto* requested = bind->child("resource", kBindNs)) resource = requested->text();
  if (resource.size() > kMaxResourceBytes) {
    sendStanza(negotiationIqError(iq, "modify", "bad-request"));
    return;
  }
  // Anonymous users get a random localpart (RFC 4505 §1: no identity is asserted); a random
  // suffix keeps two devices of one account apart when the client asks for the same resource.
  const std::string local = anonymous_ ? random_id_() : username_;
  if (resource.empty()) resource = random_id_();
  auto jid = proto::Jid::make(local, host_, resource);
  if (!jid) {
    sendStanza(negotiationIqError(iq, "modify", "bad-request"));
    return;
  }
  jid_ = std::move(jid);
  address_ = SharedBytes(attr(jid_->full()));
  proto::XmlElement reply("iq", std::string(kClientNs));
  reply.setAttribute("type", "result");
  if (const auto* id = iq.attribute("id")) reply.setAttribute("id", *id);
  proto::XmlElement bound("bind", std::string(kBindNs));
  proto::XmlElement jid_element("jid", std::string(kBindNs));
  jid_element.addText(jid_->full());
  bound.addChild(std::move(jid_element));
  reply.addChild(std::move(bound));
  sendStanza(reply);
  state_ = State::kBound;
  transport_.armTimer(liveness_.onBound(now()));  // the idle rule replaces the auth deadline
  listener_.onStreamBound(*this);
}

void ClientStream::onStreamClose() {
  if (state_ == State::kStartingTls) return;  // plaintext after <starttls/>: discarded
  // RFC 6120 §4.4: answer the closing tag with ours, then close.
  closeStream();
}

void ClientStream::sendStanza(const proto::XmlElement& stanza) {
  if (state_ == State::kClosed || cut_off_) return;
  if (sendRaw(stanzaString(stanza)) == SendOutcome::kQueued && options_.counters) {
    options_.counters->stanzas_out.fetch_add(1, std::memory_order_relaxed);
  }
}

void ClientStream::sendRouted(const RoutedStanza& stanza, Pace pace) {
  if (state_ != State::kBound || cut_off_) return;
  const auto outcome = noteOutcome(
      transport_.sendPieces(stanza.head, address_, stanza.tail, stanza.delivery, pace));
  if (!options_.counters) return;
  if (outcome == SendOutcome::kQueued) {
    options_.counters->stanzas_out.fetch_add(1, std::memory_order_relaxed);
  } else if (outcome == SendOutcome::kShed) {
    options_.counters->shed.fetch_add(1, std::memory_order_relaxed);
  }
}

SendOutcome ClientStream::noteOutcome(SendOutcome outcome) {
  if (outcome == SendOutcome::kCutOff && !cut_off_) {
    // design.md §4 step 6: a reader that cannot keep up is disconnected, and counted once.
    // The transport has dropped the connection; onTransportClosed() follows from its loop,
    // never from inside this call (the caller may be walking a list of streams).
    cut_off_ = true;
    if (options_.counters) options_.counters->dropped_slow.fetch_add(1, std::memory_order_relaxed);
  }
  return outcome;
}

std::string ClientStream::stanzaString(const proto::XmlElement& stanza) const {
  // In a TCP stream the stanza inherits jabber:client from the stream header; a WebSocket
  // frame is a document of its own and must declare it (RFC 7395 §3.3.3).
  return stanza.serialize(options_.framed ? std::string_view{} : kClientNs);
}

void ClientStream::fail(std::string_view condition, std::string_view text) {
  if (state_ == State::kClosed || cut_off_) return;
  if (stream_id_.empty()) {
    // RFC 6120 §4.9.1.2: an error before the header still opens our side of the stream first.
    host_ = host_.empty() ? chat_.domain : host_;
    stream_id_ = random_id_();
    sendHeader();
  }
  std::string error = options_.framed
                          ? fmt::format("<stream:error xmlns:stream='{}'>", kStreamsNs)
                          : std::string("<stream:error>");
  error += fmt::format("<{} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", condition);
  if (!text.empty()) {
    proto::XmlElement text_element("text", "urn:ietf:params:xml:ns:xmpp-streams");
    text_element.addText(std::string(text));
    error += text_element.serialize();
  }
  error += "</stream:error>";
  sendRaw(std::move(error));
  closeStream();
}

void ClientStream::closeStream() {
  if (state_ == State::kClosed) return;
  sendRaw(options_.framed ? fmt::format("<close xmlns='{}'/>", kFramingNs)
                          : std::string("</stream:stream>"));
  const bool was_bound = state_ == State::kBound;
  state_ = State::kClosed;
  transport_.close();
  if (was_bound) listener_.onStreamUnbound(*this);
}

SendOutcome ClientStream::sendRaw(std::string bytes) {
  if (cut_off_) return SendOutcome::kClosed;
  return noteOutcome(transport_.send(SharedBytes(std::move(bytes))));
}

}  // namespace throng::chat
