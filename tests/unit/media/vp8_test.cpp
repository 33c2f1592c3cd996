// VP8: the encoder's frames decode with libvpx's own decoder, keyframes come when they should,
// and the RFC 7741 payloads reassemble into the exact frames.
#include "media/test_pattern.h"
#include "media/vp8_encoder.h"
#include "media/vp8_packetizer.h"

#include "ocr.h"

#include <gtest/gtest.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

namespace throng::media {
namespace {

const std::chrono::system_clock::time_point kWallClock{
    std::chrono::milliseconds(1'714'998'896'789)};

std::vector<EncodedFrame> encodeFrames(int count, int width, int height,
                                       const std::vector<int>& forced = {}) {
  Vp8EncoderOptions options;
  options.width = width;
  options.height = height;
  options.fps = 30;
  options.bitrate_kbps = 500;
  options.keyframe_interval_ms = 1000;
  auto encoder = Vp8Encoder::create(options);
  EXPECT_TRUE(encoder.ok()) << (encoder ? "" : encoder.error().message);
  TestPattern pattern(width, height);
  I420Frame frame;
  std::vector<EncodedFrame> out;
  for (int i = 0; i < count; ++i) {
    pattern.render(frame, static_cast<std::uint64_t>(i), kWallClock);
    const bool force = std::find(forced.begin(), forced.end(), i) != forced.end();
    auto encoded = (*encoder)->encode(frame, force);
    EXPECT_TRUE(encoded.has_value()) << "frame " << i;
    if (encoded) out.push_back(std::move(*encoded));
  }
  return out;
}

Vp8EncoderOptions smallOptions() {
  Vp8EncoderOptions options;
  options.width = 320;
  options.height = 240;
  options.bitrate_kbps = 500;
  return options;
}

class Vp8Decoder {
 public:
  Vp8Decoder() { ok_ = vpx_codec_dec_init(&ctx_, vpx_codec_vp8_dx(), nullptr, 0) == VPX_CODEC_OK; }
  ~Vp8Decoder() {
    if (ok_) vpx_codec_destroy(&ctx_);
  }
  // The decoded picture, or nullptr.
  const vpx_image_t* decode(const std::string& data) {
    if (!ok_) return nullptr;
    if (vpx_codec_decode(&ctx_, reinterpret_cast<const std::uint8_t*>(data.data()),
                         static_cast<unsigned>(data.size()), nullptr, 0) != VPX_CODEC_OK) {
      return nullptr;
    }
    vpx_codec_iter_t iter = nullptr;
    return vpx_codec_get_frame(&ctx_, &iter);
  }

