// Annex B splitting and SPS profile-level-id (h264_nal.h).
#include "media/h264_nal.h"

#include <cstdio>

namespace throng::media {
namespace {

// Index just past the next start code (00 00 01) at or after `from`, or npos.
std::size_t nextStartCodeEnd(std::string_view s, std::size_t from) {
  for (std::size_t i = from; i + 3 <= s.size(); ++i) {
    if (static_cast<unsigned char>(s[i + 2]) > 1) {
      i += 2;  // neither of the next two positions can start 00 00 01 ending here
      continue;
    }
    if (s[i] == 0 && s[i + 1] == 0 && s[i + 2] == 1) return i + 3;
  }
  return std::string_view::npos;
}

}  // namespace

void splitAnnexB(std::string_view stream, std::vector<std::string_view>& out) {
  std::size_t begin = nextStartCodeEnd(stream, 0);
  while (begin != std::string_view::npos) {
    const std::size_t next = nextStartCodeEnd(stream, begin);
    std::size_t end = next == std::string_view::npos ? stream.size() : next - 3;
    // A four-byte start code's leading zero, and any trailing_zero_8bits (H.264 B.1.1), are not
    // part of the NAL unit; a NAL unit never ends in a zero byte (rbsp_trailing_bits).
    while (end > begin && stream[end - 1] == 0) --end;
    if (end > begin) out.push_back(stream.substr(begin, end - begin));
    begin = next;
  }
}

std::optional<std::string> profileLevelIdFromSps(std::string_view sps) {
  // NAL header, then profile_idc, constraint_set0..5 flags + reserved bits, level_idc
  // (H.264 §7.3.2.1.1). None of these can contain an emulation prevention byte.
  if (sps.size() < 4 || nalType(static_cast<unsigned char>(sps[0])) != kNalSps) return std::nullopt;
  char hex[8];
  std::snprintf(hex, sizeof hex, "%02x%02x%02x", static_cast<unsigned char>(sps[1]),
                static_cast<unsigned char>(sps[2]), static_cast<unsigned char>(sps[3]));
  return std::string(hex);
}

}  // namespace throng::media
