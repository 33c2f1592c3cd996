// ClientStream's per-connection policies, on a fake clock: STARTTLS (RFC 6120 §5), the rate
// limits (stream_rate_limit.h), the deadlines and XEP-0199 pings (stream_liveness.h), and how
// a full outbox is counted (design.md §4 step 6).
#include "chat/client_stream.h"

#include "base/base64.h"
#include "unit/chat/client_stream_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace throng::chat {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kTcpAnonHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='anon.localhost' version='1.0'>";
constexpr const char* kStartTls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
constexpr const char* kProceed = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

class ClientStreamPolicyTest : public ClientStreamTest {
 protected:
  // An anonymous viewer over TCP, bound.
  void bind() {
    start(/*framed=*/false);
    say(kTcpAnonHeader);
    say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>");
    say(kTcpAnonHeader);
    say("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
    ASSERT_TRUE(stream_->bound());
  }
  std::string message(const std::string& id) {
    return "<message to='someone@localhost' id='" + id + "' type='chat'><body>hi</body></message>";
  }
};

// --- STARTTLS -------------------------------------------------------------------------------

TEST_F(ClientStreamPolicyTest, TlsIsRequiredBeforeSaslAwayFromLoopback) {
  options_.tls_offered = true;
  options_.tls_required = true;
  start(/*framed=*/false, /*plain_allowed=*/false);

  auto answer = say(kTcpHeader);
  EXPECT_THAT(answer, HasSubstr("<stream:features><starttls "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                                "</stream:features>"));
  EXPECT_THAT(answer, Not(HasSubstr("<mechanisms")));  // RFC 6120 §5.3.1

  answer = say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
               base64Encode(std::string("\0alice\0wonderland", 17)) + "</auth>");
  EXPECT_EQ(answer,
            "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><encryption-required/></failure>");
  EXPECT_FALSE(transport_.closed);

  // Plaintext behind <starttls/> in the same read is never parsed (RFC 6120 §5.4.3.3).
  answer = say(std::string(kStartTls) + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' " +
               "mechanism='ANONYMOUS'/><message><body>injected</body></message>");
  EXPECT_EQ(answer, kProceed);
  EXPECT_TRUE(transport_.tls_started);
  EXPECT_TRUE(stream_->tlsActive());
  EXPECT_FALSE(transport_.closed);

  // The client restarts the stream over TLS: now PLAIN is on offer, STARTTLS is not.
  answer = say(kTcpHeader);
  EXPECT_THAT(answer, HasSubstr("<mechanism>PLAIN</mechanism>"));
  EXPECT_THAT(answer, Not(HasSubstr("starttls")));
  answer = say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
               base64Encode(std::string("\0alice\0wonderland", 17)) + "</auth>");
  EXPECT_EQ(answer, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
}

TEST_F(ClientStreamPolicyTest, TlsIsOptionalOnLoopback) {
  options_.tls_offered = true;
  start(/*framed=*/false, /*plain_allowed=*/true);
  const auto answer = say(kTcpHeader);
  EXPECT_THAT(answer, HasSubstr("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'></starttls>"));
  EXPECT_THAT(answer, HasSubstr("<mechanism>PLAIN</mechanism>"));
  EXPECT_EQ(say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                base64Encode(std::string("\0alice\0wonderland", 17)) + "</auth>"),
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
}

