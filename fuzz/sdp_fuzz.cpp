// Fuzzes the SDP parser (src/rtc/sdp.h) and the WHEP and WHIP answers built on it (sdp_answer.h). The
// parser's bounds must hold and every refusal say why; an offer the parser refuses is malformed
// to the answer too, and an answer that is produced must parse back with one m-section per
// offered one.
#include "rtc/sdp.h"
#include "rtc/sdp_answer.h"
#include "rtc/simulcast.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace throng::rtc;  // NOLINT(google-build-using-namespace)

const AnswerParams& params() {
  static const AnswerParams kept = [] {
    AnswerParams p;
    p.ice_ufrag = "thrg";
    p.ice_pwd = "throngthrongthrongthrong";
    p.fingerprint_sha256 =
        "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
        "88:99";
    p.candidates = {boost::asio::ip::udp::endpoint(boost::asio::ip::address_v4::loopback(), 5000)};
    p.tracks = {
        {MediaKind::kVideo, "H264", 90000, 1,
         "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 1, "s", "v"},
        {MediaKind::kVideo, "VP8", 90000, 1, "", 2, "s", "v2"},
        {MediaKind::kAudio, "opus", 48000, 2, "minptime=10;useinbandfec=1", 3, "s", "a"}};
    p.cname = "c";
    p.session_id = 1;
    return p;
  }();
  return kept;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parseSdp(text);
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();
  } else {
    if (parsed->media.empty() || parsed->media.size() > kSdpMaxMediaSections) std::abort();
    for (const SdpMedia& m : parsed->media) {
      if (m.codecs.size() > kSdpMaxCodecs || m.candidates.size() > kSdpMaxCandidates) std::abort();
    }
  }

  // As a WHEP viewer's offer, then as a WHIP publisher's (whose answer may take simulcast).
  for (const bool publisher : {false, true}) {
    auto result = publisher ? answerPublisherOffer(text, params()) : answerViewerOffer(text, params());
    if (auto* problem = std::get_if<OfferProblem>(&result)) {
      if (problem->reason.empty()) std::abort();
      if (!parsed && problem->kind != OfferProblemKind::kMalformed) std::abort();
      continue;
    }
    const SdpAnswer& answer = std::get<SdpAnswer>(result);
    if (!parsed || answer.media.size() != parsed->media.size()) std::abort();
    auto back = parseSdp(answer.sdp);
    if (!back || back->media.size() != parsed->media.size()) std::abort();
    for (std::size_t i = 0; i < answer.media.size(); ++i) {
      // Simulcast is answered only with the rid extension, within the layer bound, and reads
      // back as the same rids.
      const auto& rids = answer.media[i].rids;
      if (rids.empty()) continue;
      if (!publisher || rids.size() < 2 || rids.size() > kMaxSimulcastLayers ||
          answer.media[i].rid_extension < 1 || answer.media[i].rid_extension > 14 ||
          back->media[i].rids.size() != rids.size()) {
        std::abort();
      }
    }
  }
  return 0;
}
