// XMPP date-time strings (XEP-0082 §3.3: "CCYY-MM-DDThh:mm:ss[.sss]TZD"), as used by delayed
// delivery stamps (XEP-0203) and the MUC history 'since' attribute (XEP-0045 §7.2.15).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace throng::proto {

// UTC with millisecond precision, e.g. "2026-11-21T09:30:00.250Z".
std::string formatXmppDateTime(std::chrono::system_clock::time_point time);
// Accepts any fraction length and a 'Z' or ±hh:mm zone; nullopt for anything else,
// including out-of-range fields (month 13, minute 60; a leap second 60 is accepted).
std::optional<std::chrono::system_clock::time_point> parseXmppDateTime(std::string_view text);

}  // namespace throng::proto
