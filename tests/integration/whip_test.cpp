// WHIP ingest (RFC 9725) end to end against the real binary on loopback: the HTTP contract
// (the stream key, content types, 400/409/415/422, Location/ETag, DELETE freeing the event,
// CORS, trickle PATCH, WHIP and WHEP tokens kept apart, 429 after many wrong keys, the key
// never in the log), then a publisher bot — ICE controlling, DTLS client, SRTP, the project's
// VP8 encoder — that takes over from the test source while WHEP viewer bots watch: garbage and
// oversized RTP are refused and counted while the viewers keep receiving, a packet the bot
// holds back is NACKed by throng and recovered when the bot sends it, and a joining viewer
// makes throng send the publisher a PLI.
#include "bench/whep_viewer.h"
#include "media/test_pattern.h"
#include "media/vp8_encoder.h"
#include "media/vp8_packetizer.h"
#include "rtc/dtls.h"
#include "rtc/packet_class.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/sdp.h"
#include "rtc/srtp.h"
#include "rtc/stun.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace throng {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using bench::WhepViewer;
using testing::httpGet;
using testing::httpRequest;
using testing::HttpResult;
using testing::ServerProcess;
using verb = boost::beast::http::verb;
using Clock = std::chrono::steady_clock;

std::uint32_t randomUint32() {
  std::uint32_t value = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
  return value;
}

std::string randomHex(std::size_t bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", randomUint32() & 0xff);
  return out;
}

// What a browser's WHIP client offers for one camera (web/whip-publisher.js with video only):
// a sendonly VP8 section with NACK, PLI and REMB feedback, and its SSRC.
std::string publisherOffer(const std::string& ufrag, const std::string& pwd,
                           const std::string& fingerprint, std::uint32_t ssrc,
                           std::string_view direction = "sendonly") {
  return fmt::format(
      "v=0\r\no=- {} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
      "a=msid-semantic: WMS bot\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=ice-options:trickle\r\n"
      "a=fingerprint:sha-256 {}\r\na=setup:actpass\r\na=mid:0\r\na={}\r\na=msid:bot video\r\n"
      "a=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
      "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 goog-remb\r\na=ssrc:{} cname:bot\r\n",
      randomUint32(), ufrag, pwd, fingerprint, direction, ssrc);
}

// The same with simulcast (RFC 8853): the rid header extension, a=rid per encoding and
// a=simulcast, and no SSRCs (throng learns them from the rid in the packets, as with browsers).
std::string simulcastOffer(const std::string& ufrag, const std::string& pwd,
                           const std::string& fingerprint, const std::vector<std::string>& rids) {
  std::string offer = publisherOffer(ufrag, pwd, fingerprint, 0);
  offer = offer.substr(0, offer.find("a=ssrc:"));
  offer += "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n";
  std::string list;
  for (const auto& rid : rids) {
    offer += "a=rid:" + rid + " send\r\n";
    list += (list.empty() ? "" : ";") + rid;
  }
  return offer + "a=simulcast:send " + list + "\r\n";
}

// A WHIP publisher on one UDP socket, driven by the test's loop through service(): ICE checks
// with USE-CANDIDATE (throng is ICE-lite), the DTLS client handshake, then VP8 at 30 frames a
// second from the project's encoder, protected with SRTP. It records the RTCP throng sends it.
class PublisherBot {
 public:
  static constexpr std::uint8_t kPayloadType = 96;

