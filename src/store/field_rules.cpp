#include "store/field_rules.h"

#include "base/utf8.h"

#include <cstdint>
#include <string>

namespace throng::store {
namespace {

// Unicode White_Space outside ASCII (U+0085 is a C1 control, refused with the others).
bool isNonAsciiSpace(std::uint32_t cp) {
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

}  // namespace

Status validateAddress(std::string_view field, std::string_view value, std::size_t max_bytes,
                       std::string_view forbidden) {
  if (value.empty() || value.size() > max_bytes) {
    return makeError(std::string(field) + ": must be 1.." + std::to_string(max_bytes) + " bytes");
  }
  for (std::size_t i = 0; i < value.size();) {
    const auto cp = nextCodePoint(value, i);
    if (!cp) return makeError(std::string(field) + ": not valid UTF-8");
    if (*cp <= 0x20 || (*cp >= 0x7F && *cp <= 0x9F) || isNonAsciiSpace(*cp)) {
      return makeError(std::string(field) + ": no whitespace or control characters allowed");
    }
    if (*cp < 0x80 && forbidden.find(static_cast<char>(*cp)) != std::string_view::npos) {
      return makeError(std::string(field) + ": must not contain any of \"" +
                       std::string(forbidden) + "\"");
    }
  }
  return {};
}

Status validateRoomName(std::string_view field, std::string_view name) {
  return validateAddress(field, name, kMaxRoomNameBytes, "@/");
}

Status validateBareJid(std::string_view field, std::string_view jid) {
  return validateAddress(field, jid, kMaxJidBytes, "/");
}

Status validateText(std::string_view field, std::string_view value, std::size_t max_bytes) {
  if (value.size() > max_bytes) {
    return makeError(std::string(field) + ": longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (!isValidUtf8(value)) return makeError(std::string(field) + ": not valid UTF-8");
  return {};
}

}  // namespace throng::store
