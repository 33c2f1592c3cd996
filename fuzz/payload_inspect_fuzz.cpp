// Fuzzes the video payload inspection (src/media/payload_inspect.h) on arbitrary bytes, read as
// both VP8 and H.264: nothing is read outside the payload (ASan), the parameter-set views lie
// inside it and are the NAL units they claim to be, and the facts agree with each other.
#include "media/h264_nal.h"
#include "media/payload_inspect.h"

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

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