  PublisherBot(asio::io_context& io, rtc::DtlsContext& dtls, std::string fingerprint)
      : dtls_context_(dtls), fingerprint_(std::move(fingerprint)), socket_(io) {
    socket_.open(udp::v4());
    socket_.bind(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    socket_.non_blocking(true);
    ufrag_ = randomHex(4);
    pwd_ = randomHex(16);
    ssrc_ = randomUint32();
    sequence_ = static_cast<std::uint16_t>(randomUint32());
    timestamp_base_ = randomUint32();
    media::Vp8EncoderOptions options;
    options.width = 160;
    options.height = 120;
    options.fps = 30;
    options.bitrate_kbps = 200;
    auto encoder = media::Vp8Encoder::create(options);
    if (encoder.ok()) encoder_ = std::move(encoder.value());
  }

  std::string offer() const {
    if (layers_.empty()) return publisherOffer(ufrag_, pwd_, fingerprint_, ssrc_);
    std::vector<std::string> rids{rid_};
    for (const auto& layer : layers_) rids.push_back(layer->rid);
    return simulcastOffer(ufrag_, pwd_, fingerprint_, rids);
  }
  std::uint32_t ssrc() const { return ssrc_; }

  // Simulcast: the bot's own encoding is named `rid`; each added layer is another encoding of
  // the same pictures at `width`×`height`, with its own SSRC, numbering and encoder. Every
  // packet carries its rid in header extension 10.
  void addLayer(const std::string& rid, std::string layer_rid, int width, int height) {
    rid_ = rid;
    auto layer = std::make_unique<ExtraLayer>(width, height);
    layer->rid = std::move(layer_rid);
    layer->ssrc = randomUint32();
    layer->sequence = static_cast<std::uint16_t>(randomUint32());
    media::Vp8EncoderOptions options;
    options.width = width;
    options.height = height;
    options.fps = 30;
    options.bitrate_kbps = 600;
    auto encoder = media::Vp8Encoder::create(options);
    if (encoder.ok()) layer->encoder = std::move(encoder.value());
    layers_.push_back(std::move(layer));
  }

  // The answer of a 201: where to send, and whom to expect at the other end of DTLS.
  bool onAnswer(const std::string& sdp) {
    auto answer = rtc::parseSdp(sdp);
    if (!answer || answer->media.empty()) return false;
    const auto& media = answer->media.front();
    remote_ufrag_ = media.ice_ufrag;
    remote_pwd_ = media.ice_pwd;
    for (const auto& candidate : media.candidates) {
      boost::system::error_code ec;
      const auto address = asio::ip::make_address(candidate.address, ec);
      if (!ec && address.is_v4() && address.is_loopback()) {
        server_ = udp::endpoint(address, candidate.port);
        dtls_ = std::make_unique<rtc::DtlsSession>(dtls_context_, media.fingerprint);
        return true;
      }
    }
    return false;
  }

  bool connected() const { return srtp_ != nullptr; }
  bool failed() const { return dtls_ && dtls_->state() == rtc::DtlsSession::State::kFailed; }

  // Reads what arrived, keeps ICE/DTLS going and sends the frames that are due.
  void service(Clock::time_point now) {
    receive();
    if (!dtls_) return;
    if (now - last_check_ >=
        (connected() ? std::chrono::milliseconds(500) : std::chrono::milliseconds(50))) {
      sendBindingRequest(now);
    }
    if (!connected() && dtls_->state() == rtc::DtlsSession::State::kHandshaking) {
      if (auto timeout = dtls_->nextTimeout(); timeout && timeout->count() <= 0) {
        std::vector<std::string> out;
        dtls_->onTimeout(out);
        send(out);
      }
    }
    if (connected() && sending_ && now >= next_frame_) {
      next_frame_ = now + std::chrono::milliseconds(33);
      sendFrame();
    }
  }

  void setSending(bool sending) { sending_ = sending; }
  // The next media packet is protected but not sent, as if lost; a NACK for it sends it.
  void loseNextPacket() { lose_next_ = true; }
  std::optional<std::uint16_t> lostSequence() const { return lost_sequence_; }
  bool retransmitted() const { return retransmitted_; }

  // Sends one RTP packet as the publisher would, with any payload type and payload.
  void sendRtp(std::uint8_t payload_type, const std::string& payload) {
    rtc::RtpHeaderFields header;
    header.payload_type = payload_type;
    header.sequence = sequence_++;
    header.timestamp = timestamp_base_ + frames_ * 3000;
    header.ssrc = ssrc_;
    header.marker = true;
    sendDatagram(protect(header, payload));
  }
  void sendRaw(const std::string& datagram) { sendDatagram(datagram); }

  struct Feedback {
    int nacks = 0, plis = 0, firs = 0, receiver_reports = 0, rembs = 0, layer_plis = 0;
    std::vector<std::uint16_t> nacked;
    std::uint64_t remb_bps = 0;
  };
  const Feedback& feedback() const { return feedback_; }
  std::uint64_t packetsSent() const { return packets_sent_; }

 private:
  void receive() {
    std::uint8_t buffer[2048];
    for (;;) {
      udp::endpoint from;
      boost::system::error_code ec;
      const std::size_t n = socket_.receive_from(asio::buffer(buffer), from, 0, ec);
      if (ec) return;  // would_block: all read
      if (from != server_) continue;
      onDatagram(buffer, n);
    }
  }

  void onDatagram(std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> datagram(data, size);
    switch (rtc::classifyPacket(datagram)) {
      case rtc::PacketClass::kStun: {
        auto message = rtc::parseStun(datagram);
        if (!message || message->type != rtc::kStunBindingSuccess) return;
        if (!rtc::checkStunIntegrity(datagram, *message, remote_pwd_)) return;
        if (!dtls_started_) {
          dtls_started_ = true;
          std::vector<std::string> out;
          dtls_->start(out);  // ClientHello: the answer said setup:passive
          send(out);
        }
        return;
      }
      case rtc::PacketClass::kDtls: {
        std::vector<std::string> out;
        dtls_->onDatagram(datagram, out);
        send(out);
        if (!srtp_ && dtls_->state() == rtc::DtlsSession::State::kConnected) {
          auto srtp = rtc::makeSrtpSession(rtc::SrtpImplementation::kOpenSsl, dtls_->localKeys(),
                                           dtls_->remoteKeys());
          if (srtp) srtp_ = std::move(srtp.value());
        }
        return;
      }
      case rtc::PacketClass::kRtcp:
        if (srtp_) onRtcp(data, size);
        return;
      default:
        return;
    }
  }

  void onRtcp(std::uint8_t* data, std::size_t size) {
    std::size_t length = size;
    if (!srtp_->unprotectRtcp(data, length)) return;
    rtc::forEachRtcpPacket(
        std::span<const std::uint8_t>(data, length), [&](const rtc::RtcpPacketView& view) {
          if (auto nack = rtc::parseNack(view); nack && nack->media_ssrc == ssrc_) {
            ++feedback_.nacks;
            for (std::uint16_t s : nack->sequences) {
              feedback_.nacked.push_back(s);
              if (lost_sequence_ == s && !retransmitted_) {
                retransmitted_ = true;
                sendDatagram(lost_packet_);
              }
            }
          } else if (auto pli = rtc::parsePli(view); pli && pli->media_ssrc == ssrc_) {
            ++feedback_.plis;
            keyframe_wanted_ = true;
          } else if (pli) {
            for (auto& layer : layers_) {
              if (layer->ssrc == pli->media_ssrc) {
                ++feedback_.layer_plis;
                layer->keyframe_wanted = true;
              }
            }
          } else if (auto fir = rtc::parseFir(view)) {
            ++feedback_.firs;
            keyframe_wanted_ = true;
          } else if (auto remb = rtc::parseRemb(view)) {
            ++feedback_.rembs;
            feedback_.remb_bps = remb->bitrate_bps;
          } else if (auto report = rtc::parseReceiverReport(view)) {
            for (const auto& block : report->blocks) {
              if (block.ssrc == ssrc_) ++feedback_.receiver_reports;
            }
          }
        });
  }

  void sendBindingRequest(Clock::time_point now) {
    rtc::BindingRequestParams params;
    params.username = remote_ufrag_ + ":" + ufrag_;
    params.password = remote_pwd_;
    params.priority = 2130706431;
    params.tie_breaker = (std::uint64_t{randomUint32()} << 32) | randomUint32();
    params.controlling = true;
    params.use_candidate = true;
    RAND_bytes(params.transaction_id.data(), static_cast<int>(params.transaction_id.size()));
    sendDatagram(rtc::buildBindingRequest(params));
    last_check_ = now;
  }

  void sendFrame() {
    if (!encoder_) return;
    pattern_.render(picture_, frames_, std::chrono::system_clock::now());
    const std::uint32_t timestamp = timestamp_base_ + frames_ * 3000;
    auto frame = encoder_->encode(picture_, keyframe_wanted_ || frames_ == 0, timestamp);
    ++frames_;
    if (!frame) return;
    keyframe_wanted_ = false;
    std::vector<media::Payload> payloads;
    packetizer_.packetize(*frame, payloads);
    for (const auto& payload : payloads) {
      rtc::RtpHeaderFields header;
      header.payload_type = kPayloadType;
      header.sequence = sequence_++;
      header.timestamp = timestamp;
      header.ssrc = ssrc_;
      header.marker = payload.marker;
      std::string packet = protect(header, payload.bytes, rid_);
      if (lose_next_) {
        lose_next_ = false;
        lost_sequence_ = header.sequence;
        lost_packet_ = std::move(packet);
        continue;
      }
      sendDatagram(packet);
      ++packets_sent_;
    }
    for (auto& layer : layers_) sendLayerFrame(*layer, timestamp);
  }

  struct ExtraLayer {
    ExtraLayer(int width, int height) : pattern(width, height) {}
    std::string rid;
    std::uint32_t ssrc = 0;
    std::uint16_t sequence = 0;
    std::unique_ptr<media::Vp8Encoder> encoder;
    media::Vp8Packetizer packetizer{1100};
    media::TestPattern pattern;
    media::I420Frame picture;
    bool keyframe_wanted = true;
  };

  void sendLayerFrame(ExtraLayer& layer, std::uint32_t timestamp) {
    if (!layer.encoder) return;
    layer.pattern.render(layer.picture, frames_, std::chrono::system_clock::now());
    auto frame = layer.encoder->encode(layer.picture, layer.keyframe_wanted, timestamp);
    if (!frame) return;
    layer.keyframe_wanted = false;
    std::vector<media::Payload> payloads;
    layer.packetizer.packetize(*frame, payloads);
    for (const auto& payload : payloads) {
      rtc::RtpHeaderFields header;
      header.payload_type = kPayloadType;
      header.sequence = layer.sequence++;
      header.timestamp = timestamp + 4500;  // its own clock offset, as a browser's layers have
      header.ssrc = layer.ssrc;
      header.marker = payload.marker;
      sendDatagram(protect(header, payload.bytes, layer.rid));
    }
  }

  // With `rid`: a one-byte header extension (RFC 8285 §4.2) with element 10 = the rid.
  std::string protect(const rtc::RtpHeaderFields& header, const std::string& payload,
                      std::string_view rid = {}) {
    std::string extension;
    if (!rid.empty()) {
      std::string element;
      element.push_back(static_cast<char>((10 << 4) | (rid.size() - 1)));
      element += rid;
      while (element.size() % 4 != 0) element.push_back('\0');
      const auto words = element.size() / 4;
      extension = std::string("\xbe\xde", 2);
      extension.push_back(static_cast<char>(words >> 8));
      extension.push_back(static_cast<char>(words & 0xff));
      extension += element;
    }
    const std::size_t header_size = rtc::kRtpFixedHeaderSize + extension.size();
    std::string packet(header_size + payload.size() + rtc::kSrtpMaxOverhead, '\0');
    auto* data = reinterpret_cast<std::uint8_t*>(packet.data());
    rtc::writeRtpHeader(std::span<std::uint8_t, rtc::kRtpFixedHeaderSize>(data, 12), header);
    if (!extension.empty()) data[0] |= 0x10;  // X
    std::copy(extension.begin(), extension.end(), packet.begin() + rtc::kRtpFixedHeaderSize);
    std::copy(payload.begin(), payload.end(), packet.begin() + header_size);
    std::size_t length = header_size + payload.size();
    if (!srtp_ || !srtp_->protectRtp(data, length)) return {};
    packet.resize(length);
    return packet;
  }

  void send(const std::vector<std::string>& datagrams) {
    for (const auto& d : datagrams) sendDatagram(d);
  }
  void sendDatagram(const std::string& datagram) {
    if (datagram.empty()) return;
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(datagram), server_, 0, ec);
  }

