// OpusEncoder: libopus at 48 kHz, mono, 20 ms frames. Its packets are RTP payloads as they are
// (RFC 7587 §4.2). Mono: the test tone has one voice, and mono halves the bits for the same
// quality; SDP still says opus/48000/2, as RFC 7587 §7 requires for any Opus stream.
#pragma once

#include "base/result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct OpusEncoder;  // libopus's encoder state (the global-namespace type, not this class)

namespace throng::media {

inline constexpr int kOpusSampleRate = 48'000;  // RTP clock rate too (RFC 7587 §4.1)
inline constexpr int kOpusChannels = 1;
inline constexpr int kOpusFrameSamples = 960;  // 20 ms at 48 kHz, per channel
// RFC 6716 §3.2.1: one Opus frame is at most 1275 bytes.
inline constexpr std::size_t kOpusMaxPacketBytes = 1275;

struct OpusEncoderOptions {
  int bitrate_kbps = 48;
  // Packets never exceed this (the encoder constrains its VBR to fit), so each fits one RTP
  // payload. At most kOpusMaxPacketBytes.
  std::size_t max_packet_bytes = 1200;
};

class OpusEncoder {
 public:
  static Result<std::unique_ptr<OpusEncoder>> create(const OpusEncoderOptions& options);
  ~OpusEncoder();
  OpusEncoder(const OpusEncoder&) = delete;
  OpusEncoder& operator=(const OpusEncoder&) = delete;

  // Encodes exactly kOpusFrameSamples * kOpusChannels samples (20 ms) into one Opus packet;
  // nullopt for any other length or an encoder error.
  std::optional<std::string> encode(std::span<const std::int16_t> pcm);

 private:
  struct Free {
    void operator()(::OpusEncoder* encoder) const;
  };
  OpusEncoder(const OpusEncoderOptions& options, std::unique_ptr<::OpusEncoder, Free> encoder);

  OpusEncoderOptions options_;
  std::unique_ptr<::OpusEncoder, Free> encoder_;
  std::vector<unsigned char> buffer_;  // kOpusMaxPacketBytes, allocated once
};

}  // namespace throng::media
