// VP8 RTP payloads (RFC 7741 §4).
#include "media/vp8_packetizer.h"

namespace throng::media {
namespace {

constexpr std::uint16_t kPictureIdMask = 0x7fff;   // M=1: a 15-bit PictureID (RFC 7741 §4.2)
constexpr unsigned char kExtended = 0x80;          // X: the extension byte follows
constexpr unsigned char kStartOfPartition = 0x10;  // S: first packet of partition 0 (PID 0)
constexpr unsigned char kHasPictureId = 0x80;      // I: PictureID present
constexpr unsigned char kLongPictureId = 0x80;     // M: PictureID is 15 bits

}  // namespace

Vp8Packetizer::Vp8Packetizer(std::size_t max_payload_bytes, std::uint16_t first_picture_id)
    : max_payload_bytes_(max_payload_bytes),
      picture_id_(static_cast<std::uint16_t>(first_picture_id & kPictureIdMask)) {}

void Vp8Packetizer::packetize(const EncodedFrame& frame, std::vector<Payload>& out) {
  const std::size_t total = frame.data.size();
  if (total == 0) return;
  // Cut into equal pieces rather than full ones plus a runt, so no packet is tiny.
  const std::size_t room = max_payload_bytes_ - kDescriptorBytes;
  const std::size_t count = (total + room - 1) / room;
  const std::size_t base = total / count;
  const std::size_t extra = total % count;  // the first `extra` pieces get one more byte

  std::size_t offset = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t piece = base + (i < extra ? 1 : 0);
    Payload p;
    p.track = Track::kVideo;
    p.rtp_timestamp = frame.rtp_timestamp;
    p.marker = i + 1 == count;
    p.keyframe_start = i == 0 && frame.keyframe;
    p.bytes.reserve(kDescriptorBytes + piece);
    p.bytes.push_back(static_cast<char>(kExtended | (i == 0 ? kStartOfPartition : 0)));
    p.bytes.push_back(static_cast<char>(kHasPictureId));
    p.bytes.push_back(static_cast<char>(kLongPictureId | (picture_id_ >> 8)));
    p.bytes.push_back(static_cast<char>(picture_id_ & 0xff));
    p.bytes.append(frame.data, offset, piece);
    offset += piece;
    out.push_back(std::move(p));
  }
  picture_id_ = static_cast<std::uint16_t>((picture_id_ + 1) & kPictureIdMask);
}

}  // namespace throng::media