  rtc::DtlsContext& dtls_context_;
  std::string fingerprint_;
  udp::socket socket_;
  udp::endpoint server_;
  std::string ufrag_, pwd_, remote_ufrag_, remote_pwd_;
  std::uint32_t ssrc_ = 0;
  std::uint16_t sequence_ = 0;
  std::uint32_t timestamp_base_ = 0;
  std::uint32_t frames_ = 0;
  std::unique_ptr<rtc::DtlsSession> dtls_;
  bool dtls_started_ = false;
  std::unique_ptr<rtc::SrtpSession> srtp_;
  Clock::time_point last_check_{};
  Clock::time_point next_frame_{};
  bool sending_ = true;
  std::unique_ptr<media::Vp8Encoder> encoder_;
  media::Vp8Packetizer packetizer_{1100};
  media::TestPattern pattern_{160, 120};
  media::I420Frame picture_;
  bool keyframe_wanted_ = false;
  bool lose_next_ = false;
  std::optional<std::uint16_t> lost_sequence_;
  std::string lost_packet_;
  bool retransmitted_ = false;
  std::uint64_t packets_sent_ = 0;
  Feedback feedback_;
  std::string rid_;  // simulcast only
  std::vector<std::unique_ptr<ExtraLayer>> layers_;
};

double metric(const ServerProcess& server, const std::string& name) {
  const auto body = httpGet(server.controlPort(), "/metrics").response.body();
  const auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + name.size() + 2));
}

