// DTLS-SRTP: a server session and a client session pass datagrams to each other in memory;
// handshake, fingerprint check, SRTP key export, loss and retransmission, garbage, close.
#include <gtest/gtest.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <ctime>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "rtc/dtls.h"
#include "rtc/srtp.h"

namespace throng::rtc {
namespace {

using Datagrams = std::vector<std::string>;

std::span<const std::uint8_t> asSpan(const std::string& datagram) {
  return {reinterpret_cast<const std::uint8_t*>(datagram.data()), datagram.size()};
}

std::shared_ptr<const DtlsCertificate> makeCertificate(std::string_view name) {
  auto certificate = DtlsCertificate::generate(name);
  EXPECT_TRUE(certificate.ok()) << (certificate.ok() ? "" : certificate.error().message);
  return certificate.ok() ? *certificate : nullptr;
}

std::unique_ptr<DtlsContext> makeContext(std::shared_ptr<const DtlsCertificate> certificate,
                                         DtlsRole role, DtlsRetransmission retransmission = {}) {
  auto context = DtlsContext::create(std::move(certificate), role, retransmission);
  EXPECT_TRUE(context.ok()) << (context.ok() ? "" : context.error().message);
  return context.ok() ? std::move(context.value()) : nullptr;
}

// Two endpoints joined by an in-memory link: datagrams wait in a queue per direction.
struct Link {
  DtlsSession& client;
  DtlsSession& server;
  std::deque<std::string> to_server;
  std::deque<std::string> to_client;
  std::size_t max_datagram = 0;

  void queue(std::deque<std::string>& queue, Datagrams& out) {
    for (std::string& d : out) {
      max_datagram = std::max(max_datagram, d.size());
      queue.push_back(std::move(d));
    }
    out.clear();
  }

  // Delivers until both queues are empty (bounded: a handshake is a few dozen datagrams).
  void pump() {
    Datagrams out;
    for (int step = 0; step < 200 && (!to_server.empty() || !to_client.empty()); ++step) {
      if (!to_server.empty()) {
        const std::string d = std::move(to_server.front());
        to_server.pop_front();
        server.onDatagram(asSpan(d), out);
        queue(to_client, out);
      }
      if (!to_client.empty()) {
        const std::string d = std::move(to_client.front());
        to_client.pop_front();
        client.onDatagram(asSpan(d), out);
        queue(to_server, out);
      }
    }
  }

  void handshake() {
    Datagrams out;
    server.start(out);
    queue(to_client, out);
    client.start(out);
    queue(to_server, out);
    pump();
  }
};

class DtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_certificate_ = makeCertificate("server");
    client_certificate_ = makeCertificate("client");
    ASSERT_TRUE(server_certificate_ && client_certificate_);
    useContexts({});
  }

  void useContexts(DtlsRetransmission retransmission) {
    server_context_ = makeContext(server_certificate_, DtlsRole::kServer, retransmission);
    client_context_ = makeContext(client_certificate_, DtlsRole::kClient, retransmission);
    ASSERT_TRUE(server_context_ && client_context_);
  }

  std::unique_ptr<DtlsSession> server(std::size_t mtu = 1200) {
    return std::make_unique<DtlsSession>(*server_context_, client_certificate_->fingerprintSha256(),
                                         mtu);
  }
  std::unique_ptr<DtlsSession> client(std::size_t mtu = 1200) {
    return std::make_unique<DtlsSession>(*client_context_, server_certificate_->fingerprintSha256(),
                                         mtu);
  }

  std::shared_ptr<const DtlsCertificate> server_certificate_;
  std::shared_ptr<const DtlsCertificate> client_certificate_;
  std::unique_ptr<DtlsContext> server_context_;
  std::unique_ptr<DtlsContext> client_context_;
};

// SRTP from a's local keys is opened with b's remote keys, with the default implementation.
void expectSrtpFlows(const DtlsSession& a, const DtlsSession& b) {
  auto sender = makeSrtpSession(defaultSrtpImplementation(), a.localKeys(), a.remoteKeys());
  auto receiver = makeSrtpSession(defaultSrtpImplementation(), b.localKeys(), b.remoteKeys());
  ASSERT_TRUE(sender.ok() && receiver.ok());
  std::vector<std::uint8_t> packet = {0x80, 0x60, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef};
  for (int i = 0; i < 100; ++i) packet.push_back(static_cast<std::uint8_t>(i));
  const std::vector<std::uint8_t> plain = packet;
  std::size_t length = packet.size();
  packet.resize(length + kSrtpMaxOverhead);
  ASSERT_TRUE((*sender)->protectRtp(packet.data(), length));
  ASSERT_TRUE((*receiver)->unprotectRtp(packet.data(), length));
  packet.resize(length);
  EXPECT_EQ(packet, plain);

  std::vector<std::uint8_t> rtcp = {0x81, 0xc9, 0x00, 0x07, 0xde, 0xad, 0xbe, 0xef};
  rtcp.resize(32, 0x55);
  const std::vector<std::uint8_t> rtcp_plain = rtcp;
  length = rtcp.size();
  rtcp.resize(length + kSrtpMaxOverhead);
  ASSERT_TRUE((*sender)->protectRtcp(rtcp.data(), length));
  ASSERT_TRUE((*receiver)->unprotectRtcp(rtcp.data(), length));
  rtcp.resize(length);
  EXPECT_EQ(rtcp, rtcp_plain);
}