 private:
  vpx_codec_ctx_t ctx_{};
  bool ok_ = false;
};

TEST(Vp8Encoder, FramesDecodeWithKeyframesAtLeastEverySecond) {
  const auto frames = encodeFrames(40, 320, 240, {35});
  ASSERT_EQ(frames.size(), 40u);
  Vp8Decoder decoder;
  TestPattern pattern(320, 240);
  int since_keyframe = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const vpx_image_t* image = decoder.decode(frames[i].data);
    ASSERT_NE(image, nullptr) << "frame " << i;
    EXPECT_EQ(image->d_w, 320u);
    EXPECT_EQ(image->d_h, 240u);
    // The VP8 frame tag's P bit agrees (RFC 6386 §9.1: 0 = keyframe).
    EXPECT_EQ((frames[i].data[0] & 1) == 0, frames[i].keyframe) << "frame " << i;
    since_keyframe = frames[i].keyframe ? 0 : since_keyframe + 1;
    EXPECT_LT(since_keyframe, 30) << "frame " << i;
    EXPECT_EQ(frames[i].rtp_timestamp, i * 3000);
    // The decoded picture still shows its frame number.
    char expected[16];
    std::snprintf(expected, sizeof expected, "%08zu", i);
    EXPECT_EQ(testing::readText(image->planes[VPX_PLANE_Y], image->stride[VPX_PLANE_Y],
                                pattern.frameCounterArea(), pattern.textScale(), 8),
              expected);
  }
  EXPECT_TRUE(frames[0].keyframe);
  EXPECT_TRUE(frames[35].keyframe);
  EXPECT_FALSE(frames[34].keyframe);
  EXPECT_FALSE(frames[36].keyframe);
}

TEST(Vp8Encoder, RejectsAFrameOfTheWrongSize) {
  auto encoder = Vp8Encoder::create(smallOptions());
  ASSERT_TRUE(encoder.ok());
  I420Frame frame;
  TestPattern(640, 360).render(frame, 0, kWallClock);
  EXPECT_FALSE((*encoder)->encode(frame, false).has_value());
}

TEST(Vp8Encoder, TimestampsFollowTheCaller) {
  auto encoder = Vp8Encoder::create(smallOptions());
  ASSERT_TRUE(encoder.ok());
  I420Frame frame;
  TestPattern pattern(320, 240);
  pattern.render(frame, 0, kWallClock);
  // Wrapping past 2^32 is fine: only differences matter.
  for (std::uint32_t ts : {0xffff'f000u, 0xffff'f000u + 3000u, 0xffff'f000u + 9000u}) {
    auto encoded = (*encoder)->encode(frame, false, ts);
    ASSERT_TRUE(encoded.has_value());
    EXPECT_EQ(encoded->rtp_timestamp, ts);
  }
}

// RFC 7741 §4.2 payload descriptor, read the way a receiver does.
struct Descriptor {
  bool start = false;
  int partition = 0;
  std::optional<int> picture_id;
  std::size_t size = 0;  // bytes before the VP8 payload
};

std::optional<Descriptor> parseDescriptor(const std::string& p) {
  if (p.empty()) return std::nullopt;
  Descriptor d;
  const auto b0 = static_cast<unsigned char>(p[0]);
  d.start = (b0 & 0x10) != 0;
  d.partition = b0 & 0x07;
  std::size_t at = 1;
  if ((b0 & 0x80) != 0) {  // X
    if (p.size() < 2) return std::nullopt;
    const auto x = static_cast<unsigned char>(p[1]);
    at = 2;
    if ((x & 0x80) != 0) {  // I
      if (p.size() < at + 1) return std::nullopt;
      const auto m = static_cast<unsigned char>(p[at]);
      if ((m & 0x80) != 0) {
        if (p.size() < at + 2) return std::nullopt;
        d.picture_id = ((m & 0x7f) << 8) | static_cast<unsigned char>(p[at + 1]);
        at += 2;
      } else {
        d.picture_id = m;
        at += 1;
      }
    }
    if ((x & 0x40) != 0) at += 1;  // L: TL0PICIDX
    if ((x & 0x30) != 0) at += 1;  // T or K: TID/Y/KEYIDX
  }
  if (p.size() <= at) return std::nullopt;  // a payload carries at least one byte
  d.size = at;
  return d;
}

TEST(Vp8Packetizer, PayloadsReassembleIntoTheFrames) {
  const auto frames = encodeFrames(12, 320, 240);
  constexpr std::size_t kMax = 300;
  Vp8Packetizer packetizer(kMax, 0x7ffe);  // wraps after two frames
  int expected_id = 0x7ffe;
  for (const EncodedFrame& frame : frames) {
    std::vector<Payload> payloads;
    packetizer.packetize(frame, payloads);
    ASSERT_FALSE(payloads.empty());
    std::string reassembled;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      const Payload& p = payloads[i];
      EXPECT_LE(p.bytes.size(), kMax);
      EXPECT_EQ(p.track, Track::kVideo);
      EXPECT_EQ(p.rtp_timestamp, frame.rtp_timestamp);
      EXPECT_EQ(p.marker, i + 1 == payloads.size());
      EXPECT_EQ(p.keyframe_start, i == 0 && frame.keyframe);
      auto d = parseDescriptor(p.bytes);
      ASSERT_TRUE(d.has_value());
      EXPECT_EQ(d->start, i == 0);
      EXPECT_EQ(d->partition, 0);
      ASSERT_TRUE(d->picture_id.has_value());
      EXPECT_EQ(*d->picture_id, expected_id);
      EXPECT_EQ(d->size, Vp8Packetizer::kDescriptorBytes);
      reassembled += p.bytes.substr(d->size);
    }
    EXPECT_EQ(reassembled, frame.data);
    expected_id = (expected_id + 1) & 0x7fff;
  }
  EXPECT_EQ(packetizer.nextPictureId(), expected_id);
}

TEST(Vp8Packetizer, PiecesAreEvenAndBounded) {
  Vp8Packetizer packetizer(104);  // 100 bytes of frame per payload
  EncodedFrame frame;
  frame.data.assign(201, 'x');
  std::vector<Payload> payloads;
  packetizer.packetize(frame, payloads);
  ASSERT_EQ(payloads.size(), 3u);
  EXPECT_EQ(payloads[0].bytes.size(), 4u + 67u);
  EXPECT_EQ(payloads[1].bytes.size(), 4u + 67u);
  EXPECT_EQ(payloads[2].bytes.size(), 4u + 67u);

  frame.data.assign(100, 'x');
  payloads.clear();
  packetizer.packetize(frame, payloads);
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_EQ(payloads[0].bytes.size(), 104u);

  frame.data.clear();
  payloads.clear();
  packetizer.packetize(frame, payloads);
  EXPECT_TRUE(payloads.empty());
}

}  // namespace
}  // namespace throng::media
