// answerViewerOffer: decides which offered sections throng serves and with which codec, checks
// the transport the offer proposes, and hands the result to the writer. Rules in sdp_answer.h.
#include "rtc/sdp_answer.h"

#include "rtc/codec_choice.h"
#include "rtc/h264_profile.h"
#include "rtc/sdp_answer_writer.h"
#include "rtc/sdp_text.h"
#include "rtc/simulcast.h"

#include <algorithm>

namespace throng::rtc {
namespace {

using answer_detail::chooseCodec;
using sdp_text::iequals;

constexpr std::string_view kWebRtcProtocol = "UDP/TLS/RTP/SAVPF";  // RFC 8829 §5.1.2
constexpr std::size_t kSha256FingerprintSize = 32 * 3 - 1;         // "XX:" × 32 less one ':'

OfferProblem unsupported(std::string reason) {
  return {OfferProblemKind::kUnsupported, std::move(reason)};
}

std::string sectionName(const SdpMedia& m) {
  return "m=" + m.kind_name + " (mid " + (m.mid.empty() ? "none" : m.mid) + ")";
}

void setFeedback(NegotiatedMedia& n, const SdpCodec& codec) {
  for (const std::string& fb : codec.rtcp_fb) {
    if (iequals(fb, "nack")) n.nack = true;
    if (iequals(fb, "nack pli")) n.pli = true;
    if (iequals(fb, "ccm fir")) n.fir = true;
    if (iequals(fb, "goog-remb")) n.remb = true;
  }
}

// A publisher's section: the offered codec for `accepted`, Constrained Baseline first for
// H.264 (every browser decodes it), else the first the offer lists.
std::optional<std::size_t> choosePublishedCodec(const SdpMedia& media,
                                                const OutgoingTrack& accepted) {
  std::optional<std::size_t> first;
  for (std::size_t i = 0; i < media.codecs.size(); ++i) {
    const SdpCodec& codec = media.codecs[i];
    if (!answer_detail::codecPublishable(codec, accepted)) continue;
    if (!iequals(codec.name, "H264")) return i;
    const auto profile = h264ProfileOfFmtp(codec.fmtp);
    if (profile == H264Profile::kConstrainedBaseline) return i;
    if (!first) first = i;
  }
  return first;
}

// The encodings a publisher's video section offers to send, if throng can tell them apart.
void negotiateSimulcast(const SdpMedia& m, NegotiatedMedia& n) {
  if (m.kind != MediaKind::kVideo || m.simulcast.empty()) return;
  for (const SdpExtmap& extmap : m.extmaps) {
    if (extmap.uri == kRidExtensionUri) n.rid_extension = extmap.id;
    if (extmap.uri == kMidExtensionUri) n.mid_extension = extmap.id;
  }
  // The one-byte form (RFC 8285 §4.2) carries ids 1-14; throng reads no other.
  if (n.rid_extension < 1 || n.rid_extension > 14) {
    n.rid_extension = 0;
    return;
  }
  if (n.mid_extension < 1 || n.mid_extension > 14) n.mid_extension = 0;
  for (std::string& rid : simulcastSendRids(m.simulcast)) {
    // RFC 8853 §5.2: every rid of a=simulcast has an a=rid line of the same direction.
    const bool declared = std::any_of(m.rids.begin(), m.rids.end(), [&](const SdpRid& r) {
      return r.id == rid && r.direction == "send";
    });
    if (declared) n.rids.push_back(std::move(rid));
  }
  if (n.rids.size() < 2) n.rids.clear();  // one encoding is no simulcast
  if (n.rids.empty()) n.rid_extension = n.mid_extension = 0;
}

// Port 0 rejects a section (RFC 3264 §6), unless it is a=bundle-only and in the BUNDLE group:
// then it asks to be accepted on the bundle's transport only (RFC 8843 §6, §7.2). GStreamer's
// webrtcbin with bundle-policy=max-bundle offers every section after the first this way.
bool offeredOff(const SessionDescription& offer, const SdpMedia& m) {
  if (m.port != 0) return false;
  if (!m.bundle_only || m.mid.empty() || offer.bundle_groups.empty()) return true;
  const std::vector<std::string>& group = offer.bundle_groups.front();
  return std::find(group.begin(), group.end(), m.mid) == group.end();
}

// Matches sections to tracks in order; a section's negotiated entry keeps track -1 if unmatched.
// A viewer's sections take distinct tracks; a publisher's take one track per kind.
std::variant<std::vector<NegotiatedMedia>, OfferProblem> matchSections(
    const SessionDescription& offer, const AnswerParams& params, bool receive) {
  std::vector<NegotiatedMedia> result(offer.media.size());
  std::vector<bool> used(params.tracks.size(), false);
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const SdpMedia& m = offer.media[i];
    NegotiatedMedia& n = result[i];
    n.mid = m.mid;
    n.kind = m.kind;
    if (m.kind == MediaKind::kOther || offeredOff(offer, m)) continue;
    if (m.protocol != kWebRtcProtocol) {
      return unsupported(sectionName(m) + " uses " + m.protocol + "; throng needs " +
                         std::string(kWebRtcProtocol) + " (DTLS-SRTP with RTCP feedback)");
    }
    n.receive = receive;
    const char* wanted = receive ? "sendonly" : "recvonly";
    if (m.direction != wanted && m.direction != "sendrecv") continue;
    for (std::size_t t = 0; t < params.tracks.size(); ++t) {
      if (used[t] || params.tracks[t].kind != m.kind) continue;
      const auto codec = receive ? choosePublishedCodec(m, params.tracks[t])
                                 : chooseCodec(m, params.tracks[t]);
      if (!codec) continue;
      if (receive) {
        // One section of each kind: every alternative of this kind is taken.
        for (std::size_t u = 0; u < params.tracks.size(); ++u) {
          if (params.tracks[u].kind == m.kind) used[u] = true;
        }
      }
      used[t] = true;
      n.track = static_cast<int>(t);
      n.payload_type = m.codecs[*codec].payload_type;
      n.fmtp = m.codecs[*codec].fmtp;
      setFeedback(n, m.codecs[*codec]);
      if (receive) negotiateSimulcast(m, n);
      break;
    }
  }
  return result;
}

// ICE, DTLS and rtcp-mux of an accepted section.
std::optional<OfferProblem> checkTransport(const SdpMedia& m) {
  if (m.ice_ufrag.empty() || m.ice_pwd.empty()) {
    return unsupported(sectionName(m) +
                       " has no a=ice-ufrag/a=ice-pwd; ICE needs both "
                       "(RFC 8839 §5.4)");
  }
  if (m.fingerprint_algorithm != "sha-256") {
    return unsupported(
        "the offer's DTLS fingerprint is " +
        (m.fingerprint.empty() ? std::string("missing") : "a " + m.fingerprint_algorithm + " one") +
        "; throng needs a=fingerprint:sha-256 (RFC 8122)");
  }
  if (m.fingerprint.size() != kSha256FingerprintSize) {
    return OfferProblem{OfferProblemKind::kMalformed,
                        "a=fingerprint:sha-256 is not 32 bytes in " + sectionName(m)};
  }
  // RFC 4145 §4: an absent a=setup means active; throng is the DTLS server (RFC 5763 §5).
  if (!m.setup.empty() && m.setup != "actpass" && m.setup != "active") {
    return unsupported(sectionName(m) + " has a=setup:" + m.setup +
                       "; throng is the DTLS server and needs actpass or active");
  }
  if (!m.rtcp_mux) {
    return unsupported(sectionName(m) +
                       " lacks a=rtcp-mux; throng sends RTCP on the RTP port "
                       "only (RFC 5761)");
  }
  return std::nullopt;
}

std::optional<OfferProblem> checkBundle(const SessionDescription& offer,
                                        const std::vector<NegotiatedMedia>& media) {
  const std::size_t accepted = std::count_if(media.begin(), media.end(),
                                             [](const NegotiatedMedia& n) { return n.track >= 0; });
  if (offer.bundle_groups.empty()) {
    if (accepted <= 1) return std::nullopt;
    return unsupported(
        "the offer has no a=group:BUNDLE; throng sends every m-section on one "
        "transport and needs them bundled (RFC 8843)");
  }
  const std::vector<std::string>& group = offer.bundle_groups.front();
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (media[i].track < 0) continue;
    if (std::find(group.begin(), group.end(), media[i].mid) == group.end()) {
      return unsupported(sectionName(offer.media[i]) +
                         " is not in the offer's BUNDLE group; "
                         "throng sends every m-section on one transport (RFC 8843)");
    }
  }
  return std::nullopt;
}

