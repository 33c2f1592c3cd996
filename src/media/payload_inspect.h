// What a receiver needs to know of a video RTP payload without decoding it: whether it starts a
// keyframe (where a new viewer can begin), and for H.264 the parameter sets it carries (kept
// for viewers who join after them) and whether its slices are B slices (which WebRTC players
// handle badly: reported to the streamer). VP8 per RFC 7741 §4, H.264 per RFC 6184 §5.
// Pure: bytes in, facts out; every length is checked against the payload.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace throng::media {

// True when the payload is the first packet of a VP8 keyframe: the payload descriptor's S bit
// with partition index 0, and the frame tag's P bit clear (RFC 7741 §4.3, RFC 6386 §9.1).
bool vp8StartsKeyframe(std::span<const std::uint8_t> payload);

// The VP8 payload descriptor (RFC 7741 §4.2) of one packet, with where its picture id and
// TL0PICIDX sit, for a forwarder that renumbers them when it switches a viewer between
// simulcast encodings (each encoding counts its own pictures).
struct Vp8Descriptor {
  std::size_t size = 0;  // bytes before the VP8 payload header
  bool start = false;    // S: the first packet of a partition
  int partition = 0;
  std::optional<std::uint16_t> picture_id;  // 7 or 15 bits (M)
  bool long_picture_id = false;
  std::size_t picture_id_offset = 0;
  std::optional<std::uint8_t> tl0_pic_idx;
  std::size_t tl0_pic_idx_offset = 0;
};
std::optional<Vp8Descriptor> parseVp8Descriptor(std::span<const std::uint8_t> payload);

// In place, where `descriptor` (parseVp8Descriptor of the same bytes) found them; modulo the
// field's width. Nothing happens for a field the packet lacks.
void writeVp8PictureId(std::span<std::uint8_t> payload, const Vp8Descriptor& descriptor,
                       std::uint16_t picture_id);
void writeVp8Tl0PicIdx(std::span<std::uint8_t> payload, const Vp8Descriptor& descriptor,
                       std::uint8_t tl0_pic_idx);

struct PictureSize {
  int width = 0, height = 0;
};
// The picture size a keyframe's first packet declares (RFC 6386 §9.1: after the 3-byte frame
// tag, the start code 9d 01 2a and two 14-bit sizes); nothing for other packets.
std::optional<PictureSize> vp8KeyframeSize(std::span<const std::uint8_t> payload);

struct H264PayloadFacts {
  bool valid = false;  // a NAL unit type throng understands, lengths in bounds
  bool has_sps = false, has_pps = false;
  bool starts_idr = false;    // holds an IDR slice's first bytes (single NAL, STAP-A, FU-A start)
  bool starts_slice = false;  // holds any slice's first bytes
  bool b_slice = false;       // that slice's slice_type is B (H.264 §7.4.3, Table 7-6)
  // The parameter sets' NAL units, pointing into the payload (empty if absent).
  std::string_view sps, pps;
};

// Single NAL unit packets (types 1-23), STAP-A (24) and FU-A (28); other aggregation types are
// not valid in packetization-mode=1 from a WebRTC sender and come back with valid = false.
H264PayloadFacts inspectH264Payload(std::span<const std::uint8_t> payload);

}  // namespace throng::media