TEST_F(ClientStreamPolicyTest, StartTlsWithoutACertificateFailsTheStream) {
  start(/*framed=*/false);
  EXPECT_THAT(say(kTcpHeader), Not(HasSubstr("starttls")));
  const auto answer = say(kStartTls);
  EXPECT_EQ(answer, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
  EXPECT_TRUE(transport_.closed);
  EXPECT_FALSE(transport_.tls_started);
}

// --- Rate limits ----------------------------------------------------------------------------

TEST_F(ClientStreamPolicyTest, StanzasOverTheBucketAreRefusedWithResourceConstraint) {
  chat_.rate_stanzas_per_second = 1;
  chat_.rate_stanzas_burst = 2;
  bind();
  EXPECT_EQ(say(message("m1") + message("m2")), "");
  EXPECT_EQ(listener_.stanzas.size(), 2u);

  auto answer = say(message("m3"));
  EXPECT_EQ(listener_.stanzas.size(), 2u);
  EXPECT_THAT(answer, HasSubstr("<message type='error' id='m3' from='someone@localhost' to='" +
                                stream_->jid().full() + "'>"));
  EXPECT_THAT(answer, HasSubstr("<error type='wait'><resource-constraint "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>too many stanzas: "
                                "at most 1 per second (bursts of 2)"));
  // A presence is dropped without an answer; an IQ request gets one; a result gets none.
  EXPECT_EQ(say("<presence><show>away</show></presence>"), "");
  EXPECT_THAT(say("<iq type='get' id='q1'><query xmlns='jabber:iq:roster'/></iq>"),
              HasSubstr("<iq type='error' id='q1'"));
  EXPECT_EQ(say("<iq type='result' id='q2'/>"), "");
  EXPECT_EQ(counters_.rate_limited.load(), 4u);
  EXPECT_FALSE(transport_.closed);

  wait(1s);  // one token back
  EXPECT_EQ(say(message("m4")), "");
  EXPECT_EQ(listener_.stanzas.size(), 3u);
}

TEST_F(ClientStreamPolicyTest, AClientThatKeepsFloodingIsCutOffWithPolicyViolation) {
  chat_.rate_stanzas_per_second = 1;
  chat_.rate_stanzas_burst = 1;
  bind();
  say(message("ok"));
  for (int i = 0; i < 100; ++i) say("<presence/>");  // 100 refusals, all at one instant
  EXPECT_FALSE(transport_.closed);
  const auto answer = say("<presence/>");
  EXPECT_THAT(answer, HasSubstr("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"));
  EXPECT_THAT(answer, HasSubstr("</stream:stream>"));
  EXPECT_TRUE(transport_.closed);
  EXPECT_EQ(counters_.rate_limited.load(), 101u);
  EXPECT_EQ(listener_.stanzas.size(), 1u);
  EXPECT_EQ(listener_.unbound, 1);
}

TEST_F(ClientStreamPolicyTest, RefusalsSpreadOverTimeAreForgiven) {
  chat_.rate_stanzas_per_second = 1;
  chat_.rate_stanzas_burst = 1;
  bind();
  // 5 stanzas a second for a minute: 4 refused each second, under the 10/s refusal refill.
  for (int second = 0; second < 60; ++second) {
    for (int i = 0; i < 5; ++i) say("<presence/>");
    wait(1s);
  }
  EXPECT_FALSE(transport_.closed);
  EXPECT_EQ(counters_.rate_limited.load(), 240u);
}

TEST_F(ClientStreamPolicyTest, BytesOverTheBucketPauseReading) {
  chat_.rate_bytes_per_second = 1024;
  chat_.rate_bytes_burst = 4096;
  start(/*framed=*/false);
  EXPECT_EQ(stream_->onBytes(kTcpHeader), Clock::duration::zero());  // 512 (the minimum cost)
  // Whitespace between stanzas is legal and costs what it weighs: 3584 - 5632 = -2048.
  EXPECT_EQ(stream_->onBytes(std::string(5632, ' ')), 2s);
  now_ += 2s;
  EXPECT_EQ(stream_->onBytes(" "), 500ms);  // a single byte still costs 512
  EXPECT_FALSE(transport_.closed);
}

// --- Deadlines and XEP-0199 pings -----------------------------------------------------------

TEST_F(ClientStreamPolicyTest, AStreamThatNeverAuthenticatesTimesOut) {
  start(/*framed=*/false);
  EXPECT_EQ(transport_.armed, StreamLiveness::kAuthDeadline);
  say(kTcpHeader);
  EXPECT_EQ(wait(29s), "");
  const auto answer = wait(1s);
  EXPECT_THAT(answer,
              HasSubstr("<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"));
  EXPECT_THAT(answer, HasSubstr("no resource bound within 30 s of connecting"));
  EXPECT_TRUE(transport_.closed);
}

TEST_F(ClientStreamPolicyTest, AnIdleStreamIsPingedAndTimesOutWithoutAnswer) {
  chat_.idle_timeout = 60s;
  chat_.ping_timeout = 10s;
  bind();
  EXPECT_EQ(transport_.armed, 60s);
  EXPECT_EQ(wait(30s), "");
  say(" ");                  // a whitespace keepalive is input: the idle period restarts
  EXPECT_EQ(wait(59s), "");  // the timer fired at 60 s and re-armed for the 30 s left
  const auto ping = wait(1s);
  EXPECT_EQ(ping, "<iq type='get' id='ping-r5' from='anon.localhost' to='" +
                      stream_->jid().full() + "'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_EQ(wait(9s), "");
  const auto answer = wait(1s);
  EXPECT_THAT(answer,
              HasSubstr("<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"));
  EXPECT_THAT(answer, HasSubstr("no answer to a ping within 10 s"));
  EXPECT_TRUE(transport_.closed);
  EXPECT_EQ(listener_.unbound, 1);
}

TEST_F(ClientStreamPolicyTest, ThePongIsSwallowedAndKeepsTheStreamAlive) {
  chat_.idle_timeout = 60s;
  chat_.ping_timeout = 10s;
  bind();
  const auto ping = wait(60s);
  ASSERT_THAT(ping, HasSubstr("id='ping-r5'"));
  wait(5s);
  EXPECT_EQ(say("<iq type='result' id='ping-r5' to='anon.localhost'/>"), "");
  EXPECT_TRUE(listener_.stanzas.empty());  // not the chat core's business
  EXPECT_EQ(wait(10s), "");
  EXPECT_FALSE(transport_.closed);
  // The next ping comes a full idle period after the pong.
  EXPECT_EQ(wait(49s), "");  // 65 s + 60 s
  EXPECT_THAT(wait(1s), HasSubstr("<ping xmlns='urn:xmpp:ping'/>"));
  // A result with another id is the chat core's (an answer to someone else's request).
  say("<iq type='result' id='other'/>");
  EXPECT_EQ(listener_.stanzas.size(), 1u);
}

// --- Outbox pressure ------------------------------------------------------------------------

TEST_F(ClientStreamPolicyTest, ACutOffIsCountedOnceAndSilencesTheStream) {
  bind();
  const auto out_before = counters_.stanzas_out.load();
  transport_.outcome = SendOutcome::kCutOff;
  proto::XmlElement stanza("message", "jabber:client");
  stanza.addChild(proto::XmlElement("body", "jabber:client"));
  stream_->sendStanza(stanza);
  stream_->sendRouted(RoutedStanza::make(stanza, Delivery::kEssential), Pace::kAtOnce);
  stream_->fail("system-shutdown");
  EXPECT_EQ(counters_.dropped_slow.load(), 1u);
  EXPECT_EQ(counters_.stanzas_out.load(), out_before);
  EXPECT_EQ(counters_.shed.load(), 0u);
  EXPECT_EQ(listener_.unbound, 0);  // not from inside a send: the transport reports it
  stream_->onTransportClosed();
  EXPECT_EQ(listener_.unbound, 1);
}

TEST_F(ClientStreamPolicyTest, ShedStanzasAreCountedApartFromSentOnes) {
  bind();
  const auto out_before = counters_.stanzas_out.load();
  transport_.shed_sheddable = true;
  proto::XmlElement presence("presence", "jabber:client");
  stream_->sendRouted(RoutedStanza::make(presence, Delivery::kSheddable), Pace::kAtOnce);
  stream_->sendRouted(RoutedStanza::make(presence, Delivery::kEssential), Pace::kAtOnce);
  EXPECT_EQ(counters_.shed.load(), 1u);
  EXPECT_EQ(counters_.stanzas_out.load(), out_before + 1);
  EXPECT_EQ(counters_.dropped_slow.load(), 0u);
}

}  // namespace
}  // namespace throng::chat
