// The answer to a WHIP publisher's offer (answerPublisherOffer, RFC 9725 §4.2): Chrome's and
// OBS's offers as they are sent, the codec chosen by the accepted tracks' order and the
// offer's formats (Constrained Baseline first for H.264), the offered fmtp and feedback echoed,
// throng receiving only (a=recvonly, no SSRCs of its own), and the refusals with their HTTP
// kind. Also codecCarries for a viewer of a publisher's High-profile stream.
#include "rtc/codec_choice.h"
#include "rtc/sdp_answer.h"

#include "sample_offers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace throng::rtc {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::udp;
using test::crlf;
using test::kChromeOffer;
using test::kChromeWhipOffer;
using test::kObsWhipOffer;
using test::replaced;

// What the WHIP endpoint accepts from a publisher when the event has no stream yet
// (whip_endpoint.cpp acceptedTracks): VP8, then H.264, then Opus; no fmtp of its own.
OutgoingTrack accepted(MediaKind kind, std::string codec, std::uint32_t clock_rate, int channels) {
  OutgoingTrack track;
  track.kind = kind;
  track.codec = std::move(codec);
  track.clock_rate = clock_rate;
  track.channels = channels;
  return track;
}
const OutgoingTrack kVp8 = accepted(MediaKind::kVideo, "VP8", 90000, 1);
const OutgoingTrack kH264 = accepted(MediaKind::kVideo, "H264", 90000, 1);
const OutgoingTrack kOpus = accepted(MediaKind::kAudio, "opus", 48000, 2);

const std::string kOurFingerprint =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:"
    "99";

AnswerParams params(std::vector<OutgoingTrack> tracks) {
  AnswerParams p;
  p.ice_ufrag = "whip";
  p.ice_pwd = "0123456789abcdef0123456789abcdef";
  p.fingerprint_sha256 = kOurFingerprint;
  p.candidates = {udp::endpoint(make_address("192.0.2.10"), 40000)};
  p.tracks = std::move(tracks);
  p.cname = "throng";
  p.session_id = 99;
  return p;
}

const AnswerParams kDefault = params({kVp8, kH264, kOpus});

SdpAnswer answer(std::string_view offer, const AnswerParams& p = kDefault) {
  auto result = answerPublisherOffer(offer, p);
  if (auto* problem = std::get_if<OfferProblem>(&result)) {
    ADD_FAILURE() << "refused: " << problem->reason;
    return {};
  }
  SdpAnswer a = std::get<SdpAnswer>(std::move(result));
  auto parsed = parseSdp(a.sdp);
  EXPECT_TRUE(parsed) << parsed.error().message << "\n" << a.sdp;
  return a;
}

OfferProblem problem(std::string_view offer, const AnswerParams& p = kDefault) {
  auto result = answerPublisherOffer(offer, p);
  if (auto* refused = std::get_if<OfferProblem>(&result)) return *refused;
  ADD_FAILURE() << "accepted:\n" << std::get<SdpAnswer>(result).sdp;
  return {OfferProblemKind::kMalformed, ""};
}

