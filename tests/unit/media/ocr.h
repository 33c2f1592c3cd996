// Reads the burned-in digits back out of a (possibly decoded) picture, by sampling the centre of
// each font pixel and matching the glyphs of media/bitmap_font.h.
#pragma once

#include "media/bitmap_font.h"
#include "media/test_pattern.h"

#include <cstdint>
#include <string>

namespace throng::media::testing {

// `chars` characters from `area` of a luma plane with stride `stride`; '?' where no glyph
// matches.
inline std::string readText(const std::uint8_t* luma, int stride, TestPattern::Rect area, int scale,
                            int chars) {
  static constexpr char kAlphabet[] = "0123456789:.";
  std::string text;
  for (int i = 0; i < chars; ++i) {
    Glyph seen{};
    for (int r = 0; r < kGlyphRows; ++r) {
      for (int c = 0; c < kGlyphColumns; ++c) {
        const int x = area.x + i * kCellColumns * scale + c * scale + scale / 2;
        const int y = area.y + scale + r * scale + scale / 2;
        if (luma[y * stride + x] >= 128) {
          seen[static_cast<std::size_t>(r)] |=
              static_cast<std::uint8_t>(1 << (kGlyphColumns - 1 - c));
        }
      }
    }
    char match = '?';
    for (const char* a = kAlphabet; *a != '\0'; ++a) {
      if (glyphFor(*a) == seen) match = *a;
    }
    text.push_back(match);
  }
  return text;
}

}  // namespace throng::media::testing
