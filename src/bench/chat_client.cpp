#include "bench/chat_client.h"

#include "base/base64.h"
#include "bench/xml_scanner.h"
#include "proto/xml_element.h"

#include <fmt/format.h>

#include <cassert>
#include <charconv>

namespace throng::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";        // RFC 6120 §6.4
constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";        // RFC 6120 §7
constexpr std::string_view kMucUserNs = "http://jabber.org/protocol/muc#user";  // XEP-0045
constexpr std::string_view kDelayNs = "urn:xmpp:delay";                         // XEP-0203
constexpr std::string_view kBindId = "b1";
constexpr std::string_view kBodyMarker = "<body>tb ";

double millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// The first child element of an <error/> (RFC 6120 §4.9.3, §8.3.3) names the condition.
std::string errorCondition(const proto::XmlElement& error) {
  for (const auto& node : error.nodes()) {
    if (const auto* element = std::get_if<proto::XmlElement>(&node)) {
      if (element->name() != "text") return element->name();
    }
  }
  return "unknown";
}

template <class T>
bool parseNumber(std::string_view& text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

}  // namespace

std::string formatBenchBody(const BenchBody& body) {
  return fmt::format("tb {} {} {}", body.talker, body.seq, body.sent_ns);
}

std::optional<BenchBody> findBenchBody(std::string_view raw) {
  const auto at = raw.find(kBodyMarker);
  if (at == std::string_view::npos) return std::nullopt;
  auto text = raw.substr(at + kBodyMarker.size());
  BenchBody body;
  if (!parseNumber(text, body.talker) || text.empty() || text.front() != ' ') return std::nullopt;
  text.remove_prefix(1);
  if (!parseNumber(text, body.seq) || text.empty() || text.front() != ' ') return std::nullopt;
  text.remove_prefix(1);
  if (!parseNumber(text, body.sent_ns) || !text.starts_with("</body>")) return std::nullopt;
  return body;
}

ChatClient::ChatClient(boost::asio::io_context& io, const ChatRunPlan& plan,
                       ShardCounters& counters, LatencyHistogram& latency, int index)
    : plan_(plan),
      counters_(counters),
      latency_(latency),
      index_(index),
      nick_(fmt::format("{}{}", plan.options->nick_prefix, index)),
      occupant_jid_(plan.room_jid + "/" + nick_),
      parser_(proto::XmlStreamParser::Mode::kStream, proto::XmlLimits{}, *this),
      talk_timer_(io) {
  const auto& o = *plan.options;
  if (o.transport == ChatTransport::kWebSocket) {
    transport_ = makeWebSocketTransport(io, *this, plan.target.address().to_string(), o.ws_path);
  } else {
    transport_ = makeTcpTransport(io, *this);
  }
  // The parser sees one endless stream of the elements passed to it; restarts are the
  // transport's business.
  static constexpr std::string_view kSyntheticHeader =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  [[maybe_unused]] auto error = parser_.feed(kSyntheticHeader);
  assert(!error);
}

ChatClient::~ChatClient() = default;

void ChatClient::start(const boost::asio::ip::address_v4& source) {
  state_ = State::kConnecting;
  connect_started_ = Clock::now();
  transport_->connect(plan_.target, source);
}

void ChatClient::onTransportConnected() {
  if (state_ != State::kConnecting) return;
  counters_.connected.fetch_add(1, std::memory_order_relaxed);
  state_ = State::kFeatures;
  transport_->openStream(plan_.stream_to);
}

void ChatClient::expire() {
  stanzas_join_phase_ = stanzas_;
  if (settled_) return;
  auto reason = fmt::format("timeout: {}", stateWaitingFor());
  if (state_ == State::kIdle || state_ == State::kConnecting) return fail(std::move(reason));
  failure_ = std::move(reason);
  settled_ = true;
  counters_.failed.fetch_add(1, std::memory_order_relaxed);
}

void ChatClient::onTransportElement(std::string_view name, std::string_view raw) {
  ++stanzas_;
  if (name == "message") {
    if (state_ == State::kJoined || state_ == State::kClosing) onGroupchat(raw);
    return;
  }
  if (name == "presence") {
    ++presences_;
    // Only our own occupant's presence matters: the join, or a removal.
    if ((state_ == State::kJoin || state_ == State::kJoined) &&
        startTagAttribute(raw, "from") == occupant_jid_) {
      inspect(raw);
    }
    return;
  }
  if (state_ < State::kJoined || name == "stream:error" || name == "error") inspect(raw);
}

