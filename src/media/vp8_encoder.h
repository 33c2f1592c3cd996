// Vp8Encoder: libvpx VP8 in its real-time mode, set up the way a WebRTC sender uses it (one
// pass CBR, no lag, error resilient, no frame dropping) so that browsers decode it as if it came
// from a camera.
#pragma once

#include "base/result.h"
#include "media/video_encoder.h"

#include <memory>

namespace throng::media {

struct Vp8EncoderOptions {
  int width = 1280;
  int height = 720;
  int fps = 30;
  int bitrate_kbps = 2500;
  int keyframe_interval_ms = 1000;
  // libvpx VP8 speed, -16..16. Negative: this fixed speed; positive: libvpx adapts the speed to
  // the deadline, which here cost twice as much. Measured at 720p30 2.5 Mbps (media_tests
  // EncodeCost): -6 (WebRTC's desktop setting) 6.6 ms/frame, -8 4.9 ms (15% of a core), faster
  // settings no cheaper; +8 11 ms.
  int cpu_used = -8;
  // Encoder threads. One: a second thread cut wall time by a quarter but cost 40% more CPU, and
  // on a busy two-core machine libvpx's spinning workers sometimes cost 6-10x.
  int threads = 1;
};

class Vp8Encoder final : public VideoEncoder {
 public:
  // Fails if libvpx rejects the configuration.
  static Result<std::unique_ptr<Vp8Encoder>> create(const Vp8EncoderOptions& options);
  ~Vp8Encoder() override;

  bool encodeInto(const I420Frame& frame, bool force_keyframe, std::uint32_t rtp_timestamp,
                  EncodedFrame& out) override;

  const Vp8EncoderOptions& options() const { return options_; }

 private:
  struct Codec;  // libvpx state, kept out of this header
  Vp8Encoder(const Vp8EncoderOptions& options, std::unique_ptr<Codec> codec);

  Vp8EncoderOptions options_;
  std::unique_ptr<Codec> codec_;
};

}  // namespace throng::media