std::string replacedAll(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

bool has(const std::string& sdp, std::string_view line) {
  return sdp.find(std::string(line) + "\r\n") != std::string::npos;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(PublisherAnswer, ChromeSendsVp8AndOpusAndThrongOnlyReceives) {
  const SdpAnswer a = answer(crlf(kChromeWhipOffer));
  ASSERT_EQ(a.media.size(), 2u);
  // Audio first, as the browser offered it.
  EXPECT_EQ(a.media[0].mid, "0");
  EXPECT_EQ(a.media[0].kind, MediaKind::kAudio);
  EXPECT_TRUE(a.media[0].receive);
  EXPECT_EQ(a.media[0].track, 2);
  EXPECT_EQ(a.media[0].payload_type, 111);
  EXPECT_EQ(a.media[0].fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(a.media[1].mid, "1");
  EXPECT_EQ(a.media[1].kind, MediaKind::kVideo);
  EXPECT_TRUE(a.media[1].receive);
  EXPECT_EQ(a.media[1].track, 0);  // VP8: first in the offer and in throng's list
  EXPECT_EQ(a.media[1].payload_type, 96);
  EXPECT_TRUE(a.media[1].nack && a.media[1].pli && a.media[1].fir && a.media[1].remb);
  EXPECT_FALSE(a.media[1].transport_cc);
  EXPECT_EQ(a.remote_ufrag, "W9pq");
  EXPECT_EQ(a.remote_pwd, "Vn0y3cY2b1m5qzK8hXjD4f7s");
  EXPECT_EQ(a.remote_fingerprint.substr(0, 8), "3E:19:74");

  const std::string& sdp = a.sdp;
  EXPECT_TRUE(has(sdp, "a=ice-lite"));
  EXPECT_TRUE(has(sdp, "a=group:BUNDLE 0 1"));
  EXPECT_TRUE(has(sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 111"));
  EXPECT_TRUE(has(sdp, "a=rtpmap:111 opus/48000/2"));
  EXPECT_TRUE(has(sdp, "a=fmtp:111 minptime=10;useinbandfec=1"));
  EXPECT_TRUE(has(sdp, "m=video 9 UDP/TLS/RTP/SAVPF 96"));
  EXPECT_TRUE(has(sdp, "a=rtpmap:96 VP8/90000"));
  // The feedback the publisher offered, repeated so that it honours our NACKs and PLIs.
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:96 nack"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:96 nack pli"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:96 ccm fir"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:96 goog-remb"));
  EXPECT_FALSE(contains(sdp, "transport-cc"));
  EXPECT_FALSE(contains(sdp, "rtx"));
  EXPECT_TRUE(has(sdp, "a=setup:passive"));
  EXPECT_TRUE(has(sdp, "a=fingerprint:sha-256 " + kOurFingerprint));
  EXPECT_TRUE(has(sdp, "a=candidate:1 1 udp 2130706430 192.0.2.10 40000 typ host"));
  // throng sends no media: no SSRC, no msid, no sendonly.
  EXPECT_FALSE(contains(sdp, "a=ssrc:"));
  EXPECT_FALSE(contains(sdp, "a=msid:"));
  EXPECT_FALSE(contains(sdp, "a=sendonly"));
  EXPECT_FALSE(contains(sdp, "a=sendrecv"));

  auto back = parseSdp(sdp);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->media.size(), 2u);
  for (const SdpMedia& m : back->media) {
    EXPECT_EQ(m.direction, "recvonly");
    EXPECT_EQ(m.setup, "passive");
    EXPECT_TRUE(m.rtcp_mux);
    EXPECT_EQ(m.ice_ufrag, "whip");
    ASSERT_EQ(m.codecs.size(), 1u);
    EXPECT_TRUE(m.ssrcs.empty());
    EXPECT_TRUE(m.msid.empty());
  }
  EXPECT_FALSE(back->media[0].rtcp_rsize);
  EXPECT_TRUE(back->media[1].rtcp_rsize);
  EXPECT_EQ(back->media[1].codecs[0].rtcp_fb.size(), 4u);
}

TEST(PublisherAnswer, TheAcceptedTracksOrderDecidesTheVideoCodec) {
  // The event's stream is H.264 (its viewers must keep decoding): H.264 goes first in the list
  // and wins over the VP8 the browser listed first. Of Chrome's H.264 formats the Constrained
  // Baseline one (106, 42e01f) is taken, not the Baseline 102 listed before it.
  SdpAnswer a = answer(crlf(kChromeWhipOffer), params({kH264, kVp8, kOpus}));
  EXPECT_EQ(a.media[1].track, 0);
  EXPECT_EQ(a.media[1].payload_type, 106);
  EXPECT_EQ(a.media[1].fmtp,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  EXPECT_TRUE(has(a.sdp, "a=rtpmap:106 H264/90000"));
  EXPECT_TRUE(has(a.sdp,
                  "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;"
                  "profile-level-id=42e01f"));
  EXPECT_EQ(a.media[0].track, 2);

  // Without a Constrained Baseline format, the first publishable H.264 in the offer's order.
  const std::string no_cb =
      replaced(crlf(kChromeWhipOffer), "profile-level-id=42e01f", "profile-level-id=4d0032");
  a = answer(no_cb, params({kH264, kOpus}));
  EXPECT_EQ(a.media[1].payload_type, 102);

  // VP8 first again: the offer's VP8.
  EXPECT_EQ(answer(crlf(kChromeWhipOffer), params({kVp8, kH264, kOpus})).media[1].payload_type, 96);
}

TEST(PublisherAnswer, ObsSendsConstrainedBaselineH264) {
  const SdpAnswer a = answer(crlf(kObsWhipOffer));
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.media[0].kind, MediaKind::kAudio);
  EXPECT_EQ(a.media[0].track, 2);
  EXPECT_EQ(a.media[0].payload_type, 111);
  EXPECT_EQ(a.media[1].kind, MediaKind::kVideo);
  EXPECT_EQ(a.media[1].track, 1);          // H.264: the offer has no VP8
  EXPECT_EQ(a.media[1].payload_type, 97);  // 42e01f, though 640c1f is listed first
  EXPECT_EQ(a.media[1].fmtp,
            "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1");
  EXPECT_TRUE(a.media[1].nack && a.media[1].pli && a.media[1].remb);
  EXPECT_FALSE(a.media[1].fir);
  // ICE and DTLS from the session level.
  EXPECT_EQ(a.remote_ufrag, "kUd5");
  EXPECT_EQ(a.remote_pwd, "Qh0qM2r8bXw7sYcT1eLz5nFa");
  EXPECT_EQ(a.remote_fingerprint.substr(0, 8), "C1:5F:02");

  const std::string& sdp = a.sdp;
  EXPECT_TRUE(has(sdp, "m=video 9 UDP/TLS/RTP/SAVPF 97"));
  EXPECT_TRUE(has(sdp, "a=rtpmap:97 H264/90000"));
  EXPECT_TRUE(has(sdp,
                  "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1;"
                  "level-asymmetry-allowed=1"));
  EXPECT_TRUE(has(sdp,
                  "a=fmtp:111 minptime=10;maxaveragebitrate=96000;stereo=1;sprop-stereo=1;"
                  "useinbandfec=1"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:97 nack"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:97 nack pli"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:97 goog-remb"));
  EXPECT_FALSE(contains(sdp, "a=rtcp-fb:97 ccm fir"));
  EXPECT_FALSE(contains(sdp, "640c1f"));
  EXPECT_EQ(std::count(sdp.begin(), sdp.end(), '\n'), std::count(sdp.begin(), sdp.end(), '\r'));

  // Only High (an encoder set to it): forwarded as it is, with its own fmtp.
  const std::string high_only =
      replaced(replaced(crlf(kObsWhipOffer), "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
                        "m=video 9 UDP/TLS/RTP/SAVPF 96"),
               "profile-level-id=42e01f", "profile-level-id=64001f");
  const SdpAnswer high = answer(high_only);
  EXPECT_EQ(high.media[1].payload_type, 96);
  EXPECT_TRUE(has(high.sdp,
                  "a=fmtp:96 profile-level-id=640c1f;packetization-mode=1;"
                  "level-asymmetry-allowed=1"));
}

TEST(PublisherAnswer, SendrecvSectionsAreTakenAndExtraOnesRejected) {
  const std::string chrome = crlf(kChromeWhipOffer);
  SdpAnswer a = answer(replacedAll(chrome, "a=sendonly", "a=sendrecv"));
  EXPECT_EQ(a.media[0].track, 2);
  EXPECT_EQ(a.media[1].track, 0);
  EXPECT_TRUE(has(a.sdp, "a=recvonly"));

  // A second video section (a screen beside the camera): one video track is taken.
  const std::size_t video_at = chrome.find("m=video");
  const std::string extra_video = replaced(chrome.substr(video_at), "a=mid:1", "a=mid:2");
  a = answer(replaced(chrome, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2") + extra_video);
  ASSERT_EQ(a.media.size(), 3u);
  EXPECT_EQ(a.media[1].track, 0);
  EXPECT_EQ(a.media[2].track, -1);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0 1"));
  EXPECT_TRUE(has(a.sdp, "a=mid:2\r\na=inactive"));

  // Video alone (no microphone): one section, answered.
  const std::string video_only =
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 1\r\n" +
      chrome.substr(video_at);
  a = answer(video_only);
  ASSERT_EQ(a.media.size(), 1u);
  EXPECT_EQ(a.media[0].track, 0);

  // An inactive audio section is rejected; video still goes.
  a = answer(replaced(chrome, "a=sendonly", "a=inactive"));
  EXPECT_EQ(a.media[0].track, -1);
  EXPECT_EQ(a.media[1].track, 0);
}

TEST(PublisherAnswer, AViewersOfferIsRefusedWithAReason) {
  // Only recvonly sections: nothing to receive (→ 422).
  const OfferProblem p = problem(crlf(kChromeOffer));
  EXPECT_EQ(p.kind, OfferProblemKind::kUnsupported);
  EXPECT_TRUE(contains(p.reason, "no m-section can be matched")) << p.reason;
  EXPECT_TRUE(contains(p.reason, "video (mid 0, recvonly)")) << p.reason;
  EXPECT_TRUE(contains(p.reason, "sendonly or sendrecv")) << p.reason;
  EXPECT_TRUE(contains(p.reason, "VP8/90000")) << p.reason;
  EXPECT_FALSE(contains(p.reason, "rtx")) << p.reason;
}

TEST(PublisherAnswer, RefusesCodecsThrongCannotForward) {
  const std::string obs = crlf(kObsWhipOffer);
  // H.264 in packetization mode 0 only: FU-A is needed for real frames (RFC 6184 §6.2/6.3).
  const std::string mode0 = replacedAll(obs, "packetization-mode=1", "packetization-mode=0");
  // The audio still goes; the video section is rejected in the answer.
  const SdpAnswer a = answer(mode0);
  EXPECT_EQ(a.media[0].track, 2);
  EXPECT_EQ(a.media[1].track, -1);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0"));
  // Nothing left that throng takes: 422, naming what was offered and what would do.
  const OfferProblem p =
      problem(replaced(mode0, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 G722/8000"));
  EXPECT_EQ(p.kind, OfferProblemKind::kUnsupported);
  EXPECT_TRUE(contains(p.reason, "H264/90000 (profile-level-id=42e01f;packetization-mode=0)"))
      << p.reason;
  EXPECT_TRUE(contains(p.reason, "G722/8000")) << p.reason;
  EXPECT_TRUE(contains(p.reason, "packetization-mode=1")) << p.reason;
}

TEST(PublisherAnswer, MalformedOffersAreMalformed) {
  EXPECT_EQ(problem("hello").kind, OfferProblemKind::kMalformed);
  EXPECT_EQ(problem("").kind, OfferProblemKind::kMalformed);
  EXPECT_EQ(problem(replaced(crlf(kChromeWhipOffer), "a=rtpmap:96 VP8/90000", "a=rtpmap:96")).kind,
            OfferProblemKind::kMalformed);
  // A sha-256 fingerprint that is not 32 bytes.
  EXPECT_EQ(problem(replacedAll(crlf(kChromeWhipOffer), "3E:19:74:", "")).kind,
            OfferProblemKind::kMalformed);
  // No m= section at all.
  EXPECT_EQ(problem("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n").kind,
            OfferProblemKind::kMalformed);
}

TEST(PublisherAnswer, TransportRulesAreTheViewersRules) {
  const std::string chrome = crlf(kChromeWhipOffer);
  auto refused = [&](const std::string& offer, std::string_view words) {
    const OfferProblem pr = problem(offer);
    EXPECT_EQ(pr.kind, OfferProblemKind::kUnsupported) << pr.reason;
    EXPECT_TRUE(contains(pr.reason, words)) << pr.reason;
  };
  refused(replacedAll(chrome, "a=setup:actpass", "a=setup:passive"), "a=setup:passive");
  refused(replacedAll(chrome, "a=rtcp-mux\r\n", ""), "lacks a=rtcp-mux");
  refused(replaced(chrome, "t=0 0\r\n", "t=0 0\r\na=ice-lite\r\n"), "ICE-lite");
  refused(replaced(chrome, "a=group:BUNDLE 0 1\r\n", ""), "no a=group:BUNDLE");
}

// A viewer of a publisher's Constrained High (640c1f) stream must take that profile: browsers
// pair H.264 formats by profile.
TEST(CodecCarries, AHighProfileStreamNeedsTheViewerToOfferThatProfile) {
  OutgoingTrack high = kH264;
  high.fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f";
  auto codec = [](std::string fmtp) {
    SdpCodec c;
    c.payload_type = 112;
    c.name = "H264";
    c.clock_rate = 90000;
    c.fmtp = std::move(fmtp);
    return c;
  };
  using answer_detail::codecCarries;
  EXPECT_TRUE(codecCarries(codec("level-asymmetry-allowed=1;packetization-mode=1;"
                                 "profile-level-id=640c1f"),
                           high));
  EXPECT_TRUE(codecCarries(codec("profile-level-id=640C1F;packetization-mode=1"), high));
  EXPECT_FALSE(codecCarries(codec("level-asymmetry-allowed=1;packetization-mode=1;"
                                  "profile-level-id=42e01f"),
                            high));
  EXPECT_FALSE(codecCarries(codec("packetization-mode=0;profile-level-id=640c1f"), high));
  EXPECT_FALSE(codecCarries(codec("profile-level-id=640c1f"), high));  // mode 0 by default
  EXPECT_FALSE(codecCarries(codec("packetization-mode=1;profile-level-id=64001f"), high));

  // A constrained baseline stream is carried by the Baseline family, not by High.
  OutgoingTrack baseline = kH264;
  baseline.fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
  EXPECT_TRUE(codecCarries(codec("packetization-mode=1;profile-level-id=42e01f"), baseline));
  EXPECT_TRUE(codecCarries(codec("packetization-mode=1;profile-level-id=42001f"), baseline));
  EXPECT_FALSE(codecCarries(codec("packetization-mode=1;profile-level-id=640c1f"), baseline));

  // And a viewer offer of both picks the one of the stream's profile (chooseCodec).
  SdpMedia media;
  media.kind = MediaKind::kVideo;
  media.codecs = {codec("packetization-mode=1;profile-level-id=42e01f"),
                  codec("packetization-mode=1;profile-level-id=640c1f")};
  media.codecs[1].payload_type = 113;
  EXPECT_EQ(answer_detail::chooseCodec(media, high), 1u);
  EXPECT_EQ(answer_detail::chooseCodec(media, baseline), 0u);
}

}  // namespace
}  // namespace throng::rtc
