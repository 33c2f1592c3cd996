// The SDP answer to a WHEP viewer's offer (design.md §5): throng is ICE-lite (RFC 8445 §2.5),
// the DTLS server (a=setup:passive, RFC 5763 §5), bundles everything on one transport
// (RFC 8843) and only sends. Each offered m-section gets one of throng's outgoing tracks or is
// rejected; an offer throng cannot serve gets a reason for the HTTP error.
#pragma once

#include "rtc/sdp.h"

#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace throng::rtc {

struct OutgoingTrack {
  MediaKind kind = MediaKind::kVideo;
  std::string codec;  // "VP8", "H264", "opus"
  std::uint32_t clock_rate = 90000;
  int channels = 1;
  // For the answer, e.g. H264 "level-asymmetry-allowed=1;packetization-mode=1;
  // profile-level-id=42e01f", opus "minptime=10;useinbandfec=1".
  std::string fmtp;
  std::uint32_t ssrc = 0;
  std::string msid_stream;
  std::string msid_track;
};

struct AnswerParams {
  std::string ice_ufrag, ice_pwd;
  std::string fingerprint_sha256;  // "AB:CD:..."
  std::vector<boost::asio::ip::udp::endpoint> candidates;
  // Viewer: the stream's tracks. Publisher: the tracks throng accepts, in preference order
  // (alternatives of one kind; the first the offer has wins); ssrc and msid are unused.
  std::vector<OutgoingTrack> tracks;
  std::string cname;
  std::uint64_t session_id = 0;
};

struct NegotiatedMedia {
  std::string mid;
  bool receive = false;  // a publisher's section: throng receives (a=recvonly)
  MediaKind kind = MediaKind::kOther;
  int track = -1;         // index into AnswerParams::tracks; -1 = section rejected
  int payload_type = -1;  // the offer's payload type for the chosen codec
  std::string fmtp;       // the offer's a=fmtp for it
  // The feedback the offer had for that codec and the answer repeats (RFC 4585 §4.2).
  bool nack = false, pli = false, fir = false, remb = false;
  // Always false for now: transport-cc needs the transport-wide sequence number extension
  // (draft-holmer-rmcat-transport-wide-cc-extensions-01), which throng does not answer yet.
  bool transport_cc = false;
  // A publisher's simulcast (RFC 8853): the rids throng receives, in the offer's a=simulcast
  // order, with the ids of the header extensions that carry a packet's mid and rid (RFC 8843
  // §15, RFC 8852 §3), which the answer repeats. Empty: one encoding.
  std::vector<std::string> rids;
  int mid_extension = 0, rid_extension = 0;
  // Kept in the BUNDLE group although nothing is sent (track -1): the offerer-tagged section,
  // which the answer may not reject (RFC 8843 §7.3.3), answered a=inactive on port 9 with the
  // offer's first format (payload_type).
  bool inactive = false;
  // A viewer's section that gets no track although the stream has one of its kind, because no
  // offered format carries it: that track's format in words ("H.264 High profile"), written as
  // the section's i= line (RFC 8866 §5.4) so that a player can tell its viewer why.
  std::string missing_format;
};

struct SdpAnswer {
  std::string sdp;
  std::vector<NegotiatedMedia> media;                        // one per offer m-section, in order
  std::string remote_ufrag, remote_pwd, remote_fingerprint;  // sha-256 "AB:.."
};

enum class OfferProblemKind {
  kMalformed,    // → HTTP 400
  kUnsupported,  // → HTTP 422
};
struct OfferProblem {
  OfferProblemKind kind;
  std::string reason;
};

// Sections that can be accepted: audio or video, port ≠ 0 (or port 0 with a=bundle-only inside
// the BUNDLE group, RFC 8843 §6, answered on port 9 like the others), recvonly or sendrecv, each
// matched to the first unused track of its kind whose codec it offers (name without case, clock
// rate, channels for audio; H.264 needs packetization-mode=1 and a Baseline-compatible profile,
// and an offered format of the track's own profile is preferred). Others are rejected in the
// answer (port 0, a=inactive, mid kept; RFC 8843 §7.3.3), except the offerer-tagged section (the
// first mid of the BUNDLE group) while others are accepted: it is answered a=inactive on port 9
// and stays in the group (NegotiatedMedia::inactive). A viewer's section left without the
// stream's track of its kind names that track's format in an i= line. Unsupported: no sha-256
// fingerprint, no ice-ufrag/ice-pwd, setup other than actpass/active (absent counts as active,
// RFC 4145 §4), no rtcp-mux, more than one BUNDLE group or accepted sections outside it (one
// section needs no BUNDLE), an audio/video protocol other than UDP/TLS/RTP/SAVPF, an ICE-lite
// offerer, or no section matched.
std::variant<SdpAnswer, OfferProblem> answerViewerOffer(std::string_view offer,
                                                        const AnswerParams& params);

// The answer to a WHIP publisher (RFC 9725 §4.2): the same transport rules, but throng
// receives (a=recvonly) from sendonly or sendrecv sections; the first audio and the first
// video section are each matched to the first accepted track of their kind the section
// offers (H.264: packetization-mode=1, a Constrained Baseline format preferred as every
// viewer decodes it); the answer repeats the offered format's fmtp. Further sections are
// rejected. No section matched: 422 naming what was offered and what throng takes.
std::variant<SdpAnswer, OfferProblem> answerPublisherOffer(std::string_view offer,
                                                           const AnswerParams& params);

}  // namespace throng::rtc
