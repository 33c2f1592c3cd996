// VideoEncoder: what the test source needs from a video encoder (VP8 or H.264), and the encoded
// frame it gets back. Encoders are used on one thread (the test source's).
#pragma once

#include "media/i420_frame.h"

#include <cstdint>
#include <optional>
#include <string>

namespace throng::media {

// RTP video clock rate: 90 kHz for every video payload format (RFC 7741 §6.1, RFC 6184 §8.1).
inline constexpr std::uint32_t kVideoClockRate = 90'000;

struct EncodedFrame {
  std::string data;  // VP8: one frame (RFC 6386); H.264: one access unit, Annex B byte stream
  bool keyframe = false;
  std::uint32_t rtp_timestamp = 0;  // 90 kHz
};

class VideoEncoder {
 public:
  virtual ~VideoEncoder() = default;
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  // Encodes `frame` (which must have the encoder's size) captured at `rtp_timestamp` into
  // `out`, reusing out.data's capacity. Returns false if the encoder produced nothing (an
  // error; the encoders here are set never to drop frames).
  virtual bool encodeInto(const I420Frame& frame, bool force_keyframe, std::uint32_t rtp_timestamp,
                          EncodedFrame& out) = 0;

  std::optional<EncodedFrame> encode(const I420Frame& frame, bool force_keyframe,
                                     std::uint32_t rtp_timestamp) {
    EncodedFrame out;
    if (!encodeInto(frame, force_keyframe, rtp_timestamp, out)) return std::nullopt;
    return out;
  }

  // Timestamps from the call count: 0, 90000/fps, 2 * 90000/fps, ...
  std::optional<EncodedFrame> encode(const I420Frame& frame, bool force_keyframe) {
    const auto timestamp = static_cast<std::uint32_t>(calls_ * kVideoClockRate / fps_);
    ++calls_;
    return encode(frame, force_keyframe, timestamp);
  }

 protected:
  explicit VideoEncoder(int fps) : fps_(static_cast<std::uint64_t>(fps)) {}

  // The encoder's presentation time (90 kHz, 0 at the first frame) for a frame captured at
  // `rtp_timestamp`: the RTP timestamps unwrapped past 2^32, so that rate control sees the
  // real spacing of frames, skipped capture instants included. Call once per frame.
  std::int64_t presentationTime(std::uint32_t rtp_timestamp) {
    if (!first_frame_) pts_ += static_cast<std::uint32_t>(rtp_timestamp - last_timestamp_);
    first_frame_ = false;
    last_timestamp_ = rtp_timestamp;
    return pts_;
  }

 private:
  std::uint64_t fps_;
  std::int64_t pts_ = 0;
  std::uint32_t last_timestamp_ = 0;
  bool first_frame_ = true;
  std::uint64_t calls_ = 0;
};

// Frames between forced keyframes for `interval_ms` at `fps`: at least 1.
inline int keyframeIntervalFrames(int interval_ms, int fps) {
  const int frames = static_cast<int>((static_cast<long long>(interval_ms) * fps + 500) / 1000);
  return frames < 1 ? 1 : frames;
}

}  // namespace throng::media
