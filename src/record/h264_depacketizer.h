// H264Depacketizer: H.264 access units back from RTP payloads in packetization-mode 0 or 1
// (RFC 6184 §6.2, §6.3): single NAL unit packets (§5.6), STAP-A (§5.7.1) and FU-A (§5.8). The
// result is Annex B (4-byte start codes). An IDR access unit without SPS and PPS gets the last
// ones seen, in the stream or in the fmtp's sprop-parameter-sets (§8.1), so that every keyframe
// handed out can start a decoder.
#pragma once

#include "record/depacketizer.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::record {

// Real SPS and PPS are tens of bytes; larger ones are not kept for IDRs that lack them.
inline constexpr std::size_t kMaxParameterSetBytes = 1024;

// The NAL units of sprop-parameter-sets in an fmtp line ("a=b;sprop-parameter-sets=Z0..,aM..");
// empty if absent. Units that are not valid base64 are left out.
std::vector<std::vector<std::uint8_t>> spropParameterSets(std::string_view fmtp);

class H264Depacketizer final : public VideoDepacketizer {
 public:
  explicit H264Depacketizer(std::string_view fmtp);

 protected:
  bool startsFrame(std::span<const std::uint8_t> payload) const override;
  void beginFrame() override;
  bool append(std::span<const std::uint8_t> payload, std::vector<std::uint8_t>& frame) override;
  bool endFrame(std::vector<std::uint8_t>& frame, bool& keyframe) override;

 private:
  void addNal(std::span<const std::uint8_t> nal, std::vector<std::uint8_t>& frame);
  void noteNalType(int type, std::span<const std::uint8_t> nal);

  // Parameter sets last seen (without start codes), for IDRs sent without them. Bounded: one
  // of each, replaced.
  std::vector<std::uint8_t> sps_;
  std::vector<std::uint8_t> pps_;
  // The frame being assembled.
  bool has_idr_ = false;
  bool has_sps_ = false;
  bool has_pps_ = false;
  bool in_fragment_ = false;        // inside an FU-A (between its S and E packets)
  std::size_t fragment_start_ = 0;  // where the fragmented NAL starts in the frame
};

}  // namespace throng::record
