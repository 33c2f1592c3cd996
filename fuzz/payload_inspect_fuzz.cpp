// Fuzzes the video payload inspection (src/media/payload_inspect.h) on arbitrary bytes, read as
// both VP8 and H.264 (and the VP8 descriptor rewritten as a simulcast forwarder does): nothing is read outside the payload (ASan), the parameter-set views lie
// inside it and are the NAL units they claim to be, and the facts agree with each other.
#include "media/h264_nal.h"
#include "media/payload_inspect.h"

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

namespace {

bool inside(std::string_view part, std::span<const std::uint8_t> whole) {
  const auto* begin = reinterpret_cast<const char*>(whole.data());
  return part.data() >= begin && part.data() + part.size() <= begin + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace throng::media;  // NOLINT(google-build-using-namespace)
  const std::span<const std::uint8_t> in(data, size);

  // RFC 7741 §4.3: only the start of partition 0 can start a keyframe.
  if (vp8StartsKeyframe(in) && (size < 2 || !(data[0] & 0x10) || (data[0] & 0x07) != 0)) {
    std::abort();
  }

  // The VP8 descriptor lies inside the payload; rewriting its picture id and TL0PICIDX where
  // it says they are (as a simulcast forwarder does) writes nothing outside them and reads back.
  if (const auto d = parseVp8Descriptor(in)) {
    if (d->size > size) std::abort();
    std::vector<std::uint8_t> copy(data, data + size);
    writeVp8PictureId(copy, *d, 0x1234);
    writeVp8Tl0PicIdx(copy, *d, 0x56);
    const auto again = parseVp8Descriptor(copy);
    if (!again || again->size != d->size) std::abort();
    if (d->picture_id && *again->picture_id != (d->long_picture_id ? 0x1234 : 0x34)) std::abort();
    if (d->tl0_pic_idx && *again->tl0_pic_idx != 0x56) std::abort();
  }
  if (const auto picture = vp8KeyframeSize(in)) {
    if (picture->width <= 0 || picture->height <= 0 || !vp8StartsKeyframe(in)) std::abort();
  }

  const H264PayloadFacts facts = inspectH264Payload(in);
  if (facts.has_sps != !facts.sps.empty() || facts.has_pps != !facts.pps.empty()) std::abort();
  if (facts.has_sps &&
      (!inside(facts.sps, in) || nalType(static_cast<unsigned char>(facts.sps[0])) != kNalSps)) {
    std::abort();
  }
  if (facts.has_pps &&
      (!inside(facts.pps, in) || nalType(static_cast<unsigned char>(facts.pps[0])) != kNalPps)) {
    std::abort();
  }
  if ((facts.starts_idr || facts.b_slice) && !facts.starts_slice) std::abort();
  if (facts.valid && (size == 0 || (data[0] & 0x80))) std::abort();  // forbidden_zero_bit
  return 0;
}
