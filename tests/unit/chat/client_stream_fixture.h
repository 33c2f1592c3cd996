// The stage for ClientStream tests: a recording transport where the TCP or WebSocket
// connection would be, a recording chat core, a fake clock, and a client that says its lines.
#pragma once

#include "chat/client_stream.h"
#include "chat/sasl/scram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace throng::chat {

struct RecordingTransport : ClientStreamTransport {
  SendOutcome send(SharedBytes bytes) override {
    if (outcome != SendOutcome::kQueued) return outcome;
    sent.emplace_back(bytes.view());
    return outcome;
  }
  SendOutcome sendPieces(const SharedBytes& head, const SharedBytes& to, const SharedBytes& tail,
                         Delivery delivery, Pace) override {
    if (delivery == Delivery::kSheddable && shed_sheddable) return SendOutcome::kShed;
    if (outcome != SendOutcome::kQueued) return outcome;
    sent.push_back(std::string(head.view()) + std::string(to.view()) + std::string(tail.view()));
    return outcome;
  }
  void close() override { closed = true; }
  void armTimer(std::chrono::steady_clock::duration delay) override {
    armed = delay;
    deadline = (clock ? *clock : std::chrono::steady_clock::time_point{}) + delay;
  }
  void startTls() override { tls_started = true; }

  std::string take() {
    std::string all;
    for (auto& s : sent) all += s;
    sent.clear();
    return all;
  }
  std::vector<std::string> sent;
  bool closed = false;
  bool tls_started = false;
  const std::chrono::steady_clock::time_point* clock = nullptr;  // the test's fake clock
  std::optional<std::chrono::steady_clock::duration> armed;  // the latest delay armed
  std::optional<std::chrono::steady_clock::time_point> deadline;  // ... and when it falls due
  SendOutcome outcome = SendOutcome::kQueued;  // what send() and sendPieces() report
  bool shed_sheddable = false;                 // sendPieces() sheds kSheddable stanzas
};

struct RecordingListener : ClientStreamListener {
  void onStreamBound(ClientStream& s) override { bound_jid = s.jid().full(); }
  void onClientStanza(ClientStream&, proto::XmlElement stanza) override {
    stanzas.push_back(stanza.serialize("jabber:client"));
  }
  void onStreamUnbound(ClientStream&) override { ++unbound; }
  std::string bound_jid;
  std::vector<std::string> stanzas;
  int unbound = 0;
};

class ClientStreamTest : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;

  // `options_` may be adjusted before this; framed and plain_allowed are set here.
  void start(bool framed, bool plain_allowed = false) {
    chat_.limits.max_stanza_bytes = 4096;
    accounts_["alice"] =
        sasl::deriveScramCredentials(sasl::ScramHash::kSha256, "wonderland", "salt-of-alice", 4096);
    options_.framed = framed;
    options_.plain_allowed = plain_allowed;
    options_.counters = &counters_;
    options_.clock = [this] { return now_; };
    transport_ = RecordingTransport{};
    transport_.clock = &now_;
    stream_ = std::make_unique<ClientStream>(
        chat_, options_, transport_, listener_,
        [this](std::string_view user,
               sasl::ScramHash hash) -> std::optional<sasl::ScramCredentials> {
          auto it = accounts_.find(std::string(user));
          if (it == accounts_.end() || hash != sasl::ScramHash::kSha256) return std::nullopt;
          return it->second;
        },
        [this] { return "r" + std::to_string(++ids_); });
    stream_->start();
  }
  std::string say(const std::string& bytes) {
    stream_->onBytes(bytes);
    return transport_.take();
  }
  // Time passes; the transport's timer fires whenever its deadline falls due, as a real
  // loop would run it. Returns what the server sent meanwhile.
  std::string wait(Clock::duration d) {
    const auto end = now_ + d;
    while (transport_.deadline && *transport_.deadline <= end) {
      now_ = std::max(now_, *transport_.deadline);
      transport_.deadline.reset();
      stream_->onTimer();
    }
    now_ = end;
    return transport_.take();
  }

  ChatOptions chat_;
  ClientStreamOptions options_;
  StreamCounters counters_;
  std::map<std::string, sasl::ScramCredentials> accounts_;
  RecordingTransport transport_;
  RecordingListener listener_;
  std::unique_ptr<ClientStream> stream_;
  Clock::time_point now_ = Clock::time_point{} + std::chrono::hours(1);
  int ids_ = 0;
};

constexpr const char* kOpenAnon =
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='anon.localhost' version='1.0'/>";
constexpr const char* kTcpHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

}  // namespace throng::chat
