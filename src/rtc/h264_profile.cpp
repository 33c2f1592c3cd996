// H.264 profile-level-id classification; see h264_profile.h.
#include "rtc/h264_profile.h"

#include "rtc/fmtp.h"

namespace throng::rtc {
namespace {

constexpr std::string_view kDefaultProfileLevelId = "420010";  // RFC 6184 §8.1

std::optional<std::uint8_t> hexByte(std::string_view two) {
  std::uint8_t value = 0;
  for (const char c : two) {
    int digit = 0;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return std::nullopt;
    value = static_cast<std::uint8_t>(value * 16 + digit);
  }
  return value;
}

}  // namespace

std::optional<H264ProfileLevelId> parseH264ProfileLevelId(std::string_view hex) {
  if (hex.size() != 6) return std::nullopt;
  const auto idc = hexByte(hex.substr(0, 2));
  const auto iop = hexByte(hex.substr(2, 2));
  const auto level = hexByte(hex.substr(4, 2));
  if (!idc || !iop || !level) return std::nullopt;
  return H264ProfileLevelId{*idc, *iop, *level};
}

H264Profile h264Profile(const H264ProfileLevelId& id) {
  constexpr std::uint8_t kSet0 = 0x80, kSet1 = 0x40, kSet4 = 0x08, kSet5 = 0x04;
  const std::uint8_t iop = id.profile_iop;
  switch (id.profile_idc) {
    case 0x42:  // Baseline; with constraint_set1 it is Constrained Baseline
      return (iop & kSet1) != 0 ? H264Profile::kConstrainedBaseline : H264Profile::kBaseline;
    case 0x4D:  // Main; with constraint_set0, Constrained Baseline
      return (iop & kSet0) != 0 ? H264Profile::kConstrainedBaseline : H264Profile::kMain;
    case 0x58:  // Extended; set0 makes it Baseline, set0+set1 Constrained Baseline
      if ((iop & (kSet0 | kSet1)) == (kSet0 | kSet1)) return H264Profile::kConstrainedBaseline;
      return (iop & kSet0) != 0 ? H264Profile::kBaseline : H264Profile::kExtended;
    case 0x64:  // High; constraint_set4+5 make it Constrained High
      return (iop & (kSet4 | kSet5)) == (kSet4 | kSet5) ? H264Profile::kConstrainedHigh
                                                        : H264Profile::kHigh;
    default:
      return H264Profile::kOther;
  }
}

std::optional<H264Profile> h264ProfileOfFmtp(std::string_view fmtp) {
  const auto id = parseH264ProfileLevelId(
      fmtpParameter(fmtp, "profile-level-id").value_or(kDefaultProfileLevelId));
  if (!id) return std::nullopt;
  return h264Profile(*id);
}

bool h264FmtpAcceptsConstrainedBaseline(std::string_view fmtp) {
  if (fmtpParameter(fmtp, "packetization-mode").value_or("0") != "1") return false;
  const auto profile = h264ProfileOfFmtp(fmtp);
  return profile == H264Profile::kConstrainedBaseline || profile == H264Profile::kBaseline;
}

}  // namespace throng::rtc
