#include "media/payload_inspect.h"

#include "media/h264_nal.h"

namespace throng::media {

namespace {

// Exp-Golomb reader over an RBSP prefix (H.264 §9.1), skipping emulation prevention bytes
// (00 00 03, §7.4.1). Reads at most what the slice header's first fields need.
class BitReader {
 public:
  // The first byte's zero counts too: 00 00 03 at the very start is an escape.
  explicit BitReader(std::span<const std::uint8_t> bytes)
      : bytes_(bytes), zeros_(!bytes.empty() && bytes[0] == 0 ? 1 : 0) {}

  std::optional<std::uint32_t> readUe() {
    int zeros = 0;
    for (;;) {
      auto bit = readBit();
      if (!bit) return std::nullopt;
      if (*bit) break;
      if (++zeros > 31) return std::nullopt;
    }
    std::uint32_t value = 0;
    for (int i = 0; i < zeros; ++i) {
      auto bit = readBit();
      if (!bit) return std::nullopt;
      value = (value << 1) | *bit;
    }
    return (1u << zeros) - 1 + value;
  }

 private:
  std::optional<std::uint32_t> readBit() {
    if (bit_ == 8) {
      ++byte_;
      bit_ = 0;
      if (byte_ < bytes_.size() && zeros_ >= 2 && bytes_[byte_] == 3) {
        ++byte_;  // an emulation prevention byte
        zeros_ = 0;
      }
      if (byte_ < bytes_.size()) zeros_ = bytes_[byte_] == 0 ? zeros_ + 1 : 0;
    }
    if (byte_ >= bytes_.size()) return std::nullopt;
    return (bytes_[byte_] >> (7 - bit_++)) & 1u;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t byte_ = 0;
  int bit_ = 0;
  int zeros_ = 0;
};

// slice_type 1 and 6 are B (Table 7-6): first_mb_in_slice, then slice_type.
bool isBSlice(std::span<const std::uint8_t> slice_header) {
  BitReader reader(slice_header);
  if (!reader.readUe()) return false;
  const auto slice_type = reader.readUe();
  return slice_type && *slice_type % 5 == 1;
}

std::string_view view(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// One complete NAL unit (header byte first).
void noteNal(std::span<const std::uint8_t> nal, H264PayloadFacts& facts) {
  if (nal.empty()) return;
  const int type = nalType(nal[0]);
  if (type == kNalSps) {
    facts.has_sps = true;
    facts.sps = view(nal);
  } else if (type == kNalPps) {
    facts.has_pps = true;
    facts.pps = view(nal);
  } else if (type == kNalSlice || type == kNalIdr) {
    facts.starts_slice = true;
    facts.starts_idr = facts.starts_idr || type == kNalIdr;
    facts.b_slice = facts.b_slice || isBSlice(nal.subspan(1));
  }
}

}  // namespace

std::optional<Vp8Descriptor> parseVp8Descriptor(std::span<const std::uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  Vp8Descriptor d;
  const std::uint8_t first = payload[0];
  d.start = first & 0x10;
  d.partition = first & 0x07;
  std::size_t offset = 1;
  if (first & 0x80) {  // X: extension byte I L T K
    if (payload.size() < 2) return std::nullopt;
    const std::uint8_t extension = payload[1];
    offset = 2;
    if (extension & 0x80) {  // I: PictureID, 7 or 15 bits (M)
      if (payload.size() <= offset) return std::nullopt;
      d.picture_id_offset = offset;
      d.long_picture_id = payload[offset] & 0x80;
      if (d.long_picture_id) {
        if (payload.size() <= offset + 1) return std::nullopt;
        d.picture_id = static_cast<std::uint16_t>(((payload[offset] & 0x7f) << 8) |
                                                  payload[offset + 1]);
        offset += 2;
      } else {
        d.picture_id = payload[offset] & 0x7f;
        offset += 1;
      }
    }
    if (extension & 0x40) {  // L: TL0PICIDX
      if (payload.size() <= offset) return std::nullopt;
      d.tl0_pic_idx_offset = offset;
      d.tl0_pic_idx = payload[offset];
      offset += 1;
    }
    if (extension & (0x20 | 0x10)) offset += 1;  // T or K: TID/Y/KEYIDX
  }
  if (payload.size() < offset) return std::nullopt;
  d.size = offset;
  return d;
}

void writeVp8PictureId(std::span<std::uint8_t> payload, const Vp8Descriptor& descriptor,
                       std::uint16_t picture_id) {
  if (!descriptor.picture_id) return;
  const std::size_t at = descriptor.picture_id_offset;
  if (descriptor.long_picture_id) {
    if (payload.size() < at + 2) return;
    payload[at] = static_cast<std::uint8_t>(0x80 | ((picture_id >> 8) & 0x7f));
    payload[at + 1] = static_cast<std::uint8_t>(picture_id & 0xff);
  } else if (payload.size() > at) {
    payload[at] = static_cast<std::uint8_t>(picture_id & 0x7f);
  }
}

void writeVp8Tl0PicIdx(std::span<std::uint8_t> payload, const Vp8Descriptor& descriptor,
                       std::uint8_t tl0_pic_idx) {
  if (descriptor.tl0_pic_idx && payload.size() > descriptor.tl0_pic_idx_offset) {
    payload[descriptor.tl0_pic_idx_offset] = tl0_pic_idx;
  }
}

bool vp8StartsKeyframe(std::span<const std::uint8_t> payload) {
  const auto d = parseVp8Descriptor(payload);
  if (!d || !d->start || d->partition != 0 || payload.size() <= d->size) return false;
  return (payload[d->size] & 0x01) == 0;  // frame tag P bit: 0 = key frame
}

std::optional<PictureSize> vp8KeyframeSize(std::span<const std::uint8_t> payload) {
  if (!vp8StartsKeyframe(payload)) return std::nullopt;
  const auto d = parseVp8Descriptor(payload);
  const auto frame = payload.subspan(d->size);
  // 3-byte frame tag, start code, 2 bytes width (14 bits + 2 scale), 2 bytes height.
  if (frame.size() < 10 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a) {
    return std::nullopt;
  }
  PictureSize size;
  size.width = (frame[6] | (frame[7] << 8)) & 0x3fff;
  size.height = (frame[8] | (frame[9] << 8)) & 0x3fff;
  if (size.width == 0 || size.height == 0) return std::nullopt;
  return size;
}

H264PayloadFacts inspectH264Payload(std::span<const std::uint8_t> payload) {
  H264PayloadFacts facts;
  if (payload.empty() || (payload[0] & 0x80)) return facts;  // forbidden_zero_bit
  const int type = nalType(payload[0]);
  if (type >= 1 && type <= 23) {
    noteNal(payload, facts);
    facts.valid = true;
  } else if (type == kNalStapA) {
    // RFC 6184 §5.7.1: 16-bit sizes, each followed by a NAL unit.
    std::size_t offset = 1;
    while (offset + 2 <= payload.size()) {
      const std::size_t size = (std::size_t{payload[offset]} << 8) | payload[offset + 1];
      offset += 2;
      if (size == 0 || offset + size > payload.size()) return facts;
      noteNal(payload.subspan(offset, size), facts);
      offset += size;
    }
    facts.valid = offset == payload.size();
  } else if (type == kNalFuA) {
    // RFC 6184 §5.8: FU indicator, FU header (S E R type), then the fragment.
    if (payload.size() < 3) return facts;
    const std::uint8_t header = payload[1];
    if (header & 0x80) {  // S: the fragment holds the NAL unit's first bytes
      const int fragment_type = header & 0x1f;
      if (fragment_type == kNalSlice || fragment_type == kNalIdr) {
        facts.starts_slice = true;
        facts.starts_idr = fragment_type == kNalIdr;
        facts.b_slice = isBSlice(payload.subspan(2));
      }
    }
    facts.valid = true;
  }
  return facts;
}

}  // namespace throng::media