TEST_F(DtlsTest, CertificateIsSelfSignedP256WithSdpFingerprint) {
  const std::string& fingerprint = server_certificate_->fingerprintSha256();
  ASSERT_EQ(fingerprint.size(), 32u * 3 - 1);
  for (std::size_t i = 0; i < fingerprint.size(); ++i) {
    const char c = fingerprint[i];
    if (i % 3 == 2) {
      EXPECT_EQ(c, ':');
    } else {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) << fingerprint;
    }
  }
  EXPECT_NE(fingerprint, client_certificate_->fingerprintSha256());
  EXPECT_EQ(certificateFingerprintSha256(server_certificate_->certificate()), fingerprint);

  X509* x509 = server_certificate_->certificate();
  EXPECT_EQ(EVP_PKEY_get_base_id(server_certificate_->privateKey()), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(server_certificate_->privateKey()), 256);
  EXPECT_EQ(X509_check_issued(x509, x509), X509_V_OK);  // self-signed
  std::time_t now = std::time(nullptr);
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(x509), &now), -1);
  EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(x509), &now), 1);
  std::time_t in_31_days = now + 31 * 24 * 3600;
  EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(x509), &in_31_days), -1);

  EXPECT_FALSE(DtlsCertificate::generate("").ok());
  EXPECT_FALSE(DtlsCertificate::generate(std::string(65, 'x')).ok());
}

TEST_F(DtlsTest, HandshakeExportsMatchingSrtpKeys) {
  auto s = server();
  auto c = client();
  Datagrams out;
  s->start(out);
  EXPECT_TRUE(out.empty());  // a server waits for the ClientHello
  EXPECT_FALSE(s->nextTimeout().has_value());
  Link link{*c, *s, {}, {}};
  link.handshake();
  ASSERT_EQ(c->state(), DtlsSession::State::kConnected) << c->failure();
  ASSERT_EQ(s->state(), DtlsSession::State::kConnected) << s->failure();
  EXPECT_LE(link.max_datagram, 1200u);

  EXPECT_EQ(c->localKeys().profile, SrtpProfile::kAeadAes128Gcm);
  EXPECT_EQ(s->localKeys().profile, SrtpProfile::kAeadAes128Gcm);
  EXPECT_EQ(c->localKeys().master_key.size(), 16u);
  EXPECT_EQ(c->localKeys().master_salt.size(), 12u);
  EXPECT_EQ(c->localKeys().master_key, s->remoteKeys().master_key);
  EXPECT_EQ(c->localKeys().master_salt, s->remoteKeys().master_salt);
  EXPECT_EQ(s->localKeys().master_key, c->remoteKeys().master_key);
  EXPECT_EQ(s->localKeys().master_salt, c->remoteKeys().master_salt);
  EXPECT_NE(c->localKeys().master_key, s->localKeys().master_key);
  EXPECT_FALSE(c->nextTimeout().has_value());
  EXPECT_FALSE(s->nextTimeout().has_value());

  expectSrtpFlows(*c, *s);
  expectSrtpFlows(*s, *c);
}

TEST_F(DtlsTest, ClientTimerRunsWhileWaitingForTheServer) {
  auto c = client();
  Datagrams out;
  c->start(out);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(static_cast<std::uint8_t>(out[0][0]), 22);  // handshake record
  const auto timeout = c->nextTimeout();
  ASSERT_TRUE(timeout.has_value());
  EXPECT_GT(*timeout, std::chrono::milliseconds(900));  // RFC 6347 §4.2.4.1: 1 s at first
  EXPECT_LE(*timeout, std::chrono::milliseconds(1000));
  out.clear();
  c->onTimeout(out);  // not yet due: nothing is resent
  EXPECT_TRUE(out.empty());
}

TEST_F(DtlsTest, ServerRejectsClientWhoseFingerprintDiffersFromTheSdp) {
  auto s =
      std::make_unique<DtlsSession>(*server_context_, server_certificate_->fingerprintSha256());
  auto c = client();
  Link link{*c, *s, {}, {}};
  link.handshake();
  EXPECT_EQ(s->state(), DtlsSession::State::kFailed);
  EXPECT_EQ(s->failure(), "peer certificate fingerprint does not match the SDP");
  EXPECT_NE(c->state(), DtlsSession::State::kConnected);  // told by close_notify
}

