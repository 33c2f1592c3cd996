// Payload: what the test source hands on — RTP payloads in send order, with what the caller
// needs to write each packet's RTP header (timestamp, marker). SSRC, sequence numbers and
// payload types belong to the RTP sender that uses them, not to the source.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace throng::media {

enum class Track { kVideo, kAudio };

struct Payload {
  Track track = Track::kVideo;
  std::string bytes;                // one RTP payload
  std::uint32_t rtp_timestamp = 0;  // 90 kHz video, 48 kHz audio
  // Video: the last packet of a frame (RFC 7741 §4.1, RFC 6184 §5.1). Audio: always false
  // (RFC 7587 §4.1 leaves it for the first packet after silence; the tone is never silent).
  bool marker = false;
  bool keyframe_start = false;  // first packet of a keyframe (video)
};

// One encoded frame (video) or 20 ms block (audio), cut into payloads in send order.
struct PayloadBatch {
  Track track = Track::kVideo;
  bool keyframe = false;
  std::vector<Payload> payloads;
  std::chrono::steady_clock::time_point captured;  // the capture instant it was made for
};

}  // namespace throng::media