void ChatClient::onGroupchat(std::string_view raw) {
  const auto body = findBenchBody(raw);
  if (!body) return;  // not a talker's message (occupant counts, subjects, others' chat)
  if (raw.find(kDelayNs) != std::string_view::npos) return;  // history, not live (XEP-0203)
  ++delivered_;
  counters_.delivered.fetch_add(1, std::memory_order_relaxed);
  latency_.recordMicros((nowNanos() - body->sent_ns) / 1000);
}

void ChatClient::onTransportStreamClosed() {
  if (state_ == State::kClosing) {
    closed_cleanly_ = true;
    return finish();
  }
  lost("server closed the stream");
}

void ChatClient::onTransportLost(std::string reason) {
  if (state_ == State::kClosing) return finish();  // the server closed first
  lost(std::move(reason));
}

void ChatClient::inspect(std::string_view raw) {
  if (auto error = parser_.feed(raw)) {
    lost(fmt::format("xml: {}", proto::xmlErrorCondition(error->kind)));
  }
}

void ChatClient::onStanza(proto::XmlElement stanza) {
  const auto& name = stanza.name();
  if (name == "presence") return onPresence(stanza);
  if (name == "features" && stanza.xmlns() == proto::kStreamsNs) {
    if (state_ == State::kFeatures) {
      state_ = State::kAuth;
      const auto& o = *plan_.options;
      if (o.account_prefix.empty()) {
        transport_->send(fmt::format("<auth xmlns='{}' mechanism='ANONYMOUS'/>", kSaslNs));
      } else {
        // RFC 4616 §2: [authzid] NUL authcid NUL passwd.
        std::string message;
        message += '\0';
        message += fmt::format("{}{}", o.account_prefix, index_);
        message += '\0';
        message += o.password;
        transport_->send(fmt::format("<auth xmlns='{}' mechanism='PLAIN'>{}</auth>", kSaslNs,
                                     base64Encode(message)));
      }
    } else if (state_ == State::kRestart) {
      state_ = State::kBind;
      transport_->send(
          fmt::format("<iq xmlns='jabber:client' type='set' id='{}'><bind xmlns='{}'/></iq>",
                      kBindId, kBindNs));
    }
    return;
  }
  if (name == "error" && stanza.xmlns() == proto::kStreamsNs) {
    return lost("stream error: " + errorCondition(stanza));
  }
  if (stanza.xmlns() == kSaslNs && state_ == State::kAuth) {
    if (name == "success") {
      // RFC 6120 §6.4.6: both sides restart the stream.
      state_ = State::kRestart;
      transport_->openStream(plan_.stream_to);
    } else if (name == "failure") {
      fail("sasl failure: " + errorCondition(stanza));
    }
    return;
  }
  if (name == "iq" && state_ == State::kBind && stanza.attributeOr("id", "") == kBindId) {
    if (stanza.attributeOr("type", "") != "result") {
      const auto* error = stanza.child("error");
      return fail("bind: " + (error ? errorCondition(*error) : std::string("error")));
    }
    state_ = State::kJoin;
    std::string presence = "<presence xmlns='jabber:client' to='";
    proto::escapeAttribute(presence, occupant_jid_);
    presence += fmt::format(
        "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='{}'/></x></presence>",
        plan_.options->history);
    join_sent_ = Clock::now();
    transport_->send(std::move(presence));
  }
}

