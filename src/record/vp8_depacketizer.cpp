// VP8 payload descriptors and frame checks (vp8_depacketizer.h).
#include "record/vp8_depacketizer.h"

namespace throng::record {

std::optional<Vp8Descriptor> parseVp8Descriptor(std::span<const std::uint8_t> payload) {
  // RFC 7741 §4.2: X|R|N|S|R|PID, then if X: I|L|T|K|RSV, then PictureID (1 or 2 bytes, M bit),
  // TL0PICIDX, TID|Y|KEYIDX, each only when its flag is set.
  if (payload.empty()) return std::nullopt;
  Vp8Descriptor d;
  d.start = (payload[0] & 0x10) != 0;
  d.partition = payload[0] & 0x07;
  std::size_t at = 1;
  if ((payload[0] & 0x80) != 0) {
    if (payload.size() < 2) return std::nullopt;
    const std::uint8_t flags = payload[1];
    at = 2;
    if ((flags & 0x80) != 0) {  // I: PictureID
      if (payload.size() <= at) return std::nullopt;
      at += (payload[at] & 0x80) != 0 ? 2 : 1;
    }
    if ((flags & 0x40) != 0) ++at;  // L: TL0PICIDX
    if ((flags & 0x30) != 0) ++at;  // T or K: TID|Y|KEYIDX
  }
  if (payload.size() <= at) return std::nullopt;
  d.size = at;
  return d;
}

bool Vp8Depacketizer::startsFrame(std::span<const std::uint8_t> payload) const {
  const auto d = parseVp8Descriptor(payload);
  return d && d->start && d->partition == 0;
}

bool Vp8Depacketizer::append(std::span<const std::uint8_t> payload,
                             std::vector<std::uint8_t>& frame) {
  const auto d = parseVp8Descriptor(payload);
  if (!d) return false;
  frame.insert(frame.end(), payload.begin() + static_cast<std::ptrdiff_t>(d->size), payload.end());
  return true;
}

bool Vp8Depacketizer::endFrame(std::vector<std::uint8_t>& frame, bool& keyframe) {
  // RFC 6386 §9.1: a 3-byte frame tag whose low bit is 0 for a key frame; a key frame then has
  // the start code 9d 01 2a and 14-bit width and height.
  constexpr std::size_t kKeyframeHeaderBytes = 10;
  if (frame.size() < 3) return false;
  keyframe = (frame[0] & 0x01) == 0;
  if (!keyframe) return true;
  return frame.size() >= kKeyframeHeaderBytes && frame[3] == 0x9d && frame[4] == 0x01 &&
         frame[5] == 0x2a;
}

}  // namespace throng::record
