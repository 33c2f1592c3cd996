// WHEP and the WebRTC engine end to end: the real binary publishes its built-in test stream,
// viewer bots (src/bench/whep_viewer.h: ICE controlling, DTLS client, SRTP) watch it over
// loopback. Covers the HTTP contract (draft-ietf-wish-whep), verified SRTP media from the next
// keyframe, NACK retransmission from the ring, PLI, the viewer cap, consent freshness
// (RFC 7675) freeing a silent viewer's place, and junk on the media port.
#include "bench/whep_viewer.h"
#include "rtc/dtls.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

namespace throng {
namespace {

namespace asio = boost::asio;
using bench::WhepViewer;
using testing::httpGet;
using testing::httpRequest;
using testing::ServerProcess;
using verb = boost::beast::http::verb;

// A small picture keeps the encoder cheap on a loaded test machine; the stream is real VP8.
ServerProcess::Options streamOptions() {
  ServerProcess::Options options;
  options.extra_toml["test_source.enabled"] = "true";
  options.extra_toml["test_source.width"] = "320";
  options.extra_toml["test_source.height"] = "180";
  options.extra_toml["test_source.video_bitrate_kbps"] = "300";
  options.extra_toml["webrtc.max_viewers_per_event"] = "2";
  options.extra_toml["webrtc.consent_timeout_ms"] = "2000";
  return options;
}

double metric(const ServerProcess& server, const std::string& name) {
  const auto body = httpGet(server.controlPort(), "/metrics").response.body();
  const auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + name.size() + 2));
}

// Runs the bots' loop until `done` or `limit`; returns whether `done` became true.
bool runUntil(asio::io_context& io, const std::function<bool()>& done,
              std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  return true;
}

class WhepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    auto certificate = rtc::DtlsCertificate::generate("bot");
    ASSERT_TRUE(certificate.ok());
    certificate_ = certificate.value();
    auto context = rtc::DtlsContext::create(certificate_, rtc::DtlsRole::kClient);
    ASSERT_TRUE(context.ok());
    dtls_ = std::move(context.value());
  }

  std::shared_ptr<WhepViewer> viewer(const std::string& source = "127.0.0.1") {
    bench::WhepViewerOptions options;
    options.http_port = server_.httpPort();
    options.event = "demo";
    options.source_address = asio::ip::make_address(source);
    options.decrypt_every = 1;
    options.consent_interval = std::chrono::milliseconds(400);  // well inside the 2 s timeout
    auto bot = std::make_shared<WhepViewer>(io_, options, *dtls_,
                                            certificate_->fingerprintSha256());
    bot->start();
    return bot;
  }

  bool receiving(const std::shared_ptr<WhepViewer>& bot) {
    return runUntil(io_, [&] {
      return bot->state() == WhepViewer::State::kFailed ||
             (bot->times().first_keyframe && bot->counts().decrypted > 20);
    }, std::chrono::seconds(15)) && bot->state() == WhepViewer::State::kReceiving;
  }

  ServerProcess server_{streamOptions()};
  asio::io_context io_;
  std::shared_ptr<const rtc::DtlsCertificate> certificate_;
  std::unique_ptr<rtc::DtlsContext> dtls_;
};

constexpr const char* kVp8Offer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\n"
    "a=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    "a=fingerprint:sha-256 "
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
    "\r\na=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n";

