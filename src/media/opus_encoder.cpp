// libopus encoding of the test tone (opus_encoder.h).
#include "media/opus_encoder.h"

#include <opus.h>

#include <algorithm>

namespace throng::media {

void OpusEncoder::Free::operator()(::OpusEncoder* encoder) const {
  opus_encoder_destroy(encoder);
}

Result<std::unique_ptr<OpusEncoder>> OpusEncoder::create(const OpusEncoderOptions& options) {
  int error = OPUS_OK;
  std::unique_ptr<::OpusEncoder, Free> encoder(
      opus_encoder_create(kOpusSampleRate, kOpusChannels, OPUS_APPLICATION_AUDIO, &error));
  if (error != OPUS_OK || encoder == nullptr) {
    return makeError(std::string("opus: encoder create failed: ") + opus_strerror(error));
  }
  if (opus_encoder_ctl(encoder.get(), OPUS_SET_BITRATE(options.bitrate_kbps * 1000)) != OPUS_OK) {
    return makeError("opus: bitrate " + std::to_string(options.bitrate_kbps) + " kbps refused");
  }
  return std::unique_ptr<OpusEncoder>(new OpusEncoder(options, std::move(encoder)));
}

OpusEncoder::OpusEncoder(const OpusEncoderOptions& options,
                         std::unique_ptr<::OpusEncoder, Free> encoder)
    : options_(options),
      encoder_(std::move(encoder)),
      buffer_(std::min(options.max_packet_bytes, kOpusMaxPacketBytes)) {}

OpusEncoder::~OpusEncoder() = default;

std::optional<std::string> OpusEncoder::encode(std::span<const std::int16_t> pcm) {
  if (pcm.size() != static_cast<std::size_t>(kOpusFrameSamples * kOpusChannels)) {
    return std::nullopt;
  }
  const opus_int32 bytes = opus_encode(encoder_.get(), pcm.data(), kOpusFrameSamples,
                                       buffer_.data(), static_cast<opus_int32>(buffer_.size()));
  if (bytes <= 0) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(buffer_.data()),
                     static_cast<std::size_t>(bytes));
}

}  // namespace throng::media
