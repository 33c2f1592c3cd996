// fmtp parameter lookup; see fmtp.h.
#include "rtc/fmtp.h"

#include "rtc/sdp_text.h"

namespace throng::rtc {

std::optional<std::string_view> fmtpParameter(std::string_view fmtp, std::string_view key) {
  while (!fmtp.empty()) {
    const std::size_t end = fmtp.find(';');
    const std::string_view item = fmtp.substr(0, end);
    fmtp.remove_prefix(end == std::string_view::npos ? fmtp.size() : end + 1);
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) continue;
    if (sdp_text::iequals(sdp_text::trim(item.substr(0, equals)), key)) {
      return sdp_text::trim(item.substr(equals + 1));
    }
  }
  return std::nullopt;
}

}  // namespace throng::rtc
