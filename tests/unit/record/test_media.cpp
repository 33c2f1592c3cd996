// Encodes the test picture and tone into RTP packets (test_media.h).
#include "test_media.h"

#include "media/h264_encoder.h"
#include "media/h264_packetizer.h"
#include "media/opus_encoder.h"
#include "media/test_pattern.h"
#include "media/tone.h"
#include "media/vp8_encoder.h"
#include "media/vp8_packetizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

namespace throng::record::testing {
namespace {

constexpr std::size_t kMaxPayload = 1200;
constexpr std::uint8_t kVideoPayloadType = 96;
constexpr std::uint8_t kAudioPayloadType = 111;
constexpr std::uint32_t kVideoSsrc = 0x11223344;
constexpr std::uint32_t kAudioSsrc = 0x55667788;
const std::chrono::system_clock::time_point kWallClock{std::chrono::seconds(1'714'998'896)};

}  // namespace

std::vector<std::uint8_t> rtpPacket(std::uint8_t payload_type, bool marker, std::uint16_t sequence,
                                    std::uint32_t timestamp, std::uint32_t ssrc,
                                    const std::string& payload) {
  std::vector<std::uint8_t> p(12 + payload.size());
  p[0] = 0x80;  // version 2
  p[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | payload_type);
  p[2] = static_cast<std::uint8_t>(sequence >> 8);
  p[3] = static_cast<std::uint8_t>(sequence);
  for (int i = 0; i < 4; ++i) {
    p[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(timestamp >> (24 - 8 * i));
    p[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  }
  std::copy(payload.begin(), payload.end(), p.begin() + 12);
  return p;
}

TestMedia makeTestMedia(const TestMediaOptions& o) {
  TestMedia out;
  RecordedTrack video;
  video.kind = "video";
  video.payload_type = kVideoPayloadType;
  video.clock_rate = media::kVideoClockRate;
  RecordedTrack audio;
  audio.kind = "audio";
  audio.codec = "opus";
  audio.payload_type = kAudioPayloadType;
  audio.clock_rate = media::kOpusSampleRate;
  audio.channels = 2;
  audio.fmtp = "minptime=10;useinbandfec=1";

  std::unique_ptr<media::VideoEncoder> encoder;
  if (o.h264) {
    media::H264EncoderOptions h;
    h.width = o.width;
    h.height = o.height;
    h.fps = o.fps;
    h.bitrate_kbps = 400;
    h.keyframe_interval_ms = o.keyframe_interval_ms;
    auto made = media::H264Encoder::create(h);
    EXPECT_TRUE(made.ok());
    video.codec = "H264";
    video.fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" +
                 (*made)->profileLevelId();
    encoder = std::move(made).value();
  } else {
    media::Vp8EncoderOptions v;
    v.width = o.width;
    v.height = o.height;
    v.fps = o.fps;
    v.bitrate_kbps = 400;
    v.keyframe_interval_ms = o.keyframe_interval_ms;
    auto made = media::Vp8Encoder::create(v);
    EXPECT_TRUE(made.ok());
    video.codec = "VP8";
    encoder = std::move(made).value();
  }
  out.tracks = {video, audio};

  media::TestPattern pattern(o.width, o.height);
  media::I420Frame frame;
  media::Vp8Packetizer vp8(kMaxPayload, 1234);
  media::H264Packetizer h264(kMaxPayload);
  const int frames = static_cast<int>(o.length.count() * o.fps / 1000);
  const int keyframe_every = media::keyframeIntervalFrames(o.keyframe_interval_ms, o.fps);
  std::uint16_t video_sequence = o.first_sequence;
  std::vector<TestPacket> video_packets;
  for (int i = 0; i < frames; ++i) {
    const auto at = std::chrono::microseconds(static_cast<std::int64_t>(i) * 1'000'000 / o.fps);
    pattern.render(
        frame, static_cast<std::uint64_t>(i),
        kWallClock + std::chrono::duration_cast<std::chrono::system_clock::duration>(at));
    const auto timestamp = static_cast<std::uint32_t>(
        o.first_video_timestamp + static_cast<std::uint32_t>(i) *
                                      (media::kVideoClockRate / static_cast<std::uint32_t>(o.fps)));
    auto encoded = encoder->encode(frame, i % keyframe_every == 0, timestamp);
    EXPECT_TRUE(encoded.has_value());
    if (!encoded) continue;
    ++out.video_frames;
    if (encoded->keyframe) ++out.keyframes;
    std::vector<media::Payload> payloads;
    if (o.h264) {
      h264.packetize(*encoded, payloads);
    } else {
      vp8.packetize(*encoded, payloads);
    }
    for (const media::Payload& p : payloads) {
      TestPacket& packet = video_packets.emplace_back();
      packet.track = 0;
      packet.rtp =
          rtpPacket(kVideoPayloadType, p.marker, video_sequence++, timestamp, kVideoSsrc, p.bytes);
      packet.at = at;
    }
  }

  auto opus = media::OpusEncoder::create({});
  EXPECT_TRUE(opus.ok());
  media::Tone tone;
  std::array<std::int16_t, media::kOpusFrameSamples * media::kOpusChannels> pcm{};
  std::vector<TestPacket> audio_packets;
  const int blocks = static_cast<int>(o.length.count() / 20);
  std::uint16_t audio_sequence = static_cast<std::uint16_t>(o.first_sequence + 7);
  for (int j = 0; j < blocks; ++j) {
    const auto at = std::chrono::microseconds(static_cast<std::int64_t>(j) * 20'000);
    tone.render(pcm,
                kWallClock + std::chrono::duration_cast<std::chrono::system_clock::duration>(at));
    auto packet = (*opus)->encode(pcm);
    EXPECT_TRUE(packet.has_value());
    if (!packet) continue;
    ++out.audio_frames;
    TestPacket& p = audio_packets.emplace_back();
    p.track = 1;
    p.rtp = rtpPacket(
        kAudioPayloadType, false, audio_sequence++,
        o.first_audio_timestamp + static_cast<std::uint32_t>(j) * media::kOpusFrameSamples,
        kAudioSsrc, *packet);
    p.at = at;
  }

  out.packets.reserve(video_packets.size() + audio_packets.size());
  std::merge(video_packets.begin(), video_packets.end(), audio_packets.begin(), audio_packets.end(),
             std::back_inserter(out.packets),
             [](const TestPacket& a, const TestPacket& b) { return a.at < b.at; });
  return out;
}

}  // namespace throng::record::testing
