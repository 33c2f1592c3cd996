// The test source's options and their bounds, checked when the configuration is read.
#pragma once

#include "base/result.h"

#include <cstddef>
#include <string_view>

namespace throng::media {

enum class VideoCodec { kVp8, kH264 };

struct TestSourceOptions {
  VideoCodec codec = VideoCodec::kVp8;
  int width = 1280;
  int height = 720;
  int fps = 30;
  int video_bitrate_kbps = 2500;
  int keyframe_interval_ms = 1000;
  int audio_bitrate_kbps = 48;
  std::size_t max_payload_bytes = 1200;
};

// Bounds, each with its reason.
inline constexpr int kMinDimension = 16;  // libvpx and x264 need at least a macroblock
inline constexpr int kMaxWidth = 3840;    // 4K UHD: beyond it, no 2-core server keeps up
inline constexpr int kMaxHeight = 2160;
inline constexpr int kMaxFps = 60;
inline constexpr int kMinVideoBitrateKbps = 50;
inline constexpr int kMaxVideoBitrateKbps = 50'000;
inline constexpr int kMinKeyframeIntervalMs = 100;
inline constexpr int kMaxKeyframeIntervalMs = 60'000;
inline constexpr int kMinAudioBitrateKbps = 6;    // libopus's floor
inline constexpr int kMaxAudioBitrateKbps = 256;  // a 20 ms packet stays under 1 kB
// Smallest payload: an Opus packet at the bitrate floor and a VP8 descriptor plus data; largest:
// a jumbo frame's UDP payload less IP/UDP/RTP/SRTP headers.
inline constexpr std::size_t kMinPayloadBytes = 100;
inline constexpr std::size_t kMaxPayloadBytes = 8900;

// Fails naming the first bad field, e.g. "width: must be even, 16..3840".
Status validateTestSourceOptions(const TestSourceOptions& options);

// "VP8" / "H264": the SDP encoding names (RFC 7741 §6.1, RFC 6184 §8.1).
std::string_view videoCodecName(VideoCodec codec);

}  // namespace throng::media