void ChatClient::onPresence(const proto::XmlElement& presence) {
  if (presence.attributeOr("from", "") != occupant_jid_) return;
  const auto type = presence.attributeOr("type", "");
  if (state_ == State::kJoin) {
    if (settled_) return;  // timed out already: a late self-presence does not count
    if (type == "error") {
      const auto* error = presence.child("error");
      return fail("join: " + (error ? errorCondition(*error) : std::string("error")));
    }
    // XEP-0045 §7.2.2: the self-presence carries status code 110.
    const auto* x = presence.child("x", kMucUserNs);
    if (!x) return;
    bool self = false;
    bool created = false;
    for (const auto* status : x->children("status", kMucUserNs)) {
      const auto code = status->attributeOr("code", "");
      self = self || code == "110";
      created = created || code == "201";
    }
    if (!self) return;
    joined_at_ = Clock::now();
    state_ = State::kJoined;
    settled_ = true;
    counters_.joined.fetch_add(1, std::memory_order_relaxed);
    if (created) {
      // XEP-0045 §10.1.2: this client created the room, which stays locked until its owner
      // accepts the default configuration (an empty submitted form: an instant room).
      std::string iq = "<iq xmlns='jabber:client' type='set' id='instant' to='";
      proto::escapeAttribute(iq, plan_.room_jid);
      iq += "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
            "<x xmlns='jabber:x:data' type='submit'/></query></iq>";
      transport_->send(std::move(iq));
    }
  } else if (state_ == State::kJoined && type == "unavailable") {
    lost("removed from the room");
  }
}

void ChatClient::startTalking(const TalkerSchedule& schedule, int talker,
                              Clock::time_point phase_start) {
  if (state_ != State::kJoined) return;
  schedule_ = &schedule;
  talker_ = talker;
  next_k_ = 0;
  phase_start_ = phase_start;
  sendNext();
}

// Sends every message whose time has come, then sleeps until the next one. Bounded: the
// schedule has a fixed count, and stopTalking() ends it.
void ChatClient::sendNext() {
  if (!schedule_ || state_ != State::kJoined) return;
  const auto now = Clock::now();
  while (auto i = schedule_->nextFor(talker_, next_k_)) {
    const auto due = phase_start_ + schedule_->offsetOf(*i);
    if (due > now) {
      talk_timer_.expires_at(due);
      talk_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) sendNext();
      });
      return;
    }
    std::string message = "<message xmlns='jabber:client' to='";
    proto::escapeAttribute(message, plan_.room_jid);
    message += fmt::format("' type='groupchat' id='t{}-{}'><body>", talker_, next_k_);
    message += formatBenchBody(BenchBody{talker_, next_k_, nowNanos()});
    message += "</body>";
    if (plan_.options->no_store) message += "<no-store xmlns='urn:xmpp:hints'/>";
    message += "</message>";
    transport_->send(std::move(message));
    ++sent_;
    ++next_k_;
    counters_.sent.fetch_add(1, std::memory_order_relaxed);
  }
  schedule_ = nullptr;
}

void ChatClient::stopTalking() {
  schedule_ = nullptr;
  talk_timer_.cancel();
}

void ChatClient::close() {
  stopTalking();
  if (state_ == State::kDone) return;
  if (state_ == State::kIdle || state_ == State::kConnecting) return finish();
  state_ = State::kClosing;
  transport_->closeStream();
}

std::optional<double> ChatClient::joinMillis() const {
  if (!joined_at_) return std::nullopt;
  return millis(*joined_at_ - join_sent_);
}

std::optional<double> ChatClient::connectToJoinedMillis() const {
  if (!joined_at_) return std::nullopt;
  return millis(*joined_at_ - connect_started_);
}

std::uint64_t ChatClient::bytes() const { return transport_->bytesReceived(); }

const char* ChatClient::stateWaitingFor() const {
  switch (state_) {
    case State::kIdle: return "not started";
    case State::kConnecting: return "connecting";
    case State::kFeatures: return "waiting for stream features";
    case State::kAuth: return "waiting for SASL success";
    case State::kRestart: return "waiting for features after restart";
    case State::kBind: return "waiting for the bind result";
    case State::kJoin: return "waiting for the self-presence";
    case State::kJoined: return "joined";
    case State::kClosing: return "closing";
    case State::kDone: return "done";
  }
  return "?";
}

// Fails the join (first reason wins) and closes.
void ChatClient::fail(std::string reason) {
  if (!settled_) {
    settled_ = true;
    failure_ = std::move(reason);
    counters_.failed.fetch_add(1, std::memory_order_relaxed);
  }
  finish();
}

// The stream ended: a failure before the join, a drop after it.
void ChatClient::lost(std::string reason) {
  if (joined()) {
    if (state_ != State::kClosing && state_ != State::kDone) {
      dropped_after_join_ = true;
      loss_reason_ = std::move(reason);
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
    }
    return finish();
  }
  fail(std::move(reason));
}

void ChatClient::finish() {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  stopTalking();
  transport_->close();
  counters_.closed.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace throng::bench
