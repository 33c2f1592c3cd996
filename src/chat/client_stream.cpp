#include "chat/client_stream.h"

#include "base/base64.h"
#include "chat/sasl/anonymous.h"
#include "chat/sasl/plain.h"

#include <fmt/format.h>

namespace throng::chat {
namespace {

using proto::kFramingNs;
using proto::kStreamsNs;
constexpr std::string_view kClientNs = "jabber:client";
constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view kSessionNs = "urn:ietf:params:xml:ns:xmpp-session";
constexpr std::string_view kStanzasNs = "urn:ietf:params:xml:ns:xmpp-stanzas";

// RFC 6120 §7.7.2.1: a resource the client picks may be refused; we cap it like a JID part.
constexpr std::size_t kMaxResourceBytes = 1023;

std::string attr(std::string_view value) {
  std::string out;
  proto::escapeAttribute(out, value);
  return out;
}

proto::XmlElement iqError(const proto::XmlElement& iq, std::string_view type,
                          std::string_view condition) {
  proto::XmlElement reply("iq", std::string(kClientNs));
  reply.setAttribute("type", "error");
  if (const auto* id = iq.attribute("id")) reply.setAttribute("id", *id);
  proto::XmlElement error("error", std::string(kClientNs));
  error.setAttribute("type", std::string(type));
  error.addChild(proto::XmlElement(std::string(condition), std::string(kStanzasNs)));
  reply.addChild(std::move(error));
  return reply;
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
              chat.limits, *this) {}

ClientStream::~ClientStream() = default;

void ClientStream::onBytes(std::string_view bytes) {
  if (state_ == State::kClosed) return;
  if (auto error = parser_.feed(bytes)) {
    fail(proto::xmlErrorCondition(error->kind), error->text);
  }
}

void ClientStream::onTransportClosed() {
  if (state_ == State::kClosed) return;
  const bool was_bound = state_ == State::kBound;
  state_ = State::kClosed;
  if (was_bound) listener_.onStreamUnbound(*this);
}

void ClientStream::onStreamOpen(const proto::XmlElement& header) {
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
    features += fmt::format("<mechanisms xmlns='{}'>", kSaslNs);
    if (host_ == chat_.anonymous_domain) {
      features += "<mechanism>ANONYMOUS</mechanism>";
    } else {
      features += "<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism>";
      if (options_.plain_allowed) features += "<mechanism>PLAIN</mechanism>";
    }
    features += "</mechanisms>";
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
      if (stanza.xmlns() == kSaslNs) {
        onSaslElement(stanza);
      } else {
        // RFC 6120 §6.4.1: nothing but SASL before authentication.
        fail("not-authorized", "authenticate first");
      }
      return;
    case State::kBinding:
      onBindingStanza(std::move(stanza));
      return;
    case State::kBound: {
      // RFC 6120 §8.1.2.1: the server stamps 'from'; a different one is an impersonation.
      if (const auto* from = stanza.attribute("from")) {
        auto claimed = proto::Jid::parse(*from);
        if (!claimed || (*claimed != *jid_ && *claimed != jid_->bare())) {
          fail("invalid-from", "'from' does not match the authenticated identity");
          return;
        }
      }
      stanza.setAttribute("from", jid_->full());
      if (options_.counters) options_.counters->stanzas_in.fetch_add(1, std::memory_order_relaxed);
      listener_.onClientStanza(*this, std::move(stanza));
      return;
    }
    case State::kAwaitingHeader:
    case State::kAwaitingRestart:
      fail("not-authorized", "stanza before the stream header");
      return;
    case State::kClosed:
      return;
  }
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
      if (!options_.plain_allowed) {
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
      sendStanza(iqError(stanza, "cancel", "not-allowed"));
    }
    return;
  }
  if (stanza.child("bind", kBindNs) != nullptr) {
    bindResource(stanza);
    return;
  }
  sendStanza(iqError(stanza, "cancel", "not-allowed"));
}

void ClientStream::bindResource(const proto::XmlElement& iq) {
  const auto* bind = iq.child("bind", kBindNs);
  std::string resource;
  if (const auto* requested = bind->child("resource", kBindNs)) resource = requested->text();
  if (resource.size() > kMaxResourceBytes) {
    sendStanza(iqError(iq, "modify", "bad-request"));
    return;
  }
  // Anonymous users get a random localpart (RFC 4505 §1: no identity is asserted); a random
  // suffix keeps two devices of one account apart when the client asks for the same resource.
  const std::string local = anonymous_ ? random_id_() : username_;
  if (resource.empty()) resource = random_id_();
  auto jid = proto::Jid::make(local, host_, resource);
  if (!jid) {
    sendStanza(iqError(iq, "modify", "bad-request"));
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
  listener_.onStreamBound(*this);
}

void ClientStream::onStreamClose() {
  // RFC 6120 §4.4: answer the closing tag with ours, then close.
  closeStream();
}

void ClientStream::sendStanza(const proto::XmlElement& stanza) {
  if (state_ == State::kClosed) return;
  if (options_.counters) options_.counters->stanzas_out.fetch_add(1, std::memory_order_relaxed);
  sendRaw(stanzaString(stanza));
}

void ClientStream::sendRouted(const RoutedStanza& stanza) {
  if (state_ != State::kBound) return;
  if (transport_.sendPieces(stanza.head, address_, stanza.tail, stanza.delivery)) {
    if (options_.counters) options_.counters->stanzas_out.fetch_add(1, std::memory_order_relaxed);
  } else if (options_.counters) {
    options_.counters->shed.fetch_add(1, std::memory_order_relaxed);
  }
}

std::string ClientStream::stanzaString(const proto::XmlElement& stanza) const {
  // In a TCP stream the stanza inherits jabber:client from the stream header; a WebSocket
  // frame is a document of its own and must declare it (RFC 7395 §3.3.3).
  return stanza.serialize(options_.framed ? std::string_view{} : kClientNs);
}

void ClientStream::fail(std::string_view condition, std::string_view text) {
  if (state_ == State::kClosed) return;
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

void ClientStream::sendRaw(std::string bytes) { transport_.send(SharedBytes(std::move(bytes))); }

}  // namespace throng::chat
