// H264Packetizer: cuts H.264 access units (Annex B) into RTP payloads in packetization-mode 1
// (RFC 6184 §6.3): SPS and PPS together in one STAP-A (§5.7.1), other NAL units alone (§5.6) or,
// when too big, in FU-A fragments (§5.8).
#pragma once

#include "media/payload.h"
#include "media/video_encoder.h"

#include <cstddef>
#include <string_view>
#include <vector>

namespace throng::media {

class H264Packetizer {
 public:
  // STAP-A header + one 2-byte size; an FU-A needs 2 header bytes and at least 1 of data.
  static constexpr std::size_t kMinPayloadBytes = 3;

  // Precondition: max_payload_bytes >= kMinPayloadBytes.
  explicit H264Packetizer(std::size_t max_payload_bytes);

  // Appends the access unit's payloads to `out`, none larger than max_payload_bytes; marker on
  // the last (RFC 6184 §5.1). Access unit delimiters, SEI and filler data are dropped: browsers
  // do not need them and x264's first SEI is a 600-byte banner.
  void packetize(const EncodedFrame& frame, std::vector<Payload>& out);

 private:
  void addSingle(std::string_view nal, const EncodedFrame& frame, std::vector<Payload>& out);
  void addStapA(std::string_view first, std::string_view second, const EncodedFrame& frame,
                std::vector<Payload>& out);
  void addFuA(std::string_view nal, const EncodedFrame& frame, std::vector<Payload>& out);
  Payload& addPayload(const EncodedFrame& frame, std::vector<Payload>& out);

  std::size_t max_payload_bytes_;
  std::vector<std::string_view> nals_;  // reused for every access unit
};

}  // namespace throng::media
