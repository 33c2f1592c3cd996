// A 5x7 bitmap font for the digits, ':' and '.', burned into the test picture so that a viewer
// (or a test) can read the frame number and the capture clock off any decoded frame.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace throng::media {

inline constexpr int kGlyphColumns = 5;
inline constexpr int kGlyphRows = 7;
// A character cell leaves one blank column and two blank rows around the glyph so that scaled
// digits stay apart.
inline constexpr int kCellColumns = kGlyphColumns + 1;
inline constexpr int kCellRows = kGlyphRows + 2;

// One row per element, top first; bit 4 is the leftmost column.
using Glyph = std::array<std::uint8_t, kGlyphRows>;

// The glyph for '0'..'9', ':', '.' or ' ' (blank); nullopt for any other character.
std::optional<Glyph> glyphFor(char c);

}  // namespace throng::media