ServerProcess::Options streamOptions() {
  ServerProcess::Options options;
  options.extra_toml["test_source.enabled"] = "true";
  options.extra_toml["test_source.width"] = "320";
  options.extra_toml["test_source.height"] = "180";
  options.extra_toml["test_source.video_bitrate_kbps"] = "300";
  return options;
}

class WhipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    auto certificate = rtc::DtlsCertificate::generate("bot");
    ASSERT_TRUE(certificate.ok());
    certificate_ = certificate.value();
    auto context = rtc::DtlsContext::create(certificate_, rtc::DtlsRole::kClient);
    ASSERT_TRUE(context.ok());
    dtls_ = std::move(context.value());
    key_ = createEvent("demo");
    ASSERT_FALSE(key_.empty());
  }

  // Creates an event through the admin API; returns its stream key.
  std::string createEvent(const std::string& slug) {
    auto created = httpRequest(server_.controlPort(), verb::post, "/api/events",
                               fmt::format(R"({{"slug":"{}","title":"Event {}"}})", slug, slug),
                               "application/json", server_.adminToken());
    EXPECT_EQ(created.response.result_int(), 201) << created.response.body();
    if (created.response.result_int() != 201) return "";
    return nlohmann::json::parse(created.response.body())["stream_key"].get<std::string>();
  }

  HttpResult post(const std::string& offer, const std::string& key,
                  const std::string& target = "/whip/demo",
                  const std::string& content_type = "application/sdp") {
    return httpRequest(server_.httpPort(), verb::post, target, offer, content_type, key);
  }

  std::string goodOffer() {
    return publisherOffer(randomHex(4), randomHex(16), certificate_->fingerprintSha256(),
                          randomUint32());
  }

  std::shared_ptr<WhepViewer> viewer(const std::string& source) {
    bench::WhepViewerOptions options;
    options.http_port = server_.httpPort();
    options.event = "demo";
    options.source_address = asio::ip::make_address(source);
    options.decrypt_every = 1;
    options.consent_interval = std::chrono::milliseconds(1000);
    auto bot =
        std::make_shared<WhepViewer>(io_, options, *dtls_, certificate_->fingerprintSha256());
    bot->start();
    return bot;
  }

  // Runs the viewer bots' loop and the publisher bot until `done` or `limit`.
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
      if (publisher_) publisher_->service(Clock::now());
    }
    return true;
  }

  bool receiving(const std::shared_ptr<WhepViewer>& bot) {
    return runUntil(
               [&] {
                 return bot->state() == WhepViewer::State::kFailed ||
                        (bot->times().first_keyframe && bot->counts().decrypted > 20);
               },
               std::chrono::seconds(15)) &&
           bot->state() == WhepViewer::State::kReceiving;
  }

  bool eventLive() {
    auto info = httpGet(server_.httpPort(), "/api/public/events/demo");
    return nlohmann::json::parse(info.response.body())["live"].get<bool>();
  }

  ServerProcess server_{streamOptions()};
  asio::io_context io_;
  std::shared_ptr<const rtc::DtlsCertificate> certificate_;
  std::unique_ptr<rtc::DtlsContext> dtls_;
  std::string key_;
  std::unique_ptr<PublisherBot> publisher_;
};

