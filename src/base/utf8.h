// Strict UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF), the one
// decoder every layer uses: names, titles, passwords and JIDs are all checked with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace throng {

// Decodes the code point starting at s[i] and advances i past it; nullopt on invalid UTF-8.
std::optional<std::uint32_t> nextCodePoint(std::string_view s, std::size_t& i);

// The number of code points in `s` if it is strict UTF-8, else nullopt.
std::optional<std::size_t> utf8Length(std::string_view s);

bool isValidUtf8(std::string_view s);

// Strict UTF-8 holding no control character: C0 (U+0000..U+001F), DEL (U+007F) or C1
// (U+0080..U+009F), the Unicode Cc class every PRECIS profile disallows (RFC 8264 §9.13).
// Spaces are allowed.
bool isUtf8WithoutControls(std::string_view s);

}  // namespace throng
