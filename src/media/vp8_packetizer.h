// Vp8Packetizer: cuts VP8 frames into RTP payloads (RFC 7741 §4). Every payload starts with a
// four-byte descriptor carrying a 15-bit PictureID, which lets receivers (and SFUs forwarding a
// layer) see frame boundaries and losses without parsing the VP8 frame.
#pragma once

#include "media/payload.h"
#include "media/video_encoder.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace throng::media {

class Vp8Packetizer {
 public:
  // Descriptor: X=1, N=0, S, PID=0 | I=1 | M=1, PictureID (RFC 7741 §4.2).
  static constexpr std::size_t kDescriptorBytes = 4;

  // Precondition: max_payload_bytes > kDescriptorBytes. `first_picture_id` is taken mod 2^15.
  explicit Vp8Packetizer(std::size_t max_payload_bytes, std::uint16_t first_picture_id = 0);

  // Appends the frame's payloads to `out`, none larger than max_payload_bytes, all of similar
  // size; S=1 on the first, marker on the last. The PictureID then advances by one (mod 2^15).
  // An empty frame yields nothing.
  void packetize(const EncodedFrame& frame, std::vector<Payload>& out);

  std::uint16_t nextPictureId() const { return picture_id_; }

 private:
  std::size_t max_payload_bytes_;
  std::uint16_t picture_id_;
};

}  // namespace throng::media
