// Tone: the test source's sound, a 440 Hz sine with a short 880 Hz beep at the start of each
// second of the wall clock. The beep lands on the frame whose burned-in clock reads .000, so
// audio/video sync can be checked by ear and eye in any player.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

namespace throng::media {

class Tone {
 public:
  static constexpr double kFrequencyHz = 440.0;
  static constexpr double kBeepFrequencyHz = 880.0;
  static constexpr std::chrono::milliseconds kBeepLength{100};
  // -10 dBFS: clearly audible, far from clipping.
  static constexpr double kAmplitude = 0.316 * 32767.0;

  explicit Tone(int sample_rate = 48'000) : sample_rate_(sample_rate) {}

  // Fills `block` (mono samples) with the sound starting at `block_start`. The sine's phase
  // continues from the previous block, so consecutive blocks join without clicks.
  void render(std::span<std::int16_t> block, std::chrono::system_clock::time_point block_start);

 private:
  int sample_rate_;
  double phase_ = 0;       // of the 440 Hz sine, in cycles [0, 1)
  double beep_phase_ = 0;  // of the 880 Hz beep, in cycles [0, 1)
};

}  // namespace throng::media
