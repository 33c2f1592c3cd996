// H.264 NAL units: splitting an Annex B byte stream (ITU-T H.264 Annex B) into NAL units,
// and reading the SDP profile-level-id (RFC 6184 §8.1) out of a sequence parameter set.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::media {

// nal_unit_type values (H.264 Table 7-1) and the RTP packet types (RFC 6184 §5.2).
inline constexpr int kNalSlice = 1;
inline constexpr int kNalIdr = 5;
inline constexpr int kNalSei = 6;
inline constexpr int kNalSps = 7;
inline constexpr int kNalPps = 8;
inline constexpr int kNalAud = 9;
inline constexpr int kNalFiller = 12;
inline constexpr int kNalStapA = 24;
inline constexpr int kNalFuA = 28;

inline int nalType(unsigned char header) {
  return header & 0x1f;
}

// Appends to `out` a view of each NAL unit in `stream` (start codes 00 00 01 or 00 00 00 01
// removed, trailing zero bytes dropped, empty units skipped). Bytes before the first start code
// are ignored. The views point into `stream`.
void splitAnnexB(std::string_view stream, std::vector<std::string_view>& out);

// "42e01f": profile_idc, the constraint flags byte and level_idc of an SPS NAL unit, as lower
// case hex. nullopt if `sps` is not an SPS or is too short.
std::optional<std::string> profileLevelIdFromSps(std::string_view sps);

}  // namespace throng::media