TEST_F(WhipTest, HttpContract) {
  const auto port = server_.httpPort();
  const std::string offer = goodOffer();
  const std::string other_key = createEvent("other");

  // The key: missing, wrong, another event's, for an event that does not exist — one answer.
  for (const auto& [target, key] :
       std::vector<std::pair<std::string, std::string>>{{"/whip/demo", ""},
                                                        {"/whip/demo", std::string(48, '0')},
                                                        {"/whip/demo", other_key},
                                                        {"/whip/other", key_},
                                                        {"/whip/nosuch", key_}}) {
    auto refused = post(offer, key, target);
    EXPECT_EQ(refused.response.result_int(), 401) << target << " " << refused.response.body();
    EXPECT_EQ(refused.response[boost::beast::http::field::www_authenticate],
              "Bearer realm=\"throng\"");
    EXPECT_EQ(refused.response["Access-Control-Allow-Origin"], "*");
  }
  // The body: its type, its syntax, its directions.
  EXPECT_EQ(post(offer, key_, "/whip/demo", "application/json").response.result_int(), 415);
  auto garbage = post("hello", key_);
  EXPECT_EQ(garbage.response.result_int(), 400) << garbage.response.body();
  const std::string recvonly =
      publisherOffer(randomHex(4), randomHex(16), certificate_->fingerprintSha256(), 1, "recvonly");
  auto viewer_offer = post(recvonly, key_);
  EXPECT_EQ(viewer_offer.response.result_int(), 422);
  EXPECT_NE(viewer_offer.response.body().find("sendonly or sendrecv"), std::string::npos)
      << viewer_offer.response.body();
  EXPECT_EQ(post(offer, key_, "/whip/demo/0123456789abcdef0123456789abcdef").response.result_int(),
            404);

  // Accepted: 201, the answer, where the session lives, its ETag.
  auto created = post(offer, key_);
  ASSERT_EQ(created.response.result_int(), 201) << created.response.body();
  EXPECT_EQ(created.response[boost::beast::http::field::content_type], "application/sdp");
  const std::string location(created.response[boost::beast::http::field::location]);
  EXPECT_EQ(location.rfind("/whip/demo/", 0), 0u) << location;
  EXPECT_EQ(location.size(), std::string("/whip/demo/").size() + 32);  // 128-bit token
  const std::string etag(created.response[boost::beast::http::field::etag]);
  EXPECT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(created.response["Accept-Patch"], "application/trickle-ice-sdpfrag");
  EXPECT_EQ(created.response["Access-Control-Allow-Origin"], "*");
  EXPECT_NE(created.response["Access-Control-Expose-Headers"].find("Location"), std::string::npos);
  const std::string& sdp = created.response.body();
  EXPECT_NE(sdp.find("a=recvonly"), std::string::npos);
  EXPECT_EQ(sdp.find("a=sendonly"), std::string::npos);
  EXPECT_EQ(sdp.find("a=ssrc:"), std::string::npos);
  EXPECT_NE(sdp.find("a=ice-lite"), std::string::npos);
  EXPECT_NE(sdp.find("a=setup:passive"), std::string::npos);
  EXPECT_NE(sdp.find("a=rtpmap:96 VP8/90000"), std::string::npos);
  EXPECT_NE(sdp.find("a=rtcp-fb:96 nack pli"), std::string::npos);
  EXPECT_NE(sdp.find("127.0.0.1"), std::string::npos);

  // One publisher at a time, even before it connects.
  auto second = post(goodOffer(), key_);
  EXPECT_EQ(second.response.result_int(), 409) << second.response.body();
  EXPECT_FALSE(second.response.body().empty());

  // Trickle ICE (RFC 8840): candidates taken, an ICE restart refused; other types 415.
  EXPECT_EQ(
      httpRequest(port, verb::patch, location, "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n",
                  "application/trickle-ice-sdpfrag")
          .response.result_int(),
      204);
  EXPECT_EQ(httpRequest(port, verb::patch, location, "a=ice-ufrag:new1\r\na=ice-pwd:x\r\n",
                        "application/trickle-ice-sdpfrag")
                .response.result_int(),
            422);
  EXPECT_EQ(httpRequest(port, verb::patch, location, "x", "text/plain").response.result_int(), 415);
  EXPECT_EQ(httpRequest(port, verb::patch, "/whip/demo/0123456789abcdef0123456789abcdef",
                        "a=end-of-candidates\r\n", "application/trickle-ice-sdpfrag")
                .response.result_int(),
            404);

  // CORS preflight, for the endpoint and for a session.
  auto preflight = httpRequest(port, verb::options, "/whip/demo");
  EXPECT_EQ(preflight.response.result_int(), 204);
  EXPECT_EQ(preflight.response["Accept-Post"], "application/sdp");
  EXPECT_EQ(preflight.response["Access-Control-Allow-Origin"], "*");
  EXPECT_NE(preflight.response["Access-Control-Allow-Methods"].find("POST"), std::string::npos);
  EXPECT_NE(preflight.response["Access-Control-Allow-Headers"].find("Authorization"),
            std::string::npos);
  auto session_preflight = httpRequest(port, verb::options, location);
  EXPECT_EQ(session_preflight.response.result_int(), 204);
  EXPECT_NE(session_preflight.response["Access-Control-Allow-Methods"].find("DELETE"),
            std::string::npos);
  EXPECT_NE(session_preflight.response["Access-Control-Allow-Methods"].find("PATCH"),
            std::string::npos);

  // WHIP and WHEP sessions are not each other's.
  auto watching = httpRequest(port, verb::post, "/whep/demo",
                              "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                              "a=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                              "c=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n"
                              "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                              "a=fingerprint:sha-256 " +
                                  certificate_->fingerprintSha256() +
                                  "\r\na=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n",
                              "application/sdp");
  ASSERT_EQ(watching.response.result_int(), 201) << watching.response.body();
  const std::string whep_location(watching.response[boost::beast::http::field::location]);
  const std::string whip_token = location.substr(location.rfind('/') + 1);
  const std::string whep_token = whep_location.substr(whep_location.rfind('/') + 1);
  EXPECT_EQ(httpRequest(port, verb::delete_, "/whep/demo/" + whip_token).response.result_int(),
            404);
  EXPECT_EQ(httpRequest(port, verb::delete_, "/whip/demo/" + whep_token).response.result_int(),
            404);
  EXPECT_EQ(httpRequest(port, verb::patch, "/whip/demo/" + whep_token, "a=end-of-candidates\r\n",
                        "application/trickle-ice-sdpfrag")
                .response.result_int(),
            404);
  EXPECT_EQ(httpRequest(port, verb::delete_, whep_location).response.result_int(), 200);

  // DELETE ends it; the event is free for the next publisher.
  EXPECT_EQ(httpRequest(port, verb::delete_, location).response.result_int(), 200);
  EXPECT_EQ(httpRequest(port, verb::delete_, location).response.result_int(), 404);
  auto next = post(goodOffer(), key_);
  ASSERT_EQ(next.response.result_int(), 201) << next.response.body();
  const std::string next_location(next.response[boost::beast::http::field::location]);
  EXPECT_NE(next_location, location);
  EXPECT_EQ(httpRequest(port, verb::delete_, next_location).response.result_int(), 200);

  // A rotated key: the old one no longer works.
  auto rotated =
      httpRequest(server_.controlPort(), verb::patch, "/api/events/demo",
                  R"({"rotate_stream_key":true})", "application/json", server_.adminToken());
  ASSERT_EQ(rotated.response.result_int(), 200);
  const std::string new_key = nlohmann::json::parse(rotated.response.body())["stream_key"];
  EXPECT_EQ(post(goodOffer(), key_).response.result_int(), 401);
  auto with_new = post(goodOffer(), new_key);
  EXPECT_EQ(with_new.response.result_int(), 201);
  httpRequest(port, verb::delete_,
              std::string(with_new.response[boost::beast::http::field::location]));

  // No key reaches the log.
  const std::string log = server_.logText();
  for (const std::string& key : {key_, other_key, new_key}) {
    EXPECT_EQ(log.find(key), std::string::npos) << "a stream key in the log";
  }
}

