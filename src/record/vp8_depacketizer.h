// Vp8Depacketizer: VP8 frames back from RTP payloads (RFC 7741 §4). Each payload starts with a
// descriptor (§4.2) that is stripped; a frame starts with S=1 and partition index 0, and is a
// keyframe when the first byte of its payload header has P=0 (§4.3, RFC 6386 §9.1).
#pragma once

#include "record/depacketizer.h"

#include <optional>

namespace throng::record {

struct Vp8Descriptor {
  std::size_t size = 0;  // bytes before the VP8 payload
  bool start = false;    // S: first packet of a partition
  int partition = 0;     // PID
};

// nullopt if the descriptor does not fit in `payload` or leaves no VP8 payload behind.
std::optional<Vp8Descriptor> parseVp8Descriptor(std::span<const std::uint8_t> payload);

class Vp8Depacketizer final : public VideoDepacketizer {
 protected:
  bool startsFrame(std::span<const std::uint8_t> payload) const override;
  void beginFrame() override {}
  bool append(std::span<const std::uint8_t> payload, std::vector<std::uint8_t>& frame) override;
  bool endFrame(std::vector<std::uint8_t>& frame, bool& keyframe) override;
};

}  // namespace throng::record
