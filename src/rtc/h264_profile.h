// H.264 profile-level-id (RFC 6184 §8.1): which offered H.264 formats can carry throng's
// constrained-baseline stream (OBS and the test source send it; no transcoding on the WebRTC
// path, design.md §5 step 6).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace throng::rtc {

struct H264ProfileLevelId {
  std::uint8_t profile_idc = 0;
  std::uint8_t profile_iop = 0;  // constraint_set0..5 flags, high bit first
  std::uint8_t level_idc = 0;
};

// RFC 6184 §8.1 Table 5 (what libwebrtc matches on when it pairs offer and answer codecs).
enum class H264Profile {
  kConstrainedBaseline,
  kBaseline,
  kMain,
  kExtended,
  kConstrainedHigh,
  kHigh,
  kOther
};

// Six hex digits; nothing otherwise.
std::optional<H264ProfileLevelId> parseH264ProfileLevelId(std::string_view hex);
H264Profile h264Profile(const H264ProfileLevelId& id);

// The profile an a=fmtp line declares; RFC 6184 §8.1: without profile-level-id it is 420010
// (Baseline). Nothing when the value is malformed.
std::optional<H264Profile> h264ProfileOfFmtp(std::string_view fmtp);

// True when a receiver that offered `fmtp` decodes constrained baseline sent in RTP
// non-interleaved mode: packetization-mode=1 (RFC 6184 §6.3; FU-A needs it) and a Baseline or
// Constrained Baseline profile (42xxxx, 4D with constraint_set0, 58 with constraint_set0). Main
// and High receivers could decode it too, but browsers pair codecs by profile, so answering
// 42e01f to a 4d001f or 64001f offer would not be accepted.
bool h264FmtpAcceptsConstrainedBaseline(std::string_view fmtp);

}  // namespace throng::rtc