TEST_F(WhipTest, ManyWrongKeysFromOneAddressAreRefusedWith429) {
  int refused_at = -1;
  for (int i = 0; i < 20 && refused_at < 0; ++i) {
    auto wrong = post(goodOffer(), randomHex(24));
    if (wrong.response.result_int() == 429) {
      refused_at = i;
      EXPECT_FALSE(wrong.response[boost::beast::http::field::retry_after].empty());
      EXPECT_EQ(wrong.response["Access-Control-Allow-Origin"], "*");
    } else {
      EXPECT_EQ(wrong.response.result_int(), 401);
    }
  }
  EXPECT_EQ(refused_at, 10);  // a burst of ten wrong keys, then none
  // Even the right key waits now: the address is what is limited.
  EXPECT_EQ(post(goodOffer(), key_).response.result_int(), 429);
  // The key never reached the log.
  EXPECT_EQ(server_.logText().find(key_), std::string::npos);
}

TEST_F(WhipTest, APublisherBotTakesOverAndThrongActsAsItsReceiver) {
  // A viewer watches the test source.
  auto first = viewer("127.0.0.2");
  ASSERT_TRUE(receiving(first)) << first->failure() << "\n" << server_.logText();

  // The publisher connects and takes the stream over.
  publisher_ = std::make_unique<PublisherBot>(io_, *dtls_, certificate_->fingerprintSha256());
  auto created = post(publisher_->offer(), key_);
  ASSERT_EQ(created.response.result_int(), 201) << created.response.body();
  const std::string location(created.response[boost::beast::http::field::location]);
  ASSERT_TRUE(publisher_->onAnswer(created.response.body())) << created.response.body();
  ASSERT_TRUE(runUntil([&] { return publisher_->connected() || publisher_->failed(); },
                       std::chrono::seconds(10)));
  ASSERT_TRUE(publisher_->connected()) << server_.logText();
  ASSERT_TRUE(runUntil([&] { return metric(server_, "throng_ingest_packets_total") > 30; },
                       std::chrono::seconds(10)))
      << server_.logText();
  EXPECT_TRUE(eventLive());
  EXPECT_EQ(metric(server_, "throng_ingest_rejected_total"), 0);

  // The viewer stays and receives the publisher's packets, numbered on from the test source's:
  // nothing missing at the change.
  const auto before = first->counts();
  ASSERT_TRUE(runUntil([&] { return first->counts().video_packets > before.video_packets + 30; },
                       std::chrono::seconds(5)));
  EXPECT_EQ(first->state(), WhepViewer::State::kReceiving);
  EXPECT_EQ(first->counts().decrypt_failures, 0u);
  {
    const auto c = first->counts();
    EXPECT_LE(c.expected - std::min(c.expected, c.video_packets + c.audio_packets), c.expected / 50)
        << "expected " << c.expected << ", got " << c.video_packets << " + " << c.audio_packets;
  }

  // Receiver reports (and REMB, which the offer allowed) come about once a second.
  EXPECT_TRUE(runUntil(
      [&] {
        return publisher_->feedback().receiver_reports >= 1 && publisher_->feedback().rembs >= 1;
      },
      std::chrono::seconds(3)));
  EXPECT_GE(publisher_->feedback().remb_bps, 300'000u);

  // Garbage is refused and counted; the viewer does not notice.
  publisher_->sendRtp(100, std::string(200, 'x'));                          // not a negotiated type
  publisher_->sendRtp(PublisherBot::kPayloadType, std::string(1420, 'x'));  // oversized
  publisher_->sendRtp(PublisherBot::kPayloadType, "");                      // no payload
  publisher_->sendRaw(std::string("\x80\x60\x00\x01", 4) + std::string(100, '\x55'));  // no auth
  EXPECT_TRUE(runUntil([&] { return metric(server_, "throng_ingest_rejected_total") >= 4; },
                       std::chrono::seconds(3)))
      << metric(server_, "throng_ingest_rejected_total");
  const auto after_garbage = first->counts();
  ASSERT_TRUE(
      runUntil([&] { return first->counts().video_packets > after_garbage.video_packets + 30; },
               std::chrono::seconds(5)));
  EXPECT_EQ(first->counts().decrypt_failures, 0u);
  EXPECT_EQ(first->state(), WhepViewer::State::kReceiving);

  // A packet lost on the way up: throng asks for it (RFC 4585 NACK), gets it, passes it on.
  publisher_->loseNextPacket();
  ASSERT_TRUE(
      runUntil([&] { return publisher_->lostSequence().has_value(); }, std::chrono::seconds(2)));
  const std::uint16_t lost = *publisher_->lostSequence();
  EXPECT_TRUE(runUntil([&] { return publisher_->retransmitted(); }, std::chrono::seconds(3)))
      << "no NACK for " << lost;
  const auto& nacked = publisher_->feedback().nacked;
  EXPECT_NE(std::find(nacked.begin(), nacked.end(), lost), nacked.end());
  EXPECT_TRUE(runUntil([&] { return metric(server_, "throng_ingest_recovered_total") >= 1; },
                       std::chrono::seconds(3)));
  EXPECT_GE(metric(server_, "throng_ingest_nacks_sent_total"), 1);

  // A new viewer needs a keyframe: throng asks the publisher with a PLI (at most one a second).
  runUntil([] { return false; }, std::chrono::milliseconds(1200));
  const int plis = publisher_->feedback().plis;
  auto second = viewer("127.0.0.3");
  EXPECT_TRUE(
      runUntil([&] { return publisher_->feedback().plis > plis; }, std::chrono::seconds(5)));
  EXPECT_TRUE(receiving(second)) << second->failure();
  EXPECT_GE(metric(server_, "throng_ingest_keyframe_requests_total"), 1);

  // The publisher ends: the event is offline, the viewers stay connected.
  publisher_->setSending(false);
  EXPECT_EQ(httpRequest(server_.httpPort(), verb::delete_, location).response.result_int(), 200);
  EXPECT_TRUE(runUntil([&] { return !eventLive(); }, std::chrono::seconds(5)));
  EXPECT_EQ(first->state(), WhepViewer::State::kReceiving);
  EXPECT_EQ(second->state(), WhepViewer::State::kReceiving);
  // The event takes a publisher again.
  auto again = post(goodOffer(), key_);
  EXPECT_EQ(again.response.result_int(), 201) << again.response.body();
  httpRequest(server_.httpPort(), verb::delete_,
              std::string(again.response[boost::beast::http::field::location]));
  first->stop();
  second->stop();
  publisher_.reset();
  runUntil([&] { return metric(server_, "throng_webrtc_sessions") == 0; }, std::chrono::seconds(5));
}


// Simulcast (RFC 8853): the bot sends two encodings, "l" at 160×120 and "h" at 320×240, each
// with its rid. A WHEP viewer bot reads and sets its layer through the layer resource; its
// keyframes show which layer it gets, and its sequence numbers stay continuous through the
// switches. Its receiver reports of heavy loss move it down by themselves.
TEST_F(WhipTest, SimulcastViewersGetTheLayerTheirChoiceOrTheirFeedbackSays) {
  publisher_ = std::make_unique<PublisherBot>(io_, *dtls_, certificate_->fingerprintSha256());
  publisher_->addLayer("l", "h", 320, 240);
  auto created = post(publisher_->offer(), key_);
  ASSERT_EQ(created.response.result_int(), 201) << created.response.body();
  EXPECT_NE(created.response.body().find("a=simulcast:recv l;h\r\n"), std::string::npos)
      << created.response.body();
  ASSERT_TRUE(publisher_->onAnswer(created.response.body()));
  ASSERT_TRUE(runUntil([&] { return publisher_->connected() || publisher_->failed(); },
                       std::chrono::seconds(10)));
  ASSERT_TRUE(publisher_->connected()) << server_.logText();

  auto watcher = viewer("127.0.0.2");
  ASSERT_TRUE(receiving(watcher)) << watcher->failure() << "\n" << server_.logText();
  const std::string layer_url = watcher->location() + "/layer";
  auto layerState = [&] {
    auto got = httpGet(server_.httpPort(), layer_url);
    EXPECT_EQ(got.response.result_int(), 200) << got.response.body();
    EXPECT_EQ(got.response[boost::beast::http::field::content_type], "application/json");
    return nlohmann::json::parse(got.response.body(), nullptr, false);
  };
  auto choose = [&](const std::string& body) {
    return httpRequest(server_.httpPort(), verb::post, layer_url, body, "application/json");
  };
  // Both layers are measured and active, lowest first.
  nlohmann::json state;
  ASSERT_TRUE(runUntil(
      [&] {
        state = layerState();
        return state["layers"].size() == 2 && state["layers"][0]["active"] == true &&
               state["layers"][1]["active"] == true && state["layers"][1]["height"] == 240 &&
               state["layers"][0]["bitrate"].get<std::uint64_t>() > 0;
      },
      std::chrono::seconds(5)))
      << state.dump();
  EXPECT_EQ(state["layers"][0]["encodingId"], "l");
  EXPECT_EQ(state["layers"][0]["width"], 160);
  EXPECT_EQ(state["mode"], "auto");

  auto keyframeHeight = [&] { return watcher->counts().keyframe_height; };
  auto gapFree = [&] {
    const auto c = watcher->counts();
    return c.expected - std::min(c.expected, c.video_packets + c.audio_packets) <=
           c.expected / 50 + 2;
  };

  // Pinned to "l": the next keyframe the viewer gets is 160×120, and throng asked the
  // publisher for it (a PLI on that encoding's SSRC).
  auto pinned = choose(R"({"encodingId":"l"})");
  ASSERT_EQ(pinned.response.result_int(), 200) << pinned.response.body();
  EXPECT_EQ(nlohmann::json::parse(pinned.response.body())["mode"], "manual");
  EXPECT_EQ(nlohmann::json::parse(pinned.response.body())["target"], "l");
  EXPECT_TRUE(runUntil([&] { return keyframeHeight() == 120; }, std::chrono::seconds(5)))
      << keyframeHeight();
  EXPECT_TRUE(runUntil([&] { return layerState()["current"] == "l"; }, std::chrono::seconds(2)));
  // Pinned to "h": 320×240.
  ASSERT_EQ(choose(R"({"mediaId":"0","encodingId":"h"})").response.result_int(), 200);
  EXPECT_TRUE(runUntil([&] { return keyframeHeight() == 240; }, std::chrono::seconds(5)))
      << keyframeHeight();
  const auto before = watcher->counts();
  ASSERT_TRUE(runUntil([&] { return watcher->counts().video_packets > before.video_packets + 60; },
                       std::chrono::seconds(5)));
  EXPECT_TRUE(gapFree()) << watcher->counts().expected << " expected, "
                         << watcher->counts().video_packets << " video";
  EXPECT_EQ(watcher->counts().decrypt_failures, 0u);
  EXPECT_GE(publisher_->feedback().layer_plis + publisher_->feedback().plis, 2);

  // Automatic again, and the viewer reports heavy loss: throng moves it down to "l".
  ASSERT_EQ(choose(R"({"encodingId":"auto"})").response.result_int(), 200);
  auto last_report = Clock::now() - std::chrono::seconds(1);
  EXPECT_TRUE(runUntil(
      [&] {
        if (Clock::now() - last_report > std::chrono::milliseconds(300)) {
          last_report = Clock::now();
          watcher->sendReceiverReport(128);  // 50 % lost
        }
        return keyframeHeight() == 120;
      },
      std::chrono::seconds(8)))
      << layerState().dump();
  state = layerState();
  EXPECT_EQ(state["mode"], "auto");
  EXPECT_EQ(state["current"], "l");
  EXPECT_TRUE(gapFree());
  EXPECT_EQ(watcher->state(), WhepViewer::State::kReceiving);

  // Bad choices are refused with the reason; the session goes on.
  auto unknown = choose(R"({"encodingId":"x"})");
  EXPECT_EQ(unknown.response.result_int(), 400);
  EXPECT_NE(unknown.response.body().find("'l' 'h'"), std::string::npos)
      << unknown.response.body();
  EXPECT_EQ(choose("not json").response.result_int(), 400);
  EXPECT_EQ(choose("{}").response.result_int(), 400);
  EXPECT_EQ(httpRequest(server_.httpPort(), verb::delete_, layer_url, "", "")
                .response.result_int(),
            405);
  EXPECT_EQ(choose(R"({"encodingId":7})").response.result_int(), 400);
  EXPECT_EQ(httpRequest(server_.httpPort(), verb::post, layer_url, R"({"encodingId":"l"})",
                        "text/plain")
                .response.result_int(),
            415);
  EXPECT_EQ(httpGet(server_.httpPort(), "/whep/demo/0123456789abcdef0123456789abcdef/layer")
                .response.result_int(),
            404);
  EXPECT_EQ(watcher->state(), WhepViewer::State::kReceiving);
}

}  // namespace
}  // namespace throng