TEST_F(DtlsTest, ClientRejectsServerWhoseFingerprintDiffersFromTheSdp) {
  auto s = server();
  // Same fingerprint in lowercase would match (compare is case-insensitive); one digit changed
  // must not.
  std::string wrong = server_certificate_->fingerprintSha256();
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  auto c = std::make_unique<DtlsSession>(*client_context_, wrong);
  Link link{*c, *s, {}, {}};
  link.handshake();
  EXPECT_EQ(c->state(), DtlsSession::State::kFailed);
  EXPECT_EQ(c->failure(), "peer certificate fingerprint does not match the SDP");
}

TEST_F(DtlsTest, FingerprintCompareIgnoresCase) {
  std::string lower = server_certificate_->fingerprintSha256();
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto s = server();
  auto c = std::make_unique<DtlsSession>(*client_context_, lower);
  Link link{*c, *s, {}, {}};
  link.handshake();
  EXPECT_EQ(c->state(), DtlsSession::State::kConnected) << c->failure();
}

// OpenSSL 3.0 runs the DTLS timer on gettimeofday and offers no way to inject a clock, so the
// retransmission tests use the shortest first wait (20 ms) and sleep past it: about 0.1 s in all.
constexpr DtlsRetransmission kShortTimer{std::chrono::milliseconds(20), 4};
void sleepPast(std::optional<std::chrono::milliseconds> timeout) {
  ASSERT_TRUE(timeout.has_value());
  std::this_thread::sleep_for(*timeout + std::chrono::milliseconds(2));
}

TEST_F(DtlsTest, LostServerFlightIsRecoveredByRetransmission) {
  useContexts(kShortTimer);
  auto s = server();
  auto c = client();
  Datagrams out;
  c->start(out);
  ASSERT_FALSE(out.empty());
  Datagrams server_flight;
  for (const std::string& d : out) s->onDatagram(asSpan(d), server_flight);
  ASSERT_FALSE(server_flight.empty());  // ServerHello .. ServerHelloDone: lost on the way
  out.clear();

  sleepPast(c->nextTimeout());
  c->onTimeout(out);
  ASSERT_FALSE(out.empty()) << "the client must resend its ClientHello";
  EXPECT_EQ(static_cast<std::uint8_t>(out[0][0]), 22);
  // The server's own timer has run out too: the repeated ClientHello finds it ready to resend.
  Link link{*c, *s, {}, {}};
  link.queue(link.to_server, out);
  link.pump();
  EXPECT_EQ(c->state(), DtlsSession::State::kConnected) << c->failure();
  EXPECT_EQ(s->state(), DtlsSession::State::kConnected) << s->failure();
  expectSrtpFlows(*c, *s);
}

TEST_F(DtlsTest, HandshakeGivesUpAfterMaxRetransmissions) {
  useContexts(DtlsRetransmission{std::chrono::milliseconds(20), 2});
  auto c = client();
  Datagrams out;
  c->start(out);
  for (int i = 0; i < 2; ++i) {  // waits of 20 then 40 ms
    out.clear();
    sleepPast(c->nextTimeout());
    c->onTimeout(out);
    EXPECT_FALSE(out.empty()) << i;
    EXPECT_EQ(c->state(), DtlsSession::State::kHandshaking);
  }
  out.clear();
  c->onTimeout(out);  // the third: no more retransmissions allowed
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(c->state(), DtlsSession::State::kFailed);
  EXPECT_EQ(c->failure(), "DTLS handshake timed out after 2 retransmissions");
  EXPECT_FALSE(c->nextTimeout().has_value());
}

TEST_F(DtlsTest, RefusesAFirstWaitOpenSslWouldTakeAsExpired) {
  EXPECT_FALSE(DtlsContext::create(server_certificate_, DtlsRole::kServer,
                                   DtlsRetransmission{std::chrono::milliseconds(1), 4})
                   .ok());
}

