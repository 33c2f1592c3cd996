// Validation of the test source's options (test_source_options.h).
#include "media/test_source_options.h"

#include <string>

namespace throng::media {
namespace {

std::string range(long long low, long long high) {
  return std::to_string(low) + ".." + std::to_string(high);
}

}  // namespace

Status validateTestSourceOptions(const TestSourceOptions& o) {
  if (o.codec != VideoCodec::kVp8 && o.codec != VideoCodec::kH264) {
    return makeError("codec: must be VP8 or H264");
  }
  // Even sizes: 4:2:0 chroma planes are exactly half the picture in each direction.
  if (o.width % 2 != 0 || o.width < kMinDimension || o.width > kMaxWidth) {
    return makeError("width: must be even, " + range(kMinDimension, kMaxWidth));
  }
  if (o.height % 2 != 0 || o.height < kMinDimension || o.height > kMaxHeight) {
    return makeError("height: must be even, " + range(kMinDimension, kMaxHeight));
  }
  if (o.fps < 1 || o.fps > kMaxFps) return makeError("fps: must be " + range(1, kMaxFps));
  if (o.video_bitrate_kbps < kMinVideoBitrateKbps || o.video_bitrate_kbps > kMaxVideoBitrateKbps) {
    return makeError("video_bitrate_kbps: must be " +
                     range(kMinVideoBitrateKbps, kMaxVideoBitrateKbps));
  }
  if (o.keyframe_interval_ms < kMinKeyframeIntervalMs ||
      o.keyframe_interval_ms > kMaxKeyframeIntervalMs) {
    return makeError("keyframe_interval_ms: must be " +
                     range(kMinKeyframeIntervalMs, kMaxKeyframeIntervalMs));
  }
  if (o.audio_bitrate_kbps < kMinAudioBitrateKbps || o.audio_bitrate_kbps > kMaxAudioBitrateKbps) {
    return makeError("audio_bitrate_kbps: must be " +
                     range(kMinAudioBitrateKbps, kMaxAudioBitrateKbps));
  }
  if (o.max_payload_bytes < kMinPayloadBytes || o.max_payload_bytes > kMaxPayloadBytes) {
    return makeError("max_payload_bytes: must be " + range(kMinPayloadBytes, kMaxPayloadBytes));
  }
  return {};
}

std::string_view videoCodecName(VideoCodec codec) {
  return codec == VideoCodec::kH264 ? "H264" : "VP8";
}

}  // namespace throng::media
