// The test picture: scrolling colour bars, a sliding ramp, a bouncing box and burned-in digits.
#include "media/test_pattern.h"

#include "media/bitmap_font.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace throng::media {
namespace {

struct Yuv {
  std::uint8_t y, u, v;
};

// 75% colour bars (ITU-R BT.601, limited range), the familiar order from white to black.
constexpr std::array<Yuv, 8> kBars = {{
    {180, 128, 128},  // white
    {162, 44, 142},   // yellow
    {131, 156, 44},   // cyan
    {112, 72, 58},    // green
    {84, 184, 198},   // magenta
    {65, 100, 212},   // red
    {35, 212, 114},   // blue
    {16, 128, 128},   // black
}};
constexpr Yuv kBoxColour = {210, 16, 146};  // bright yellow: stands out on every bar
constexpr std::uint8_t kTextLuma = 235;     // limited-range white
constexpr std::uint8_t kTextBackgroundLuma = 16;
constexpr std::uint8_t kNeutralChroma = 128;

// Motion per frame in pixels: slow enough to follow by eye, fast enough to show a stall.
constexpr std::uint64_t kBarsSpeed = 2;
constexpr std::uint64_t kRampSpeed = 4;
constexpr std::uint64_t kBoxSpeedX = 5;
constexpr std::uint64_t kBoxSpeedY = 3;
// Grain of +-16 luma levels: enough that 720p at 2.5 Mbps is spent, not enough to hide the ramp.
constexpr int kGrainAmplitude = 16;

// Position on a back-and-forth path of length `travel`.
int bounce(std::uint64_t distance, int travel) {
  if (travel <= 0) return 0;
  const auto period = static_cast<std::uint64_t>(travel) * 2;
  const auto p = static_cast<int>(distance % period);
  return p <= travel ? p : 2 * travel - p;
}

void fillRect(std::vector<std::uint8_t>& plane, int stride, int rows, int x0, int y0, int x1,
              int y1, std::uint8_t value) {
  x0 = std::clamp(x0, 0, stride);
  x1 = std::clamp(x1, 0, stride);
  y0 = std::clamp(y0, 0, rows);
  y1 = std::clamp(y1, 0, rows);
  if (x0 >= x1) return;
  for (int row = y0; row < y1; ++row) {
    auto* line = plane.data() + static_cast<std::size_t>(row) * static_cast<std::size_t>(stride);
    std::fill(line + x0, line + x1, value);
  }
}

}  // namespace

TestPattern::TestPattern(int width, int height)
    : width_(width), height_(height), ramp_row_(static_cast<std::size_t>(width)) {
  // The clock line must fit across the picture; 80 rows per font pixel keeps the two text lines
  // under a quarter of the height (9 px font pixels at 720p, 4 px at 360p).
  const int by_width = width / (kClockChars * kCellColumns + 4);
  scale_ = std::max(1, std::min(height / 80, by_width));
  const int margin = 2 * scale_;
  const int pad = scale_;
  counter_ =
      Rect{margin + pad, margin + pad, kCounterDigits * kCellColumns * scale_, kCellRows * scale_};
  clock_ = Rect{counter_.x, counter_.y + counter_.height, kClockChars * kCellColumns * scale_,
                kCellRows * scale_};
  text_background_ =
      Rect{margin, margin, clock_.width + 2 * pad, counter_.height + clock_.height + 2 * pad};
}

void TestPattern::render(I420Frame& frame, std::uint64_t frame_number,
                         std::chrono::system_clock::time_point wall_clock) {
  if (frame.width != width_ || frame.height != height_ ||
      frame.y.size() != static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_)) {
    frame.allocate(width_, height_);
  }
  drawBackground(frame, frame_number);
  drawBox(frame, frame_number);

  // Text on a black plate so it stays readable over any background.
  const Rect& b = text_background_;
  fillRect(frame.y, width_, height_, b.x, b.y, b.x + b.width, b.y + b.height, kTextBackgroundLuma);
  fillRect(frame.u, width_ / 2, height_ / 2, b.x / 2, b.y / 2, (b.x + b.width + 1) / 2,
           (b.y + b.height + 1) / 2, kNeutralChroma);
  fillRect(frame.v, width_ / 2, height_ / 2, b.x / 2, b.y / 2, (b.x + b.width + 1) / 2,
           (b.y + b.height + 1) / 2, kNeutralChroma);

  char counter[32];
  std::snprintf(counter, sizeof counter, "%08llu",
                static_cast<unsigned long long>(frame_number % 100'000'000ULL));
  drawText(frame, counter_, counter);

  // Wall clock of the capture instant, UTC, millisecond resolution.
  constexpr std::int64_t kMsPerDay = 86'400'000;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(wall_clock.time_since_epoch()).count();
  const std::int64_t of_day = ((ms % kMsPerDay) + kMsPerDay) % kMsPerDay;
  char clock[32];
  std::snprintf(clock, sizeof clock, "%02d:%02d:%02d.%03d", static_cast<int>(of_day / 3'600'000),
                static_cast<int>(of_day / 60'000 % 60), static_cast<int>(of_day / 1000 % 60),
                static_cast<int>(of_day % 1000));
  drawText(frame, clock_, clock);
}

