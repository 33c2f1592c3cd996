#include "rtc/sdp.h"

#include "sample_offers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace throng::rtc {
namespace {

using test::crlf;
using test::kChromeOffer;
using test::kFirefoxOffer;
using test::kGstreamerPublisherOffer;
using test::replaced;

const SdpCodec* codec(const SdpMedia& m, int pt) {
  auto it = std::find_if(m.codecs.begin(), m.codecs.end(),
                         [&](const SdpCodec& c) { return c.payload_type == pt; });
  return it == m.codecs.end() ? nullptr : &*it;
}

std::string errorOf(std::string_view text) {
  auto parsed = parseSdp(text);
  return parsed ? "(parsed)" : parsed.error().message;
}

// The smallest description parseSdp accepts, for the error tests.
constexpr std::string_view kMinimal =
    "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=video 9 UDP/TLS/RTP/SAVPF 96\n";

TEST(Sdp, ParsesAChromeOffer) {
  auto sd = parseSdp(crlf(kChromeOffer));
  ASSERT_TRUE(sd) << sd.error().message;
  EXPECT_EQ(sd->origin_username, "-");
  EXPECT_EQ(sd->session_id, "4215775240449105457");
  EXPECT_EQ(sd->session_version, 2u);
  EXPECT_FALSE(sd->ice_lite);
  ASSERT_EQ(sd->bundle_groups.size(), 1u);
  EXPECT_EQ(sd->bundle_groups[0], (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(sd->media.size(), 2u);

  const SdpMedia& video = sd->media[0];
  EXPECT_EQ(video.kind, MediaKind::kVideo);
  EXPECT_EQ(video.kind_name, "video");
  EXPECT_EQ(video.port, 9);
  EXPECT_EQ(video.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(video.formats.size(), 23u);
  EXPECT_EQ(video.mid, "0");
  EXPECT_EQ(video.direction, "recvonly");
  EXPECT_TRUE(video.rtcp_mux);
  EXPECT_TRUE(video.rtcp_rsize);
  EXPECT_EQ(video.ice_ufrag, "Fx8d");
  EXPECT_EQ(video.ice_pwd, "1hAJZMUnVZkzSuQZYAuHc5pV");
  EXPECT_EQ(video.ice_options, std::vector<std::string>{"trickle"});
  EXPECT_EQ(video.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(video.fingerprint.substr(0, 8), "7B:8B:F0");
  EXPECT_EQ(video.setup, "actpass");
  ASSERT_EQ(video.extmaps.size(), 11u);
  EXPECT_EQ(video.extmaps[3].id, 4);
  EXPECT_EQ(video.extmaps[3].uri,
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  ASSERT_EQ(video.codecs.size(), 23u);          // every format has an rtpmap
  EXPECT_EQ(video.codecs[0].payload_type, 96);  // in the m= line's order
  EXPECT_EQ(video.codecs[0].name, "VP8");
  EXPECT_EQ(video.codecs[0].clock_rate, 90000u);
  EXPECT_EQ(video.codecs[0].rtcp_fb,
            (std::vector<std::string>{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"}));
  EXPECT_EQ(codec(video, 97)->name, "rtx");
  EXPECT_EQ(codec(video, 97)->fmtp, "apt=96");
  EXPECT_EQ(codec(video, 106)->fmtp,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  EXPECT_EQ(video.codecs.back().payload_type, 46);

  const SdpMedia& audio = sd->media[1];
  EXPECT_EQ(audio.kind, MediaKind::kAudio);
  EXPECT_EQ(audio.mid, "1");
  EXPECT_FALSE(audio.rtcp_rsize);
  ASSERT_EQ(audio.codecs.size(), 8u);
  EXPECT_EQ(audio.codecs[0].name, "opus");
  EXPECT_EQ(audio.codecs[0].clock_rate, 48000u);
  EXPECT_EQ(audio.codecs[0].channels, 2);
  EXPECT_EQ(audio.codecs[0].fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(audio.codecs[0].rtcp_fb, std::vector<std::string>{"transport-cc"});
  EXPECT_EQ(codec(audio, 0)->name, "PCMU");
  EXPECT_EQ(codec(audio, 0)->channels, 1);
}

TEST(Sdp, ParsesAFirefoxOfferWithSessionLevelDefaults) {
  auto sd = parseSdp(crlf(kFirefoxOffer));
  ASSERT_TRUE(sd) << sd.error().message;
  EXPECT_EQ(sd->origin_username, "mozilla...THIS_IS_SDPARTA-99.0");
  EXPECT_EQ(sd->session_version, 0u);
  ASSERT_EQ(sd->media.size(), 2u);
  for (const SdpMedia& m : sd->media) {
    // a=fingerprint and a=ice-options are only at session level in Firefox's offers.
    EXPECT_EQ(m.fingerprint_algorithm, "sha-256");
    EXPECT_EQ(m.fingerprint.substr(0, 5), "0D:4F");
    EXPECT_EQ(m.ice_options, std::vector<std::string>{"trickle"});
    EXPECT_EQ(m.ice_ufrag, "8c1e7b2a");
    EXPECT_EQ(m.setup, "actpass");
  }
  const SdpMedia& audio = sd->media[0];
  EXPECT_EQ(audio.extmaps[1].id, 2);                                                 // "2/recvonly"
  EXPECT_EQ(audio.codecs[0].fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");  // fmtp first
  EXPECT_EQ(audio.ssrcs, std::vector<std::uint32_t>{2372195440});
  const SdpMedia& video = sd->media[1];
  EXPECT_EQ(video.mid, "1");
  EXPECT_EQ(codec(video, 126)->fmtp,
            "profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1");
  EXPECT_EQ(codec(video, 126)->rtcp_fb.size(), 5u);
  EXPECT_TRUE(codec(video, 124)->rtcp_fb.empty());
}

TEST(Sdp, ReadsBundleOnlySectionsOfAGstreamerOffer) {
  auto sd = parseSdp(crlf(kGstreamerPublisherOffer));
  ASSERT_TRUE(sd) << sd.error().message;
  ASSERT_EQ(sd->media.size(), 2u);
  EXPECT_EQ(sd->bundle_groups, (std::vector<std::vector<std::string>>{{"video0", "audio1"}}));
  const SdpMedia& video = sd->media[0];
  EXPECT_EQ(video.port, 9);
  EXPECT_FALSE(video.bundle_only);
  EXPECT_EQ(video.direction, "sendonly");
  const SdpMedia& audio = sd->media[1];
  EXPECT_EQ(audio.port, 0);  // RFC 8843 §6: bundle-only, not rejected
  EXPECT_TRUE(audio.bundle_only);
  EXPECT_EQ(audio.mid, "audio1");
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_EQ(audio.codecs[0].name, "OPUS");
}

TEST(Sdp, AcceptsBareNewlinesAndCrlf) {
  auto lf = parseSdp(kChromeOffer);
  auto crlf_text = parseSdp(crlf(kChromeOffer));
  ASSERT_TRUE(lf);
  ASSERT_TRUE(crlf_text);
  EXPECT_EQ(lf->media[0].codecs.size(), crlf_text->media[0].codecs.size());
  EXPECT_EQ(lf->media[1].mid, "1");
}

TEST(Sdp, AttachesWildcardFeedbackAndSkipsUnmappedStaticTypes) {
  auto sd = parseSdp(std::string(kMinimal.substr(0, kMinimal.size() - 3)) +
                     "96 0 97\na=rtpmap:96 VP8/90000\na=rtcp-fb:* nack\na=rtcp-fb:96   ccm   fir\n"
                     "a=rtpmap:97 rtx/90000\n");
  ASSERT_TRUE(sd) << sd.error().message;
  const SdpMedia& m = sd->media[0];
  ASSERT_EQ(m.codecs.size(), 2u);  // 0 has no rtpmap
  EXPECT_EQ(m.codecs[0].rtcp_fb, (std::vector<std::string>{"ccm fir", "nack"}));
  EXPECT_EQ(m.codecs[1].rtcp_fb, std::vector<std::string>{"nack"});
}

TEST(Sdp, ReadsCandidatesRidsSimulcastAndSsrcGroups) {
  auto sd = parseSdp(std::string(kMinimal) +
                     "a=candidate:1467250027 1 udp 2122260223 192.168.1.20 56143 typ host "
                     "generation 0\n"
                     "a=candidate:2 1 UDP 1686052607 1.2.3.4 3478 typ srflx raddr 0.0.0.0 rport 0\n"
                     "a=end-of-candidates\n"
                     "a=rid:h send max-width=1280\na=rid:l send\na=simulcast:send h;l\n"
                     "a=ssrc-group:FID 111 222\na=ssrc:111 cname:x\na=ssrc:222 cname:x\n"
                     "a=ssrc:111 msid:s t\na=msid:s t\na=ice-lite-unknown-thing\n");
  ASSERT_TRUE(sd) << sd.error().message;
  const SdpMedia& m = sd->media[0];
  ASSERT_EQ(m.candidates.size(), 2u);
  EXPECT_EQ(m.candidates[0].foundation, "1467250027");
  EXPECT_EQ(m.candidates[0].component, 1);
  EXPECT_EQ(m.candidates[0].transport, "udp");
  EXPECT_EQ(m.candidates[0].priority, 2122260223u);
  EXPECT_EQ(m.candidates[0].address, "192.168.1.20");
  EXPECT_EQ(m.candidates[0].port, 56143);
  EXPECT_EQ(m.candidates[0].type, "host");
  EXPECT_EQ(m.candidates[1].type, "srflx");
  EXPECT_TRUE(m.end_of_candidates);
  ASSERT_EQ(m.rids.size(), 2u);
  EXPECT_EQ(m.rids[0].id, "h");
  EXPECT_EQ(m.rids[0].direction, "send");
  EXPECT_EQ(m.rids[0].params, "max-width=1280");
  EXPECT_EQ(m.simulcast, "send h;l");
  EXPECT_EQ(m.ssrcs, (std::vector<std::uint32_t>{111, 222}));
  ASSERT_EQ(m.ssrc_groups_fid.size(), 1u);
  EXPECT_EQ(m.ssrc_groups_fid[0], (std::vector<std::uint32_t>{111, 222}));
  EXPECT_EQ(m.msid, "s t");
}

TEST(Sdp, PrefersASha256FingerprintAndNormalisesCase) {
  auto sd =
      parseSdp(std::string(kMinimal) +
               "a=fingerprint:SHA-1 aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd\n"
               "a=fingerprint:SHA-256 0d:4f:b6:39:1e:0c:c6:7a:c8:c5:2b:d0:86:3e:8f:7c:27:3b:79:"
               "9e:a5:5a:cd:52:6f:44:90:0c:6a:d8:3f:1b\n");
  ASSERT_TRUE(sd) << sd.error().message;
  EXPECT_EQ(sd->media[0].fingerprint_algorithm, "sha-256");
  EXPECT_EQ(sd->media[0].fingerprint.substr(0, 8), "0D:4F:B6");
}

TEST(Sdp, ErrorsSayWhereAndWhy) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=rtpmap:300 VP8/90000\n"),
            "line 6: a=rtpmap: payload type 300 out of range");
  EXPECT_EQ(errorOf("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n"), "no m= section");
  EXPECT_EQ(errorOf("v=0\no=- 1 1 IN IP4 0.0.0.0\nnot sdp\n"), "line 3: expected '<type>=<value>'");
  EXPECT_EQ(errorOf("o=- 1 1 IN IP4 0.0.0.0\n"), "line 1: expected v=0 first");
  EXPECT_EQ(errorOf("v=0\ns=-\nm=video 9 RTP/AVP 0\n"), "no o= line");
  EXPECT_EQ(errorOf("v=0\no=- 1\n"), "line 2: o= needs 6 fields");
  EXPECT_EQ(errorOf("v=0\no=- 1 1 IN IP4 0.0.0.0\nm=video 70000 RTP/AVP 0\n"),
            "line 3: m=: bad port '70000'");
  EXPECT_EQ(errorOf("v=0\no=- 1 1 IN IP4 0.0.0.0\nm=video 9 RTP/AVP\n"),
            "line 3: m= needs '<media> <port> <proto> <fmt> ...'");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=rtpmap:96 VP8/90000\na=rtpmap:96 VP9/90000\n"),
            "line 7: a=rtpmap: payload type 96 mapped twice");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=rtpmap:96 VP8\n"),
            "line 6: a=rtpmap: expected '<payload type> <name>/<clock rate>[/<channels>]'");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=fingerprint:sha-256 zz\n"),
            "line 6: a=fingerprint: expected '<hash function> <XX:XX:...>'");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=setup:sideways\n"),
            "line 6: a=setup: expected active, passive, actpass or holdconn");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=candidate:1 1 udp 1 1.2.3.4 99999 typ host\n"),
            "line 6: a=candidate: bad port '99999'");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=extmap:0 urn:x\n"),
            "line 6: a=extmap: id '0' out of range 1-255");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=ice-ufrag:no spaces\n"),
            "line 6: a=ice-ufrag: expected 1-256 characters of ALPHA / DIGIT / '+' / '/'");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=mid:a b\n"), "line 6: a=mid: expected one token");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=mid:v\nm=audio 9 RTP/AVP 0\na=mid:v\n"),
            "line 8: a=mid: 'v' names two m= sections");
}

TEST(Sdp, EnforcesItsBounds) {
  EXPECT_EQ(errorOf(std::string(kSdpMaxSize + 1, 'x')), "description larger than 65536 bytes");
  std::string many_lines(kMinimal);
  for (std::size_t i = 0; i < kSdpMaxLines; ++i) many_lines += "a=x\n";
  EXPECT_EQ(errorOf(many_lines), "more than 1000 lines");
  std::string sections = "v=0\no=- 1 1 IN IP4 0.0.0.0\n";
  for (std::size_t i = 0; i <= kSdpMaxMediaSections; ++i) sections += "m=audio 9 RTP/AVP 0\n";
  EXPECT_EQ(errorOf(sections), "line 35: more than 32 m= sections");
  std::string candidates(kMinimal);
  for (std::size_t i = 0; i <= kSdpMaxCandidates; ++i) {
    candidates += "a=candidate:1 1 udp 1 1.2.3.4 5 typ host\n";
  }
  EXPECT_EQ(errorOf(candidates), "line 70: a=candidate: more than 64 in a section");
  std::string formats = "v=0\no=- 1 1 IN IP4 0.0.0.0\nm=video 9 RTP/AVP";
  for (std::size_t i = 0; i <= kSdpMaxCodecs; ++i) formats += " 96";
  EXPECT_EQ(errorOf(formats + "\n"), "line 3: m=: more than 128 formats");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "a=msid:" + std::string(kSdpMaxValueSize, 'x') + "\n"),
            "line 6: value longer than 4096 bytes");
  EXPECT_EQ(errorOf(std::string(kMinimal) + std::string("a=mid:a\0b\n", 10)),
            "line 6: NUL or CR inside the line");
}

TEST(Sdp, IgnoresUnknownLinesAndAttributes) {
  auto sd = parseSdp(std::string(kMinimal) + "x=whatever\na=unknown:1 2 3\nb=AS:2000\n");
  ASSERT_TRUE(sd) << sd.error().message;
  EXPECT_EQ(sd->media.size(), 1u);
}

TEST(Sdp, OfferedChangesAreVisible) {
  // A check of replaced(), which the answer tests rely on.
  auto sd = parseSdp(replaced(std::string(kChromeOffer), "a=recvonly", "a=sendonly"));
  ASSERT_TRUE(sd);
  EXPECT_EQ(sd->media[0].direction, "sendonly");
  EXPECT_EQ(sd->media[1].direction, "recvonly");
}

}  // namespace
}  // namespace throng::rtc