TEST_F(WhepTest, HttpContract) {
  const auto port = server_.httpPort();
  auto wrong_type = httpRequest(port, verb::post, "/whep/demo", kVp8Offer, "application/json");
  EXPECT_EQ(wrong_type.response.result_int(), 415);
  auto garbage = httpRequest(port, verb::post, "/whep/demo", "hello", "application/sdp");
  EXPECT_EQ(garbage.response.result_int(), 400) << garbage.response.body();
  std::string h264_high = kVp8Offer;
  h264_high.replace(h264_high.find("a=rtpmap:96 VP8/90000"), 21,
                    "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=640c1f");
  auto unsupported = httpRequest(port, verb::post, "/whep/demo", h264_high, "application/sdp");
  EXPECT_EQ(unsupported.response.result_int(), 422) << unsupported.response.body();
  EXPECT_FALSE(unsupported.response.body().empty());
  auto unknown = httpRequest(port, verb::post, "/whep/nosuch", kVp8Offer, "application/sdp");
  EXPECT_EQ(unknown.response.result_int(), 404);
  auto options = httpRequest(port, verb::options, "/whep/demo");
  EXPECT_EQ(options.response.result_int(), 204);
  EXPECT_EQ(options.response["Accept-Post"], "application/sdp");
  EXPECT_EQ(options.response["Access-Control-Allow-Origin"], "*");
  EXPECT_EQ(httpRequest(port, verb::head, "/whep/demo").response.result_int(), 200);
  EXPECT_EQ(httpRequest(port, verb::head, "/whep/nosuch").response.result_int(), 404);
  EXPECT_EQ(httpRequest(port, verb::get, "/whep/demo").response.result_int(), 405);
  EXPECT_EQ(httpRequest(port, verb::delete_, "/whep/demo/0123456789abcdef0123456789abcdef")
                .response.result_int(),
            404);

  auto created = httpRequest(port, verb::post, "/whep/demo", kVp8Offer, "application/sdp");
  ASSERT_EQ(created.response.result_int(), 201) << created.response.body();
  EXPECT_EQ(created.response[boost::beast::http::field::content_type], "application/sdp");
  const std::string location(created.response[boost::beast::http::field::location]);
  EXPECT_EQ(location.rfind("/whep/demo/", 0), 0u) << location;
  EXPECT_EQ(location.size(), std::string("/whep/demo/").size() + 32);  // 128-bit token
  EXPECT_NE(created.response.body().find("a=ice-lite"), std::string::npos);
  EXPECT_NE(created.response.body().find("a=setup:passive"), std::string::npos);
  EXPECT_NE(created.response.body().find("VP8/90000"), std::string::npos);
  EXPECT_NE(created.response.body().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(httpRequest(port, verb::patch, location, "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n",
                        "application/trickle-ice-sdpfrag").response.result_int(),
            204);
  EXPECT_EQ(httpRequest(port, verb::patch, location, "a=ice-ufrag:new1\r\na=ice-pwd:x\r\n",
                        "application/trickle-ice-sdpfrag").response.result_int(),
            422);
  EXPECT_EQ(httpRequest(port, verb::patch, location, "x", "text/plain").response.result_int(), 415);
  EXPECT_EQ(httpRequest(port, verb::delete_, location).response.result_int(), 200);
  EXPECT_EQ(httpRequest(port, verb::delete_, location).response.result_int(), 404);
}

TEST_F(WhepTest, ViewerGetsVerifiedMediaRetransmissionsAndKeyframes) {
  auto bot = viewer();
  ASSERT_TRUE(receiving(bot)) << bot->failure() << "\n" << server_.logText();
  const auto first = bot->counts();
  EXPECT_EQ(first.decrypt_failures, 0u);
  EXPECT_GT(first.audio_packets, 0u);
  EXPECT_EQ(metric(server_, "throng_webrtc_sessions"), 1);

  // NACK a packet we already have: the server answers from its ring.
  const auto out_of_order = first.out_of_order;
  bot->sendNack(static_cast<std::uint16_t>(bot->lastVideoSequence() - 3));
  EXPECT_TRUE(runUntil(io_, [&] { return bot->counts().out_of_order > out_of_order; },
                       std::chrono::seconds(3)));
  EXPECT_GE(metric(server_, "throng_webrtc_retransmitted_total"), 1);

  bot->sendPli();
  EXPECT_TRUE(runUntil(io_, [&] {
    return metric(server_, "throng_webrtc_keyframe_requests_total") >= 1;
  }, std::chrono::seconds(3)));

  // A second of media, verified packet by packet: nothing lost on loopback.
  runUntil(io_, [] { return false; }, std::chrono::seconds(1));
  const auto later = bot->counts();
  EXPECT_GT(later.decrypted, first.decrypted + 20);
  EXPECT_EQ(later.decrypt_failures, 0u);
  EXPECT_LE(later.expected - std::min(later.expected, later.video_packets + later.audio_packets),
            later.expected / 100);
  // Sender reports (RFC 3550 §6.4.1) for both tracks, about once a second, SRTCP-authenticated.
  EXPECT_TRUE(runUntil(io_, [&] { return bot->counts().sender_reports >= 4; },
                       std::chrono::seconds(3)));

  bot->stop();
  EXPECT_TRUE(runUntil(io_, [&] { return metric(server_, "throng_webrtc_sessions") == 0; },
                       std::chrono::seconds(5)));
}

TEST_F(WhepTest, CapThenConsentExpiryFreesTheSilentViewersPlace) {
  auto a = viewer("127.0.0.2");
  auto b = viewer("127.0.0.3");
  ASSERT_TRUE(receiving(a)) << a->failure();
  ASSERT_TRUE(receiving(b)) << b->failure();
  // webrtc.max_viewers_per_event = 2.
  auto full = httpRequest(server_.httpPort(), verb::post, "/whep/demo", kVp8Offer,
                          "application/sdp");
  EXPECT_EQ(full.response.result_int(), 503);
  EXPECT_FALSE(full.response[boost::beast::http::field::retry_after].empty());

  // Junk on the media port is dropped and counted; the viewers carry on.
  {
    asio::ip::udp::socket junk(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.4"), 0));
    const asio::ip::udp::endpoint media(asio::ip::make_address("127.0.0.1"),
                                        server_.ready()["webrtc"]["port"].get<std::uint16_t>());
    const std::string garbage[] = {std::string("\x00\x01\x00\x00", 4), "hello",
                                   std::string(1200, '\x80'), std::string("\x16\xfe\xfd", 3)};
    for (const auto& datagram : garbage) junk.send_to(asio::buffer(datagram), media);
  }

  a->goSilent();
  const auto before = b->counts().decrypted;
  EXPECT_TRUE(runUntil(io_, [&] {
    return metric(server_, "throng_webrtc_consent_expired_total") == 1;
  }, std::chrono::seconds(6)));
  EXPECT_EQ(metric(server_, "throng_webrtc_sessions"), 1);
  EXPECT_GE(metric(server_, "throng_webrtc_dropped_unknown_total") +
                metric(server_, "throng_webrtc_stun_rejected_total"),
            3);
  EXPECT_GT(b->counts().decrypted, before);
  EXPECT_EQ(b->counts().decrypt_failures, 0u);

  // The silent viewer's place is free again.
  auto again = viewer("127.0.0.5");
  EXPECT_TRUE(receiving(again)) << again->failure();
  a->stop(false);
  b->stop();
  again->stop();
  runUntil(io_, [&] { return metric(server_, "throng_webrtc_sessions") == 0; },
           std::chrono::seconds(5));
}

}  // namespace
}  // namespace throng
