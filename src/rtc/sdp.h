// SDP offers as WebRTC peers write them (WHEP viewers, WHIP publishers): RFC 8866 with the
// attributes of RFC 8839 (ICE), RFC 8122 (fingerprint), RFC 5763 (setup), RFC 8843 (BUNDLE),
// RFC 5761 (rtcp-mux), RFC 8285 (extmap), RFC 4585 (rtcp-fb), RFC 8851 (rid), RFC 8853
// (simulcast), RFC 5576 (ssrc). Pure: text in, a value or an error saying where and why out.
#pragma once

#include "base/result.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace throng::rtc {

// Bounds on a stranger's description (an offer is an HTTP body anyone can POST).
// Browsers' audio+video offers are 4-8 KiB; 64 KiB leaves room for simulcast and many codecs.
inline constexpr std::size_t kSdpMaxSize = 64 * 1024;
// A browser's audio+video offer is about 150 lines.
inline constexpr std::size_t kSdpMaxLines = 1000;
// RFC 8843 bundles everything on one transport; a viewer needs two sections, a studio a few.
inline constexpr std::size_t kSdpMaxMediaSections = 32;
// Chrome offers ~40 video formats (codecs and their rtx); the payload type space is 128.
inline constexpr std::size_t kSdpMaxCodecs = 128;
// Candidates per section: a host has a few addresses; trickled offers carry none.
inline constexpr std::size_t kSdpMaxCandidates = 64;
// The longest line value; certificates fingerprints and fmtp lines are far shorter.
inline constexpr std::size_t kSdpMaxValueSize = 4096;
// Lists inside a section that nobody needs long: rtcp-fb per codec, extmaps, ssrcs, rids,
// BUNDLE groups and their mids.
inline constexpr std::size_t kSdpMaxListSize = 64;

enum class MediaKind { kAudio, kVideo, kOther };

struct SdpCodec {
  int payload_type = 0;
  std::string name;
  std::uint32_t clock_rate = 0;
  int channels = 1;
  std::string fmtp;
  std::vector<std::string> rtcp_fb;  // "nack", "nack pli", "ccm fir", "goog-remb", ...
};

struct SdpExtmap {
  int id = 0;
  std::string uri;
};

struct SdpCandidate {
  std::string foundation;
  int component = 1;
  std::string transport;
  std::uint32_t priority = 0;
  std::string address;
  std::uint16_t port = 0;
  std::string type;
};

struct SdpRid {
  std::string id;
  std::string direction;
  std::string params;
};

struct SdpMedia {
  MediaKind kind = MediaKind::kOther;
  std::string kind_name;
  std::uint16_t port = 0;
  std::string protocol;
  std::vector<std::string> formats;
  std::string mid;
  std::string direction = "sendrecv";
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  // a=bundle-only (RFC 8843 §6): port 0 then means "only if bundled", not "rejected".
  bool bundle_only = false;
  std::string ice_ufrag, ice_pwd;
  std::vector<std::string> ice_options;
  // The algorithm lower-cased, the value's hex upper-cased (RFC 8122 §5: both are
  // case-insensitive). Of several fingerprints, sha-256 is kept, else the first.
  std::string fingerprint_algorithm, fingerprint;
  std::string setup;
  std::vector<SdpCodec> codecs;  // in the m= line's order (preference order)
  std::vector<SdpExtmap> extmaps;
  std::vector<std::uint32_t> ssrcs;  // each a=ssrc id once, in order of appearance
  std::vector<std::vector<std::uint32_t>> ssrc_groups_fid;
  std::vector<SdpCandidate> candidates;
  bool end_of_candidates = false;
  std::vector<SdpRid> rids;
  std::string simulcast;
  std::string msid;
};

struct SessionDescription {
  std::string origin_username;
  std::string session_id;
  std::uint64_t session_version = 0;
  bool ice_lite = false;
  std::vector<std::vector<std::string>> bundle_groups;  // mids of each a=group:BUNDLE
  // Session-level ice-ufrag/pwd, fingerprint, setup and ice-options are copied into each media
  // section that lacks its own.
  std::vector<SdpMedia> media;
};

// Accepts \r\n and \n line ends. Unknown attributes and line types are ignored. Codecs come from
// a=rtpmap for each format of the m= line (static payload types without one are skipped), with
// their a=fmtp and a=rtcp-fb (including "*") attached. Errors name the line: "line 7: a=rtpmap:
// payload type 300 out of range", "no m= section".
Result<SessionDescription> parseSdp(std::string_view text);

}  // namespace throng::rtc
