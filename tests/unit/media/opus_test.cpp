// Opus and the tone: 20 ms of tone becomes one Opus packet that decodes back to 960 samples,
// and the tone beeps at whole seconds.
#include "media/opus_encoder.h"
#include "media/tone.h"

#include <gtest/gtest.h>
#include <opus.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>

namespace throng::media {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

const system_clock::time_point kWholeSecond{std::chrono::seconds(1'714'998'896)};

int zeroCrossings(std::span<const std::int16_t> block) {
  int crossings = 0;
  for (std::size_t i = 1; i < block.size(); ++i) {
    if ((block[i - 1] < 0) != (block[i] < 0)) ++crossings;
  }
  return crossings;
}

TEST(Tone, BeepsAtWholeSecondsOfTheWallClock) {
  Tone tone;
  std::array<std::int16_t, kOpusFrameSamples> block{};
  // 20 ms at 880 Hz: 35.2 zero crossings; at 440 Hz: 17.6.
  tone.render(block, kWholeSecond);
  EXPECT_NEAR(zeroCrossings(block), 35, 1);
  tone.render(block, kWholeSecond + milliseconds(500));
  EXPECT_NEAR(zeroCrossings(block), 18, 1);
  tone.render(block, kWholeSecond + milliseconds(90));  // the beep ends half way through
  EXPECT_GT(zeroCrossings(block), 18);
  EXPECT_LT(zeroCrossings(block), 35);
  const auto peak = *std::max_element(block.begin(), block.end());
  EXPECT_NEAR(peak, Tone::kAmplitude, 200);
}

TEST(Tone, ConsecutiveBlocksJoinSmoothly) {
  Tone tone;
  std::array<std::int16_t, 2 * kOpusFrameSamples> pair{};
  const auto start = kWholeSecond + milliseconds(300);
  tone.render(std::span(pair).first(kOpusFrameSamples), start);
  tone.render(std::span(pair).last(kOpusFrameSamples), start + milliseconds(20));
  // One 440 Hz sample step changes the value by at most 2*pi*440/48000 of the amplitude.
  const double max_step = Tone::kAmplitude * 2 * 3.1416 * 440 / 48000 + 1;
  for (std::size_t i = 1; i < pair.size(); ++i) {
    EXPECT_LE(std::abs(pair[i] - pair[i - 1]), max_step) << "sample " << i;
  }
}

struct DecoderFree {
  void operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }
};

TEST(OpusEncoder, TwentyMillisecondsOfToneDecodeTo960Samples) {
  auto encoder = OpusEncoder::create(OpusEncoderOptions{});
  ASSERT_TRUE(encoder.ok()) << encoder.error().message;
  int error = 0;
  std::unique_ptr<OpusDecoder, DecoderFree> decoder(opus_decoder_create(48000, 1, &error));
  ASSERT_EQ(error, OPUS_OK);

  Tone tone;
  std::array<std::int16_t, kOpusFrameSamples> pcm{};
  std::array<opus_int16, 5760> decoded{};  // 120 ms, the most one packet can hold
  std::size_t total_bytes = 0;
  for (int i = 0; i < 50; ++i) {
    tone.render(pcm, kWholeSecond + milliseconds(20 * i));
    auto packet = (*encoder)->encode(pcm);
    ASSERT_TRUE(packet.has_value());
    ASSERT_FALSE(packet->empty());
    total_bytes += packet->size();
    EXPECT_EQ(opus_packet_get_nb_samples(reinterpret_cast<const unsigned char*>(packet->data()),
                                         static_cast<opus_int32>(packet->size()), 48000),
              960);
    const int samples =
        opus_decode(decoder.get(), reinterpret_cast<const unsigned char*>(packet->data()),
                    static_cast<opus_int32>(packet->size()), decoded.data(),
                    static_cast<int>(decoded.size()), 0);
    EXPECT_EQ(samples, 960);
  }
  // About the 48 kbps asked for: 50 packets in one second.
  EXPECT_GT(total_bytes * 8, 30'000u);
  EXPECT_LT(total_bytes * 8, 70'000u);
}

TEST(OpusEncoder, RefusesBlocksOfTheWrongLength) {
  auto encoder = OpusEncoder::create(OpusEncoderOptions{});
  ASSERT_TRUE(encoder.ok());
  std::array<std::int16_t, kOpusFrameSamples + 1> pcm{};
  EXPECT_FALSE((*encoder)->encode(std::span(pcm)).has_value());
  EXPECT_FALSE((*encoder)->encode(std::span(pcm).first(480)).has_value());
}

TEST(OpusEncoder, PacketsStayUnderTheLimit) {
  OpusEncoderOptions options;
  options.bitrate_kbps = 256;
  options.max_packet_bytes = 100;
  auto encoder = OpusEncoder::create(options);
  ASSERT_TRUE(encoder.ok());
  Tone tone;
  std::array<std::int16_t, kOpusFrameSamples> pcm{};
  for (int i = 0; i < 10; ++i) {
    tone.render(pcm, kWholeSecond + milliseconds(20 * i));
    auto packet = (*encoder)->encode(pcm);
    ASSERT_TRUE(packet.has_value());
    EXPECT_LE(packet->size(), 100u);
  }
}

}  // namespace
}  // namespace throng::media
