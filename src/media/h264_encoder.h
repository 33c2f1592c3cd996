// H264Encoder: x264 set for live, low-latency delivery to browsers: constrained baseline (no
// B-frames, CAVLC), zero-latency tuning (no lookahead: one access unit out per frame in), SPS
// and PPS before every IDR so that a viewer joining at any keyframe can decode.
#pragma once

#include "base/result.h"
#include "media/video_encoder.h"

#include <memory>
#include <string>

namespace throng::media {

struct H264EncoderOptions {
  int width = 1280;
  int height = 720;
  int fps = 30;
  int bitrate_kbps = 2500;
  int keyframe_interval_ms = 1000;
  // x264 preset. At 720p30 2.5 Mbps (media_tests EncodeCost): ultrafast 3.2 ms/frame (10% of a
  // core), superfast 4.4 ms, veryfast 6.6 ms. A test picture needs no better compression.
  std::string preset = "ultrafast";
  // Rate control: ABR at bitrate_kbps with a VBV of this length capping bursts.
  int vbv_buffer_ms = 1000;
  int threads = 1;  // sliced threads (zerolatency) when > 1; 2 saved nothing at 720p
};

class H264Encoder final : public VideoEncoder {
 public:
  // Fails if x264 rejects the configuration (unknown preset, size, ...).
  static Result<std::unique_ptr<H264Encoder>> create(const H264EncoderOptions& options);
  ~H264Encoder() override;

  // out.data is one access unit in Annex B form; an IDR's begins with SPS and PPS.
  bool encodeInto(const I420Frame& frame, bool force_keyframe, std::uint32_t rtp_timestamp,
                  EncodedFrame& out) override;

  // The SDP profile-level-id (RFC 6184 §8.1) read from the encoder's own SPS, e.g. "42c01f".
  std::string profileLevelId() const { return profile_level_id_; }
  const H264EncoderOptions& options() const { return options_; }

 private:
  struct Codec;  // x264 state, kept out of this header
  H264Encoder(const H264EncoderOptions& options, std::unique_ptr<Codec> codec,
              std::string profile_level_id);

  H264EncoderOptions options_;
  std::unique_ptr<Codec> codec_;
  std::string profile_level_id_;
};

}  // namespace throng::media