// RFC 8843 §7.3.3: the offerer-tagged section (the first mid of the offer's BUNDLE group) may
// not be rejected while the group goes on. libwebrtc holds to it: with max-bundle its other
// sections have no transport of their own, and an answer that rejects the tagged one fails in
// setRemoteDescription ("Failed to setup RTCP mux", Chromium 156 watching a High-profile H.264
// stream it cannot take). So, when throng serves other sections, it keeps that one in the group,
// answered a=inactive with the offer's first format (RFC 3264 §6.1: an answer lists at least
// one). A data channel section cannot be kept that way (it would need SCTP) and stays rejected.
void keepBundleTag(const SessionDescription& offer, std::vector<NegotiatedMedia>& media) {
  if (offer.bundle_groups.empty() || offer.bundle_groups.front().empty()) return;
  const std::string& tag = offer.bundle_groups.front().front();
  for (std::size_t i = 0; i < media.size(); ++i) {
    const SdpMedia& m = offer.media[i];
    if (m.mid != tag) continue;
    if (media[i].track >= 0 || m.kind == MediaKind::kOther || m.codecs.empty() ||
        offeredOff(offer, m)) {
      return;
    }
    media[i].inactive = true;
    media[i].payload_type = m.codecs.front().payload_type;
    return;
  }
}

