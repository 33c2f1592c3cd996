// Real media for the recorder's tests: the test picture and tone encoded with the project's own
// encoders (VP8 or H.264, and Opus), cut by its packetizers and wrapped in RTP headers written
// here (src/rtc is out of the recorder's reach), with the arrival times a live would have.
#pragma once

#include "record/recorded_track.h"

#include <chrono>
#include <cstdint>
#include <vector>

namespace throng::record::testing {

struct TestPacket {
  int track = 0;  // 0 video, 1 audio
  std::vector<std::uint8_t> rtp;
  std::chrono::microseconds at{0};  // since the first packet
};

struct TestMedia {
  std::vector<RecordedTrack> tracks;  // video, audio
  std::vector<TestPacket> packets;    // in arrival order
  int video_frames = 0;
  int keyframes = 0;
  int audio_frames = 0;
};

struct TestMediaOptions {
  bool h264 = false;
  int width = 320;
  int height = 240;
  int fps = 30;
  std::chrono::milliseconds length{2000};
  int keyframe_interval_ms = 1000;
  // First sequence numbers and timestamps close to the wrap, so that readers must unwrap.
  std::uint16_t first_sequence = 65'500;
  std::uint32_t first_video_timestamp = 0xffff'0000;
  std::uint32_t first_audio_timestamp = 0xfffe'0000;
};

TestMedia makeTestMedia(const TestMediaOptions& options);

// A 12-byte RTP header (RFC 3550 §5.1) and `payload`.
std::vector<std::uint8_t> rtpPacket(std::uint8_t payload_type, bool marker, std::uint16_t sequence,
                                    std::uint32_t timestamp, std::uint32_t ssrc,
                                    const std::string& payload);

}  // namespace throng::record::testing
