// RecordedTrack: what a recording needs to know about one track of a live, so that the packets
// can be decoded later without the SDP they were negotiated in.
#pragma once

#include <cstdint>
#include <string>

namespace throng::record {

struct RecordedTrack {
  std::string kind;   // "video" or "audio"
  std::string codec;  // the SDP encoding name: "VP8", "H264", "opus"
  int payload_type = 0;
  std::uint32_t clock_rate = 0;  // RTP clock: 90000 for video, 48000 for Opus
  int channels = 0;              // audio only (SDP says 2 for every Opus stream, RFC 7587 §7)
  std::string fmtp;              // the SDP a=fmtp parameters, e.g. sprop-parameter-sets for H.264
  std::string rid;               // one simulcast encoding of the video (RFC 8851); empty: none
};

}  // namespace throng::record
