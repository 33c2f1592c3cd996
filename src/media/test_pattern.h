// TestPattern: draws the built-in test source's picture. Colour bars scroll, a grainy grey
// ramp slides and a box bounces, so that motion (and a frozen stream) is obvious; the frame
// number and the capture wall clock (UTC, HH:MM:SS.mmm) are burned in with large digits, so that
// latency and dropped frames can be read off a screenshot of any player.
#pragma once

#include "media/i420_frame.h"

#include <chrono>
#include <cstdint>
#include <vector>

namespace throng::media {

class TestPattern {
 public:
  // Frame number digits shown; larger numbers show their last kCounterDigits digits.
  static constexpr int kCounterDigits = 8;
  static constexpr int kClockChars = 12;  // "HH:MM:SS.mmm"

  struct Rect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
  };

  // Precondition: width and height even and within 16..3840 x 16..2160
  // (validateTestSourceOptions checks them before a TestSource builds one).
  TestPattern(int width, int height);

  // Draws frame `frame_number` captured at `wall_clock` into `frame`, sizing it first (which
  // allocates only the first time).
  void render(I420Frame& frame, std::uint64_t frame_number,
              std::chrono::system_clock::time_point wall_clock);

  // Where the frame counter and the clock are drawn: character cells of kCellColumns x
  // kCellRows font pixels, each font pixel textScale() x textScale() picture pixels.
  Rect frameCounterArea() const { return counter_; }
  Rect clockArea() const { return clock_; }
  int textScale() const { return scale_; }

 private:
  void drawBackground(I420Frame& frame, std::uint64_t frame_number);
  void drawBox(I420Frame& frame, std::uint64_t frame_number) const;
  void drawText(I420Frame& frame, Rect area, const char* text) const;

  int width_;
  int height_;
  int scale_;
  Rect counter_;
  Rect clock_;
  Rect text_background_;
  std::vector<std::int16_t> ramp_row_;  // one row of the ramp, reused every frame
};

}  // namespace throng::media
