// The glyph table of the 5x7 font (bitmap_font.h).
#include "media/bitmap_font.h"

namespace throng::media {
namespace {

constexpr std::array<Glyph, 10> kDigits = {{
    {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110},  // 0
    {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},  // 1
    {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111},  // 2
    {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110},  // 3
    {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010},  // 4
    {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110},  // 5
    {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110},  // 6
    {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000},  // 7
    {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110},  // 8
    {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100},  // 9
}};
constexpr Glyph kColon = {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000};
constexpr Glyph kDot = {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100};
constexpr Glyph kBlank = {};

}  // namespace

std::optional<Glyph> glyphFor(char c) {
  if (c >= '0' && c <= '9') return kDigits[static_cast<std::size_t>(c - '0')];
  if (c == ':') return kColon;
  if (c == '.') return kDot;
  if (c == ' ') return kBlank;
  return std::nullopt;
}

}  // namespace throng::media
