#include "base/utf8.h"

#include <cstdint>

namespace throng {

std::optional<std::uint32_t> nextCodePoint(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t extra = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) {
    ++i;
    return c;
  } else if (c >= 0xC2 && c <= 0xDF) {
    extra = 1;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    extra = 2;
    cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    extra = 3;
    cp = c & 0x07u;
  } else {
    return std::nullopt;
  }
  if (s.size() - i <= extra) return std::nullopt;
  for (std::size_t k = 1; k <= extra; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0u) != 0x80u) return std::nullopt;
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  i += extra + 1;
  return cp;
}

std::optional<std::size_t> utf8Length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    if (!nextCodePoint(s, i)) return std::nullopt;
  }
  return count;
}

bool isValidUtf8(std::string_view s) { return utf8Length(s).has_value(); }

bool isUtf8WithoutControls(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto cp = nextCodePoint(s, i);
    if (!cp) return false;
    if (*cp < 0x20 || (*cp >= 0x7F && *cp <= 0x9F)) return false;
  }
  return true;
}

}  // namespace throng