// "H.264 High profile", "VP8", "Opus": how a viewer's player names a format.
std::string formatInWords(const OutgoingTrack& track) {
  if (iequals(track.codec, "opus")) return "Opus";
  if (!iequals(track.codec, "H264")) return track.codec;
  switch (h264ProfileOfFmtp(track.fmtp).value_or(H264Profile::kOther)) {
    case H264Profile::kConstrainedBaseline:
      return "H.264 Constrained Baseline profile";
    case H264Profile::kBaseline:
      return "H.264 Baseline profile";
    case H264Profile::kMain:
      return "H.264 Main profile";
    case H264Profile::kExtended:
      return "H.264 Extended profile";
    case H264Profile::kConstrainedHigh:
      return "H.264 Constrained High profile";
    case H264Profile::kHigh:
      return "H.264 High profile";
    case H264Profile::kOther:
      break;
  }
  return "H.264";
}

// A viewer's sections that asked for a kind the stream has and got none of it: the viewer
// offered no format that carries the stream's track (throng does not transcode, design.md §5).
void noteMissingFormats(const SessionDescription& offer, const AnswerParams& params,
                        std::vector<NegotiatedMedia>& media) {
  for (const OutgoingTrack& track : params.tracks) {
    const bool served = std::any_of(media.begin(), media.end(), [&](const NegotiatedMedia& n) {
      return n.kind == track.kind && n.track >= 0;
    });
    if (served) continue;
    for (std::size_t i = 0; i < media.size(); ++i) {
      const SdpMedia& m = offer.media[i];
      if (m.kind != track.kind || offeredOff(offer, m)) continue;
      if (m.direction != "recvonly" && m.direction != "sendrecv") continue;
      media[i].missing_format = formatInWords(track);
    }
  }
}

}  // namespace

namespace {

std::variant<SdpAnswer, OfferProblem> answerOffer(std::string_view offer,
                                                  const AnswerParams& params, bool receive) {
  auto parsed = parseSdp(offer);
  if (!parsed) return OfferProblem{OfferProblemKind::kMalformed, parsed.error().message};
  const SessionDescription& sd = *parsed;
  if (sd.ice_lite) {
    return unsupported(
        "the offer is ICE-lite; throng is ICE-lite too and one side must run "
        "full ICE (RFC 8445 §2.5)");
  }
  if (sd.bundle_groups.size() > 1) {
    return unsupported("the offer has " + std::to_string(sd.bundle_groups.size()) +
                       " BUNDLE groups; throng sends everything on one transport and needs at "
                       "most one");
  }
  auto matched = matchSections(sd, params, receive);
  if (auto* problem = std::get_if<OfferProblem>(&matched)) return std::move(*problem);
  std::vector<NegotiatedMedia>& media = std::get<std::vector<NegotiatedMedia>>(matched);

  const auto first = std::find_if(media.begin(), media.end(),
                                  [](const NegotiatedMedia& n) { return n.track >= 0; });
  if (first == media.end()) {
    if (receive) {
      return unsupported("no m-section can be matched: the offer has " +
                         answer_detail::describeOffered(sd) +
                         "; throng takes video VP8/90000 or H264/90000 (packetization-mode=1) "
                         "and audio opus/48000/2 from sendonly or sendrecv sections");
    }
    return unsupported("no m-section can be matched: the offer has " +
                       answer_detail::describeOffered(sd) + "; throng sends " +
                       answer_detail::describeTracks(params.tracks) +
                       " to recvonly or sendrecv sections");
  }
  keepBundleTag(sd, media);
  if (!receive) noteMissingFormats(sd, params, media);
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (media[i].track < 0 && !media[i].inactive) continue;
    if (auto problem = checkTransport(sd.media[i])) return std::move(*problem);
  }
  if (auto problem = checkBundle(sd, media)) return std::move(*problem);

  // With BUNDLE the tagged section's transport is the one used (RFC 8843 §7.3.1): the first
  // kept one, as offerers list the group in the order of their sections.
  const auto tagged = std::find_if(media.begin(), media.end(), [](const NegotiatedMedia& n) {
    return n.track >= 0 || n.inactive;
  });
  const SdpMedia& transport = sd.media[static_cast<std::size_t>(tagged - media.begin())];
  SdpAnswer answer;
  answer.sdp = answer_detail::writeAnswer(sd, params, media, !sd.bundle_groups.empty());
  answer.remote_ufrag = transport.ice_ufrag;
  answer.remote_pwd = transport.ice_pwd;
  answer.remote_fingerprint = transport.fingerprint;
  answer.media = std::move(media);
  return answer;
}

}  // namespace

std::variant<SdpAnswer, OfferProblem> answerViewerOffer(std::string_view offer,
                                                        const AnswerParams& params) {
  return answerOffer(offer, params, /*receive=*/false);
}

std::variant<SdpAnswer, OfferProblem> answerPublisherOffer(std::string_view offer,
                                                           const AnswerParams& params) {
  return answerOffer(offer, params, /*receive=*/true);
}

}  // namespace throng::rtc