TEST_F(DtlsTest, GarbageAndTruncatedDatagramsLeaveASaneState) {
  auto s = server();
  auto c = client();
  Datagrams out;
  c->start(out);
  const std::string client_hello = out.at(0);
  out.clear();

  std::vector<std::string> junk = {
      "",
      std::string(1, '\x16'),
      client_hello.substr(0, 5),
      client_hello.substr(0, 13),
      client_hello.substr(0, client_hello.size() / 2),
      std::string(3000, '\x16'),  // over the 2 KiB bound
      std::string(100, '\x00'),   // not a DTLS content type (RFC 7983)
      std::string("\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x07\xff\xff", 13),  // length lies
      std::string("\x15\xfe\xfd\x00\x00\x00\x00\x00\x00\x00\x09\x00\x02\x02\x28", 15),  // alert?
  };
  for (int i = 0; i < 200; ++i) {
    std::string random;
    for (int j = 0; j < 50 + i; ++j) random.push_back(static_cast<char>((i * 131 + j * 17) ^ j));
    random[0] = static_cast<char>(20 + i % 4);
    junk.push_back(random);
  }
  std::size_t fed = 0;
  for (const std::string& d : junk) {
    if (s->state() != DtlsSession::State::kHandshaking) break;
    s->onDatagram(asSpan(d), out);
    ++fed;
  }
  // Either still waiting, or failed with a reason (an unencrypted alert may end it); never more.
  if (s->state() == DtlsSession::State::kHandshaking) {
    EXPECT_EQ(fed, junk.size());
    EXPECT_TRUE(out.empty());
  } else {
    EXPECT_EQ(s->state(), DtlsSession::State::kFailed);
    EXPECT_FALSE(s->failure().empty());
  }

  // A fresh server that saw some junk (fewer than the handshake's datagram bound) still
  // completes a handshake.
  auto s2 = server();
  for (std::size_t i = 0; i < 40; ++i) {
    const std::string& d = junk[i];
    if (d.size() > 0 && static_cast<std::uint8_t>(d[0]) != 0x15) s2->onDatagram(asSpan(d), out);
  }
  out.clear();
  auto c2 = client();
  Link link{*c2, *s2, {}, {}};
  link.handshake();
  ASSERT_EQ(s2->state(), DtlsSession::State::kConnected) << s2->failure();
  ASSERT_EQ(c2->state(), DtlsSession::State::kConnected) << c2->failure();

  // After the handshake, junk and application data are dropped; the session stays up.
  for (const std::string& d : junk) {
    if (d.size() > 0 && static_cast<std::uint8_t>(d[0]) != 0x15) c2->onDatagram(asSpan(d), out);
  }
  EXPECT_EQ(c2->state(), DtlsSession::State::kConnected) << c2->failure();
}

TEST_F(DtlsTest, HandshakeDatagramsAreBounded) {
  auto s = server();
  Datagrams out;
  const std::string junk(40, '\x16');
  for (std::size_t i = 0; i < DtlsSession::kMaxHandshakeDatagrams + 1; ++i) {
    s->onDatagram(asSpan(junk), out);
  }
  EXPECT_EQ(s->state(), DtlsSession::State::kFailed);
  EXPECT_NE(s->failure().find("datagrams"), std::string::npos);
}

TEST_F(DtlsTest, ClientOfferingOnlyAesCmGetsIt) {
  ASSERT_EQ(SSL_CTX_set_tlsext_use_srtp(client_context_->native(), "SRTP_AES128_CM_SHA1_80"), 0);
  auto s = server();
  auto c = client();
  Link link{*c, *s, {}, {}};
  link.handshake();
  ASSERT_EQ(c->state(), DtlsSession::State::kConnected) << c->failure();
  ASSERT_EQ(s->state(), DtlsSession::State::kConnected) << s->failure();
  EXPECT_EQ(c->localKeys().profile, SrtpProfile::kAes128CmHmacSha1_80);
  EXPECT_EQ(s->localKeys().profile, SrtpProfile::kAes128CmHmacSha1_80);
  EXPECT_EQ(s->localKeys().master_salt.size(), 14u);
  expectSrtpFlows(*c, *s);
  expectSrtpFlows(*s, *c);
}

TEST_F(DtlsTest, SmallMtuFragmentsTheFlights) {
  auto s = server(300);
  auto c = client(300);
  Link link{*c, *s, {}, {}};
  link.handshake();
  ASSERT_EQ(c->state(), DtlsSession::State::kConnected) << c->failure();
  ASSERT_EQ(s->state(), DtlsSession::State::kConnected) << s->failure();
  EXPECT_LE(link.max_datagram, 300u);
}

TEST_F(DtlsTest, CloseNotifyEndsThePeer) {
  auto s = server();
  auto c = client();
  Link link{*c, *s, {}, {}};
  link.handshake();
  ASSERT_EQ(s->state(), DtlsSession::State::kConnected);
  Datagrams out;
  c->close(out);
  EXPECT_EQ(c->state(), DtlsSession::State::kClosed);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(static_cast<std::uint8_t>(out[0][0]), 21);  // alert
  Datagrams reply;
  for (const std::string& d : out) s->onDatagram(asSpan(d), reply);
  EXPECT_EQ(s->state(), DtlsSession::State::kClosed);
}

}  // namespace
}  // namespace throng::rtc
