// Simulcast from a WHIP publisher (RFC 8853): the encodings it offers, named by rids (RFC 8851),
// and the RTP header extensions that tell its packets apart before throng has seen their SSRCs
// (a browser's simulcast offer has no a=ssrc lines: each encoding's SSRC is learned from the
// first packets, which carry the rid, RFC 8852 §3).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace throng::rtc {

// Encodings taken from one publisher. Browsers send three (OBS two or three); each costs the
// publisher upstream bandwidth and throng a ring of packets per worker.
inline constexpr std::size_t kMaxSimulcastLayers = 4;

inline constexpr std::string_view kMidExtensionUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kRidExtensionUri =
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";

// The rids of the send direction of an a=simulcast value (RFC 8853 §5.1: "send l;m;h",
// "recv x send 1,2;~3"), in order: the first alternative of each stream, a paused one ("~")
// included without its mark. At most kMaxSimulcastLayers; empty if there is no send part or it
// is malformed.
std::vector<std::string> simulcastSendRids(std::string_view value);

}  // namespace throng::rtc