void TestPattern::drawBackground(I420Frame& frame, std::uint64_t frame_number) {
  // Upper two thirds: colour bars scrolling left. Lower third: a grey ramp sliding left under
  // fresh grain every frame; like a camera's sensor noise the grain cannot be predicted, so the
  // encoders spend the configured bitrate (as with real video) instead of idling on flat colour.
  // Each is the same on every row: one row is computed, then copied (or copied with grain).
  const int bars_bottom = (height_ * 2 / 3) & ~1;
  const auto w = static_cast<std::uint64_t>(width_);
  const auto bars_shift = static_cast<int>(frame_number * kBarsSpeed % w);
  const auto ramp_shift = static_cast<int>(frame_number * kRampSpeed % w);
  const auto width = static_cast<std::size_t>(width_);
  const std::size_t chroma_width = width / 2;

  // The bars' first luma and chroma rows, then copies.
  for (int x = 0; x < width_; ++x) {
    const int shifted = (x + bars_shift) % width_;
    const Yuv& bar = kBars[static_cast<std::size_t>(shifted * 8 / width_)];
    frame.y[static_cast<std::size_t>(x)] = bar.y;
    if (x % 2 == 0) {
      frame.u[static_cast<std::size_t>(x / 2)] = bar.u;
      frame.v[static_cast<std::size_t>(x / 2)] = bar.v;
    }
  }
  for (int row = 1; row < bars_bottom; ++row) {
    std::copy_n(frame.y.begin(), width, frame.y.begin() + static_cast<std::ptrdiff_t>(row * width));
  }
  for (int row = 1; row < bars_bottom / 2; ++row) {
    const auto offset = static_cast<std::ptrdiff_t>(row * chroma_width);
    std::copy_n(frame.u.begin(), chroma_width, frame.u.begin() + offset);
    std::copy_n(frame.v.begin(), chroma_width, frame.v.begin() + offset);
  }
  const auto chroma_ramp = static_cast<std::ptrdiff_t>(bars_bottom / 2 * chroma_width);
  std::fill(frame.u.begin() + chroma_ramp, frame.u.end(), kNeutralChroma);
  std::fill(frame.v.begin() + chroma_ramp, frame.v.end(), kNeutralChroma);

  // The ramp row, then each row of the ramp region with grain added. The grain comes from
  // Knuth's MMIX linear congruential generator seeded by the frame number (deterministic
  // pictures for tests), eight 7-bit draws from each step's top 56 bits.
  for (int x = 0; x < width_; ++x) {
    ramp_row_[static_cast<std::size_t>(x)] =
        static_cast<std::int16_t>(16 + (x + ramp_shift) % width_ * 219 / width_);
  }
  std::uint64_t noise = frame_number * 0x9e3779b97f4a7c15ULL + 1;
  for (int row = bars_bottom; row < height_; ++row) {
    std::uint8_t* line = frame.y.data() + static_cast<std::size_t>(row) * width;
    for (int x = 0; x < width_; x += 8) {
      noise = noise * 6364136223846793005ULL + 1442695040888963407ULL;
      std::uint64_t bits = noise >> 8;
      const int run = std::min(8, width_ - x);
      for (int i = 0; i < run; ++i, bits >>= 7) {
        const int grain =
            static_cast<int>((bits & 0x7f) * (2 * kGrainAmplitude + 1) >> 7) - kGrainAmplitude;
        const int value = ramp_row_[static_cast<std::size_t>(x + i)] + grain;
        line[x + i] = static_cast<std::uint8_t>(std::clamp(value, 16, 235));
      }
    }
  }
}

void TestPattern::drawBox(I420Frame& frame, std::uint64_t frame_number) const {
  const int size = std::max(2, (height_ / 6) & ~1);
  const int x = bounce(frame_number * kBoxSpeedX, width_ - size) & ~1;
  const int y = bounce(frame_number * kBoxSpeedY, height_ - size) & ~1;
  fillRect(frame.y, width_, height_, x, y, x + size, y + size, kBoxColour.y);
  fillRect(frame.u, width_ / 2, height_ / 2, x / 2, y / 2, (x + size) / 2, (y + size) / 2,
           kBoxColour.u);
  fillRect(frame.v, width_ / 2, height_ / 2, x / 2, y / 2, (x + size) / 2, (y + size) / 2,
           kBoxColour.v);
}

void TestPattern::drawText(I420Frame& frame, Rect area, const char* text) const {
  // Each glyph sits one font pixel below the top of its cell; its lit font pixels become
  // scale_ x scale_ squares of white luma (the plate under it is already neutral grey chroma).
  for (int i = 0; text[i] != '\0'; ++i) {
    const auto glyph = glyphFor(text[i]);
    if (!glyph) continue;
    const int cell_x = area.x + i * kCellColumns * scale_;
    const int cell_y = area.y + scale_;
    for (int r = 0; r < kGlyphRows; ++r) {
      for (int c = 0; c < kGlyphColumns; ++c) {
        if (((*glyph)[static_cast<std::size_t>(r)] >> (kGlyphColumns - 1 - c) & 1) == 0) continue;
        const int px = cell_x + c * scale_;
        const int py = cell_y + r * scale_;
        fillRect(frame.y, width_, height_, px, py, px + scale_, py + scale_, kTextLuma);
      }
    }
  }
}

}  // namespace throng::media
