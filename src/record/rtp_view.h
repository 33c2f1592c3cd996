// RtpView: the fields of one RTP packet (RFC 3550 §5.1) that a recording is read back with.
// The recorder's library must not depend on src/rtc, so this is its own small parser: pure,
// nothing allocated, nullopt for anything that is not version 2 or whose lengths do not fit.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace throng::record {

struct RtpView {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::uint8_t> payload;  // CSRCs, extension and padding removed
};

std::optional<RtpView> parseRtpView(std::span<const std::uint8_t> packet);

}  // namespace throng::record
