// The test tone (tone.h).
#include "media/tone.h"

#include <cmath>
#include <numbers>

namespace throng::media {

void Tone::render(std::span<std::int16_t> block,
                  std::chrono::system_clock::time_point block_start) {
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  const std::int64_t start_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(block_start.time_since_epoch()).count();
  const std::int64_t start_in_second = ((start_ns % kNsPerSecond) + kNsPerSecond) % kNsPerSecond;
  const std::int64_t beep_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kBeepLength).count();
  const double step = kFrequencyHz / sample_rate_;
  const double beep_step = kBeepFrequencyHz / sample_rate_;

  for (std::size_t i = 0; i < block.size(); ++i) {
    const std::int64_t offset_ns = static_cast<std::int64_t>(i) * kNsPerSecond / sample_rate_;
    const bool beeping = (start_in_second + offset_ns) % kNsPerSecond < beep_ns;
    const double cycle = beeping ? beep_phase_ : phase_;
    block[i] = static_cast<std::int16_t>(
        std::lround(kAmplitude * std::sin(2.0 * std::numbers::pi * cycle)));
    phase_ += step;
    if (phase_ >= 1.0) phase_ -= 1.0;
    beep_phase_ += beep_step;
    if (beep_phase_ >= 1.0) beep_phase_ -= 1.0;
  }
}

}  // namespace throng::media
