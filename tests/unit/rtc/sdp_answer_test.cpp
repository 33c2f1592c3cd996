#include "rtc/sdp_answer.h"

#include "debian_chromium_offer.h"
#include "sample_offers.h"

#include <gtest/gtest.h>

#include <string>

namespace throng::rtc {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::udp;
using test::crlf;
using test::kChromeOffer;
using test::kDebianChromiumOffer;
using test::kFirefoxOffer;
using test::kGstreamerPublisherOffer;
using test::replaced;

const OutgoingTrack kVp8{MediaKind::kVideo, "VP8", 90000, 1, "", 1111, "live", "video"};
const OutgoingTrack kH264{MediaKind::kVideo,
                          "H264",
                          90000,
                          1,
                          "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
                          1111,
                          "live",
                          "video"};
// As a GStreamer or OBS publisher with x264 profile=high sends it (64: High, no constraints).
const OutgoingTrack kH264High{
    MediaKind::kVideo,
    "H264",
    90000,
    1,
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f",
    1111,
    "live",
    "video"};
const OutgoingTrack kOpus{
    MediaKind::kAudio, "opus", 48000, 2, "minptime=10;useinbandfec=1", 2222, "live", "audio"};

const std::string kOurFingerprint =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:"
    "99";

AnswerParams params(std::vector<OutgoingTrack> tracks) {
  AnswerParams p;
  p.ice_ufrag = "thrg";
  p.ice_pwd = "throngthrongthrongthrong";
  p.fingerprint_sha256 = kOurFingerprint;
  p.candidates = {udp::endpoint(make_address("192.0.2.10"), 40000),
                  udp::endpoint(make_address("2001:db8::10"), 40001)};
  p.tracks = std::move(tracks);
  p.cname = "throng";
  p.session_id = 1234;
  return p;
}

std::string replacedAll(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The answer, which must also parse back (as the viewer's browser will parse it).
SdpAnswer answer(std::string_view offer, const AnswerParams& p) {
  auto result = answerViewerOffer(offer, p);
  if (auto* problem = std::get_if<OfferProblem>(&result)) {
    ADD_FAILURE() << "refused: " << problem->reason;
    return {};
  }
  SdpAnswer a = std::get<SdpAnswer>(std::move(result));
  auto parsed = parseSdp(a.sdp);
  EXPECT_TRUE(parsed) << parsed.error().message << "\n" << a.sdp;
  return a;
}

OfferProblem problem(std::string_view offer, const AnswerParams& p) {
  auto result = answerViewerOffer(offer, p);
  if (auto* refused = std::get_if<OfferProblem>(&result)) return *refused;
  ADD_FAILURE() << "accepted:\n" << std::get<SdpAnswer>(result).sdp;
  return {OfferProblemKind::kMalformed, ""};
}

bool has(const std::string& sdp, std::string_view line) {
  return sdp.find(std::string(line) + "\r\n") != std::string::npos;
}

TEST(SdpAnswer, AnswersAChromeViewerWithVp8AndOpus) {
  const SdpAnswer a = answer(crlf(kChromeOffer), params({kVp8, kOpus}));
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.media[0].mid, "0");
  EXPECT_EQ(a.media[0].kind, MediaKind::kVideo);
  EXPECT_EQ(a.media[0].track, 0);
  EXPECT_EQ(a.media[0].payload_type, 96);
  EXPECT_TRUE(a.media[0].nack && a.media[0].pli && a.media[0].fir && a.media[0].remb);
  EXPECT_FALSE(a.media[0].transport_cc);
  EXPECT_EQ(a.media[1].mid, "1");
  EXPECT_EQ(a.media[1].track, 1);
  EXPECT_EQ(a.media[1].payload_type, 111);
  EXPECT_FALSE(a.media[1].nack || a.media[1].pli || a.media[1].fir || a.media[1].remb);
  EXPECT_EQ(a.remote_ufrag, "Fx8d");
  EXPECT_EQ(a.remote_pwd, "1hAJZMUnVZkzSuQZYAuHc5pV");
  EXPECT_EQ(a.remote_fingerprint.substr(0, 8), "7B:8B:F0");

  const std::string& sdp = a.sdp;
  EXPECT_EQ(sdp.rfind("v=0\r\no=- 1234 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 0), 0u);
  EXPECT_TRUE(has(sdp, "a=ice-lite"));
  EXPECT_TRUE(has(sdp, "a=group:BUNDLE 0 1"));
  EXPECT_TRUE(has(sdp, "a=msid-semantic: WMS *"));
  EXPECT_TRUE(has(sdp, "m=video 9 UDP/TLS/RTP/SAVPF 96"));
  EXPECT_TRUE(has(sdp, "a=rtpmap:96 VP8/90000"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:96 nack"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:96 nack pli"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:96 ccm fir"));
  EXPECT_TRUE(has(sdp, "a=rtcp-fb:96 goog-remb"));
  EXPECT_EQ(sdp.find("transport-cc"), std::string::npos);
  EXPECT_TRUE(has(sdp, "a=ssrc:1111 cname:throng"));
  EXPECT_TRUE(has(sdp, "a=ssrc:1111 msid:live video"));
  EXPECT_TRUE(has(sdp, "a=msid:live video"));
  EXPECT_TRUE(has(sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 111"));
  EXPECT_TRUE(has(sdp, "a=rtpmap:111 opus/48000/2"));
  EXPECT_TRUE(has(sdp, "a=fmtp:111 minptime=10;useinbandfec=1"));
  EXPECT_TRUE(has(sdp, "a=candidate:1 1 udp 2130706430 192.0.2.10 40000 typ host"));
  EXPECT_TRUE(has(sdp, "a=candidate:2 1 udp 2130706429 2001:db8::10 40001 typ host"));
  EXPECT_TRUE(has(sdp, "a=fingerprint:sha-256 " + kOurFingerprint));
  for (std::size_t i = 0; i < sdp.size(); ++i) {
    if (sdp[i] == '\n') {
      ASSERT_TRUE(i > 0 && sdp[i - 1] == '\r') << "bare LF at " << i;
    }
  }

  auto back = parseSdp(sdp);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->ice_lite);
  ASSERT_EQ(back->bundle_groups.size(), 1u);
  EXPECT_EQ(back->bundle_groups[0], (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(back->media.size(), 2u);
  for (const SdpMedia& m : back->media) {
    EXPECT_EQ(m.direction, "sendonly");
    EXPECT_EQ(m.setup, "passive");
    EXPECT_TRUE(m.rtcp_mux);
    EXPECT_EQ(m.ice_ufrag, "thrg");
    EXPECT_EQ(m.ice_pwd, "throngthrongthrongthrong");
    EXPECT_EQ(m.fingerprint, kOurFingerprint);
    EXPECT_EQ(m.candidates.size(), 2u);
    EXPECT_TRUE(m.end_of_candidates);
    ASSERT_EQ(m.codecs.size(), 1u);
    EXPECT_EQ(m.ssrcs.size(), 1u);
  }
  EXPECT_TRUE(back->media[0].rtcp_rsize);   // offered for video
  EXPECT_FALSE(back->media[1].rtcp_rsize);  // not for audio
  EXPECT_EQ(back->media[0].codecs[0].rtcp_fb.size(), 4u);
  EXPECT_EQ(back->media[1].codecs[0].channels, 2);
}

TEST(SdpAnswer, PicksTheOfferedH264OfTheTracksProfile) {
  const SdpAnswer a = answer(crlf(kChromeOffer), params({kH264, kOpus}));
  EXPECT_EQ(a.media[0].payload_type, 106);  // 42e01f mode 1, not 102's 42001f
  EXPECT_TRUE(has(a.sdp, "a=rtpmap:106 H264/90000"));
  EXPECT_TRUE(has(a.sdp, "a=fmtp:106 " + kH264.fmtp));

  // Without 42e01f mode 1, Baseline 42001f mode 1 still carries constrained baseline.
  const std::string no_cb =
      replaced(std::string(kChromeOffer), "packetization-mode=1;profile-level-id=42e01f",
               "packetization-mode=1;profile-level-id=64001f");
  EXPECT_EQ(answer(no_cb, params({kH264})).media[0].payload_type, 102);
}

TEST(SdpAnswer, RefusesAnOfferWithOnlyHighProfileH264) {
  const std::string offer = crlf(R"(v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
m=video 9 UDP/TLS/RTP/SAVPF 112 113
c=IN IP4 0.0.0.0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuvwx
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:0
a=recvonly
a=rtcp-mux
a=rtpmap:112 H264/90000
a=rtcp-fb:112 nack
a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f
a=rtpmap:113 rtx/90000
a=fmtp:113 apt=112
)");
  const OfferProblem p = problem(offer, params({kH264, kOpus}));
  EXPECT_EQ(p.kind, OfferProblemKind::kUnsupported);
  EXPECT_NE(p.reason.find("no m-section can be matched"), std::string::npos) << p.reason;
  EXPECT_NE(p.reason.find("H264/90000 (profile-level-id=64001f;packetization-mode=1)"),
            std::string::npos)
      << p.reason;
  EXPECT_NE(p.reason.find("Constrained Baseline"), std::string::npos) << p.reason;
  EXPECT_EQ(p.reason.find("rtx"), std::string::npos) << p.reason;

  // The same offer with a VP8 track is still refused, and an H264 mode-1 CB offer is taken.
  EXPECT_EQ(problem(offer, params({kVp8})).kind, OfferProblemKind::kUnsupported);
  EXPECT_EQ(
      answer(replaced(offer, "profile-level-id=64001f", "profile-level-id=42e01f"), params({kH264}))
          .media[0]
          .payload_type,
      112);
}

TEST(SdpAnswer, AnswersAFirefoxViewer) {
  const SdpAnswer a = answer(crlf(kFirefoxOffer), params({kVp8, kOpus}));
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.media[0].mid, "0");
  EXPECT_EQ(a.media[0].kind, MediaKind::kAudio);
  EXPECT_EQ(a.media[0].track, 1);
  EXPECT_EQ(a.media[0].payload_type, 109);
  EXPECT_EQ(a.media[1].track, 0);
  EXPECT_EQ(a.media[1].payload_type, 120);
  EXPECT_TRUE(a.media[1].remb);
  EXPECT_EQ(a.remote_ufrag, "8c1e7b2a");
  EXPECT_EQ(a.remote_fingerprint.substr(0, 5), "0D:4F");  // from the session level
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0 1"));
  EXPECT_TRUE(has(a.sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 109"));

  // H.264: 126 (mode 1), not 97 (mode 0).
  EXPECT_EQ(answer(crlf(kFirefoxOffer), params({kH264})).media[1].payload_type, 126);
}

TEST(SdpAnswer, GarbledOffersAreMalformed) {
  const OfferProblem p = problem("this is not SDP", params({kVp8}));
  EXPECT_EQ(p.kind, OfferProblemKind::kMalformed);
  EXPECT_EQ(p.reason, "line 1: expected '<type>=<value>'");
  EXPECT_EQ(problem(replaced(std::string(kChromeOffer), "a=rtpmap:96 VP8/90000", "a=rtpmap:96"),
                    params({kVp8}))
                .kind,
            OfferProblemKind::kMalformed);
  EXPECT_EQ(problem("", params({kVp8})).kind, OfferProblemKind::kMalformed);
}

TEST(SdpAnswer, RefusesWhatThrongCannotServe) {
  const std::string chrome(kChromeOffer);
  const AnswerParams p = params({kVp8, kOpus});
  const std::string fingerprint_line =
      "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:"
      "43:F0:A1:58:D0:A1:2C:19:08";
  auto refused = [&](const std::string& offer, std::string_view words) {
    const OfferProblem pr = problem(offer, p);
    EXPECT_EQ(pr.kind, OfferProblemKind::kUnsupported) << pr.reason;
    EXPECT_NE(pr.reason.find(words), std::string::npos) << pr.reason;
  };
  refused(replacedAll(chrome, fingerprint_line + "\n", ""), "fingerprint is missing");
  refused(replacedAll(chrome, fingerprint_line,
                      "a=fingerprint:sha-1 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:"
                      "CC:DD"),
          "a sha-1 one");
  refused(replacedAll(chrome, "a=ice-ufrag:Fx8d\n", ""), "no a=ice-ufrag/a=ice-pwd");
  refused(replacedAll(chrome, "a=setup:actpass", "a=setup:passive"), "a=setup:passive");
  refused(replaced(chrome, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0\na=group:BUNDLE 1"),
          "2 BUNDLE groups");
  refused(replaced(chrome, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0"),
          "m=audio (mid 1) is not in the offer's BUNDLE group");
  refused(replaced(chrome, "a=group:BUNDLE 0 1\n", ""), "no a=group:BUNDLE");
  refused(replaced(chrome, "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP"),
          "uses RTP/AVP; throng needs UDP/TLS/RTP/SAVPF");
  refused(replacedAll(chrome, "a=rtcp-mux\n", ""), "lacks a=rtcp-mux");
  refused(replaced(chrome, "t=0 0\n", "t=0 0\na=ice-lite\n"), "ICE-lite");
  refused(replacedAll(chrome, "a=recvonly", "a=sendonly"), "no m-section can be matched");
  EXPECT_EQ(problem(replacedAll(chrome, "1B:35:DC:B8:5F:64:", ""), p).kind,
            OfferProblemKind::kMalformed);  // a sha-256 fingerprint of 26 bytes
}

TEST(SdpAnswer, AcceptsActiveAndAbsentSetup) {
  const std::string chrome(kChromeOffer);
  const AnswerParams p = params({kVp8, kOpus});
  EXPECT_EQ(answer(replacedAll(chrome, "a=setup:actpass", "a=setup:active"), p).media[0].track, 0);
  EXPECT_EQ(answer(replacedAll(chrome, "a=setup:actpass\n", ""), p).media[0].track, 0);
}

TEST(SdpAnswer, RejectsSectionsItCannotServeAndKeepsTheirMids) {
  const std::string chrome(kChromeOffer);
  // Video offered sendonly: nothing to send it; audio still answered. The video section is
  // the offerer-tagged one, so it is kept inactive in the group rather than rejected.
  SdpAnswer a = answer(replaced(chrome, "a=recvonly", "a=sendonly"), params({kVp8, kOpus}));
  EXPECT_EQ(a.media[0].track, -1);
  EXPECT_TRUE(a.media[0].inactive);
  EXPECT_TRUE(a.media[0].missing_format.empty());  // it did not ask to receive
  EXPECT_EQ(a.media[1].track, 1);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0 1"));
  EXPECT_TRUE(has(a.sdp, "m=video 9 UDP/TLS/RTP/SAVPF 96"));
  EXPECT_TRUE(has(a.sdp, "a=mid:0\r\na=inactive"));
  EXPECT_EQ(a.remote_ufrag, "Fx8d");

  // No audio track: the audio section, not the tagged one, is rejected.
  a = answer(chrome, params({kVp8}));
  EXPECT_EQ(a.media[0].track, 0);
  EXPECT_EQ(a.media[1].track, -1);
  EXPECT_FALSE(a.media[1].inactive);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0"));
  EXPECT_NE(a.sdp.find("m=audio 0 UDP/TLS/RTP/SAVPF 111"), std::string::npos);

  // A data channel section is rejected and stays in place.
  a = answer(replaced(chrome, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2") +
                 "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 0.0.0.0\n"
                 "a=mid:2\na=sctp-port:5000\n",
             params({kVp8, kOpus}));
  ASSERT_EQ(a.media.size(), 3u);
  EXPECT_EQ(a.media[2].track, -1);
  EXPECT_EQ(a.media[2].kind, MediaKind::kOther);
  EXPECT_TRUE(has(a.sdp, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel"));
  EXPECT_TRUE(has(a.sdp, "a=mid:2"));
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0 1"));

  // A second video section when there is one video track.
  const std::size_t video_at = chrome.find("m=video");
  const std::string extra_video =
      replaced(chrome.substr(video_at, chrome.find("m=audio") - video_at), "a=mid:0", "a=mid:2");
  a = answer(replaced(chrome, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2") + extra_video,
             params({kVp8, kOpus}));
  ASSERT_EQ(a.media.size(), 3u);
  EXPECT_EQ(a.media[0].track, 0);
  EXPECT_EQ(a.media[2].mid, "2");
  EXPECT_EQ(a.media[2].track, -1);
}

// RFC 8843 §7.3.3: the offerer-tagged section (the first mid of the BUNDLE group) cannot be
// rejected. Debian's Chromium offers no High-profile H.264; rejecting its video section (the
// tagged one) made setRemoteDescription fail with "Failed to setup RTCP mux" and the viewer got
// nothing. The section stays in the group, inactive, with one offered format and a=rtcp-mux.
TEST(SdpAnswer, KeepsTheBundleTagWhenTheViewerCannotTakeTheVideo) {
  const std::string offer = crlf(kDebianChromiumOffer);
  const SdpAnswer a = answer(offer, params({kH264High, kOpus}));
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.media[0].track, -1);
  EXPECT_TRUE(a.media[0].inactive);
  EXPECT_EQ(a.media[0].payload_type, 96);  // VP8, the offer's first format
  EXPECT_EQ(a.media[0].missing_format, "H.264 High profile");
  EXPECT_EQ(a.media[1].track, 1);
  EXPECT_FALSE(a.media[1].inactive);
  EXPECT_EQ(a.media[1].payload_type, 111);
  EXPECT_TRUE(a.media[1].missing_format.empty());
  EXPECT_EQ(a.remote_ufrag, "eKn5");
  EXPECT_EQ(a.remote_pwd, "zG2H0RaDdd6Gubqm26HO9BwY");

  const std::string& sdp = a.sdp;
  EXPECT_TRUE(has(sdp, "a=group:BUNDLE 0 1"));
  EXPECT_TRUE(has(sdp,
                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\ni=H.264 High profile\r\nc=IN IP4 0.0.0.0\r\n"
                  "a=mid:0\r\na=inactive\r\na=rtcp-mux"));
  EXPECT_TRUE(has(sdp, "a=rtpmap:96 VP8/90000"));
  EXPECT_EQ(sdp.find("m=video 0"), std::string::npos);
  EXPECT_EQ(sdp.find("a=ssrc:1111"), std::string::npos);  // nothing is sent on it
  EXPECT_EQ(sdp.find("a=msid:live video"), std::string::npos);
  EXPECT_TRUE(has(sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 111"));
  EXPECT_TRUE(has(sdp, "a=ssrc:2222 msid:live audio"));

  auto back = parseSdp(sdp);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->bundle_groups.size(), 1u);
  EXPECT_EQ(back->bundle_groups[0], (std::vector<std::string>{"0", "1"}));
  const SdpMedia& video = back->media[0];
  EXPECT_EQ(video.port, 9);
  EXPECT_EQ(video.direction, "inactive");
  EXPECT_TRUE(video.rtcp_mux);
  EXPECT_EQ(video.ice_ufrag, "thrg");
  EXPECT_EQ(video.fingerprint, kOurFingerprint);
  EXPECT_EQ(video.setup, "passive");
  EXPECT_EQ(video.candidates.size(), 2u);
  ASSERT_EQ(video.codecs.size(), 1u);
  EXPECT_TRUE(video.ssrcs.empty());

  // It carries the bundle's transport, so the transport rules hold for it.
  const std::size_t audio_at = offer.find("m=audio");
  const std::string video_without_mux =
      replaced(offer.substr(0, audio_at), "a=rtcp-mux\r\n", "") + offer.substr(audio_at);
  const OfferProblem p = problem(video_without_mux, params({kH264High, kOpus}));
  EXPECT_NE(p.reason.find("m=video (mid 0) lacks a=rtcp-mux"), std::string::npos) << p.reason;

  // A stream the same browser takes is answered as usual: 42e01f in mode 1, no i= line.
  const SdpAnswer cb = answer(offer, params({kH264, kOpus}));
  EXPECT_EQ(cb.media[0].track, 0);
  EXPECT_EQ(cb.media[0].payload_type, 108);
  EXPECT_FALSE(cb.media[0].inactive);
  EXPECT_EQ(cb.sdp.find("\r\ni="), std::string::npos);
}

// When the tagged section is served, an unplayable video section is rejected as before, and its
// i= line still tells the player why. With no audio track, Firefox's tagged audio is kept.
TEST(SdpAnswer, NamesTheMissingFormatOnARejectedSection) {
  const std::string firefox = crlf(kFirefoxOffer);
  SdpAnswer a = answer(firefox, params({kH264High, kOpus}));
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.media[0].track, 1);
  EXPECT_EQ(a.media[1].track, -1);
  EXPECT_FALSE(a.media[1].inactive);
  EXPECT_EQ(a.media[1].missing_format, "H.264 High profile");
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0"));
  const std::size_t video_at = a.sdp.find("m=video 0 UDP/TLS/RTP/SAVPF 120 ");
  ASSERT_NE(video_at, std::string::npos) << a.sdp;
  const std::string after_m_line = a.sdp.substr(a.sdp.find("\r\n", video_at) + 2);
  EXPECT_EQ(after_m_line.rfind(
                "i=H.264 High profile\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\n", 0),
            0u)
      << a.sdp;

  a = answer(firefox, params({kVp8}));
  EXPECT_TRUE(a.media[0].inactive);
  EXPECT_EQ(a.media[0].payload_type, 109);
  EXPECT_TRUE(a.media[0].missing_format.empty());  // the stream has no audio to miss
  EXPECT_EQ(a.media[1].track, 0);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0 1"));
  EXPECT_TRUE(has(a.sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 109"));
  EXPECT_TRUE(has(a.sdp, "a=rtpmap:109 opus/48000/2"));
}

TEST(SdpAnswer, OneSectionNeedsNoBundle) {
  const std::string chrome(kChromeOffer);
  const std::string video_only =
      replaced(chrome.substr(0, chrome.find("m=audio")), "a=group:BUNDLE 0 1\n", "");
  const SdpAnswer a = answer(video_only, params({kVp8, kOpus}));
  ASSERT_EQ(a.media.size(), 1u);
  EXPECT_EQ(a.media[0].track, 0);
  EXPECT_EQ(a.sdp.find("a=group:BUNDLE"), std::string::npos);
}

// What throng takes from a publisher (acceptedTracks in whip_endpoint.cpp).
AnswerParams publisherParams() {
  const OutgoingTrack vp8{MediaKind::kVideo, "VP8", 90000, 1, "", 0, "", ""};
  const OutgoingTrack h264{MediaKind::kVideo, "H264", 90000, 1, "", 0, "", ""};
  const OutgoingTrack opus{MediaKind::kAudio, "opus", 48000, 2, "", 0, "", ""};
  return params({vp8, h264, opus});
}

SdpAnswer publisherAnswer(std::string_view offer) {
  auto result = answerPublisherOffer(offer, publisherParams());
  if (auto* refused = std::get_if<OfferProblem>(&result)) {
    ADD_FAILURE() << "refused: " << refused->reason;
    return {};
  }
  SdpAnswer a = std::get<SdpAnswer>(std::move(result));
  auto parsed = parseSdp(a.sdp);
  EXPECT_TRUE(parsed) << parsed.error().message << "\n" << a.sdp;
  return a;
}

// RFC 8843 §6: webrtcbin with max-bundle offers its second section with port 0 and
// a=bundle-only. That asks for the section on the bundle's transport; it is not a rejection.
TEST(SdpAnswer, AcceptsAGstreamerPublishersBundleOnlySection) {
  const SdpAnswer a = publisherAnswer(crlf(kGstreamerPublisherOffer));
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.media[0].track, 1);  // H264
  EXPECT_EQ(a.media[0].payload_type, 96);
  EXPECT_TRUE(a.media[0].pli);
  EXPECT_TRUE(a.media[0].fir);
  EXPECT_FALSE(a.media[0].nack);   // webrtcbin offers "nack pli" but not plain "nack"
  EXPECT_EQ(a.media[1].track, 2);  // opus
  EXPECT_EQ(a.media[1].payload_type, 111);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE video0 audio1"));
  EXPECT_TRUE(has(a.sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 111"));
  EXPECT_TRUE(has(a.sdp, "a=mid:audio1\r\na=recvonly"));
  EXPECT_TRUE(has(a.sdp, "a=rtpmap:111 OPUS/48000/2"));
  EXPECT_TRUE(has(a.sdp,
                  "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAHtoCgL/"
                  "lwFqDAwNSgAAAAwCAAAAeR4sXUA==,aM48gA==;profile-level-id=42c01e;"
                  "level-asymmetry-allowed=1"));
  EXPECT_EQ(a.remote_ufrag, "0bGxquLpjmXmljoKxXAPYfMHLV+KzV8k");
}

TEST(SdpAnswer, PortZeroStillRejectsWithoutBundleOnlyOrOutsideTheGroup) {
  const std::string gst = crlf(kGstreamerPublisherOffer);
  // Port 0 alone is a rejection (RFC 3264 §6).
  SdpAnswer a = publisherAnswer(replaced(gst, "a=bundle-only\r\n", ""));
  EXPECT_EQ(a.media[1].track, -1);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE video0"));
  // bundle-only but not in the BUNDLE group: nothing to bundle it with.
  a = publisherAnswer(replaced(gst, "a=group:BUNDLE video0 audio1", "a=group:BUNDLE video0"));
  EXPECT_EQ(a.media[0].track, 1);
  EXPECT_EQ(a.media[1].track, -1);
}

// GStreamer's webrtcbin 1.22 refuses an answer in which any m-section, rejected ones included,
// lacks ice-ufrag, ice-pwd, a fingerprint or a=setup ("No fingerprint lines in sdp for media").
TEST(SdpAnswer, RejectedSectionsCarryTheTransportAttributes) {
  const std::string gst = crlf(kGstreamerPublisherOffer);
  const SdpAnswer a = publisherAnswer(replaced(gst, "OPUS/48000/2", "G722/8000"));
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.media[0].track, 1);
  EXPECT_EQ(a.media[1].track, -1);  // no audio codec throng takes
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE video0"));
  const std::string section = a.sdp.substr(a.sdp.find("m=audio 0"));
  EXPECT_TRUE(has(section, "a=inactive"));
  EXPECT_TRUE(has(section, "a=ice-ufrag:thrg"));
  EXPECT_TRUE(has(section, "a=ice-pwd:throngthrongthrongthrong"));
  EXPECT_TRUE(has(section, "a=fingerprint:sha-256 " + kOurFingerprint));
  EXPECT_TRUE(has(section, "a=setup:passive"));
  EXPECT_EQ(section.find("a=candidate"), std::string::npos);
}

// The same rule for a publisher: webrtcbin's tagged video section offered without
// packetization-mode=1 is kept inactive. Rejected (as before), webrtcbin applied the answer but
// never started ICE; Chromium's studio page (max-bundle) failed with "Failed to setup RTCP mux".
TEST(SdpAnswer, KeepsAPublishersBundleTag) {
  const std::string gst = crlf(kGstreamerPublisherOffer);
  const SdpAnswer a = publisherAnswer(replaced(gst, "packetization-mode=1;", ""));
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.media[0].track, -1);
  EXPECT_TRUE(a.media[0].inactive);
  EXPECT_TRUE(a.media[0].missing_format.empty());  // only viewers are told
  EXPECT_EQ(a.media[1].track, 2);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE video0 audio1"));
  EXPECT_TRUE(has(a.sdp,
                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:video0\r\n"
                  "a=inactive\r\na=rtcp-mux"));
  EXPECT_TRUE(has(a.sdp, "a=rtpmap:96 H264/90000"));
  EXPECT_EQ(a.remote_ufrag, "0bGxquLpjmXmljoKxXAPYfMHLV+KzV8k");
}

// A WHEP viewer from webrtcbin offers the same way (recvonly sections).
TEST(SdpAnswer, AcceptsABundleOnlyViewerSection) {
  const std::string chrome = crlf(kChromeOffer);
  const std::string bundle_only =
      replaced(replaced(chrome, "m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio 0 UDP/TLS/RTP/SAVPF"),
               "a=mid:1\r\n", "a=mid:1\r\na=bundle-only\r\n");
  ASSERT_NE(bundle_only, chrome);
  const SdpAnswer a = answer(bundle_only, params({kVp8, kOpus}));
  EXPECT_EQ(a.media[0].track, 0);
  EXPECT_EQ(a.media[1].track, 1);
  EXPECT_TRUE(has(a.sdp, "a=group:BUNDLE 0 1"));
}

}  // namespace
}  // namespace throng::rtc
