#include "rtc/simulcast.h"

#include "rtc/sdp_text.h"

namespace throng::rtc {

namespace {

// RFC 8851 §10: rid-id = 1*(alpha-numeric / "-" / "_").
bool validRid(std::string_view id) {
  if (id.empty() || id.size() > 16) return false;  // RFC 8852 §3: at most 16 bytes on the wire
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> simulcastSendRids(std::string_view value) {
  // Tokens separated by spaces: a direction, then its stream list.
  std::vector<std::string_view> tokens;
  while (!value.empty()) {
    const auto space = value.find(' ');
    const auto token = value.substr(0, space);
    if (!token.empty()) tokens.push_back(token);
    if (space == std::string_view::npos) break;
    value.remove_prefix(space + 1);
  }
  for (std::size_t i = 0; i + 1 < tokens.size(); i += 2) {
    if (!sdp_text::iequals(tokens[i], "send")) continue;
    std::vector<std::string> rids;
    std::string_view list = tokens[i + 1];
    while (!list.empty()) {
      const auto semicolon = list.find(';');
      std::string_view stream = list.substr(0, semicolon);
      stream = stream.substr(0, stream.find(','));  // the first alternative
      if (!stream.empty() && stream.front() == '~') stream.remove_prefix(1);
      if (!validRid(stream)) return {};
      if (rids.size() < kMaxSimulcastLayers) rids.emplace_back(stream);
      if (semicolon == std::string_view::npos) break;
      list.remove_prefix(semicolon + 1);
    }
    return rids;
  }
  return {};
}

}  // namespace throng::rtc
