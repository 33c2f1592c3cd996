// Reading a=fmtp format parameters ("key=value;key=value", RFC 8866 §6.15 leaves the syntax to
// each codec; H.264, VP8/VP9, Opus and RTX all use this one).
#pragma once

#include <optional>
#include <string_view>

namespace throng::rtc {

// The value of `key` (compared without ASCII case, as media type parameters are) in `fmtp`;
// spaces around ';' and '=' are ignored. Of repeated keys the first counts.
std::optional<std::string_view> fmtpParameter(std::string_view fmtp, std::string_view key);

}  // namespace throng::rtc
