// AacTranscoder: Opus packets in, AAC-LC packets out (libavcodec's native "opus" decoder and
// "aac" encoder), for MP4 files: browsers and players take AAC in MP4 everywhere, Opus in MP4
// not. Both codecs run at 48 kHz on planar float, so no resampling is needed. Decoded audio
// is regrouped into the encoder's 1024-sample frames; a gap in the RTP timestamps (lost
// packets, a paused sender) is filled with silence so that later audio stays in sync, up to
// kMaxSilence, beyond which the timeline jumps instead. One thread.
#pragma once

#include "base/result.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
}

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace throng::record {

// The Opus identification header (RFC 7845 §5.1) that WebM's CodecPrivate and libavcodec's
// decoder take: `channels` (1 or 2), no pre-skip (an RTP stream joins an encoder mid-way, its
// first samples are real), 48 kHz, mapping family 0.
std::vector<std::uint8_t> opusHead(int channels);

class AacTranscoder {
 public:
  static constexpr int kSampleRate = 48'000;  // Opus's RTP clock (RFC 7587 §4.1) and AAC's rate
  static constexpr std::chrono::seconds kMaxSilence{10};

  // Receives each encoded packet, timed in 1/kSampleRate.
  using PacketSink = std::function<Status(AVPacket&)>;

  // `channels` 1 or 2; `global_header` when the container wants the AAC config in extradata.
  static Result<std::unique_ptr<AacTranscoder>> create(int channels, int bitrate_bps,
                                                       bool global_header);
  ~AacTranscoder();
  AacTranscoder(const AacTranscoder&) = delete;
  AacTranscoder& operator=(const AacTranscoder&) = delete;

  // The encoder's parameters, for the output stream.
  const AVCodecContext& encoder() const { return *encoder_; }

  // One Opus packet whose first sample is at `pts` (1/48000). A packet the decoder rejects is
  // skipped and counted, not an error.
  Status push(std::span<const std::uint8_t> opus, std::int64_t pts, const PacketSink& sink);
  // Encodes what is left (the last frame padded with silence) and drains the encoder.
  Status finish(const PacketSink& sink);

  std::uint64_t packetsRejected() const { return rejected_; }
  std::uint64_t silenceSamples() const { return silence_samples_; }

 private:
  AacTranscoder() = default;
  Status addSilence(std::int64_t samples);
  Status encodeFrames(bool flush, const PacketSink& sink);
  Status drain(const PacketSink& sink);

  AVCodecContext* decoder_ = nullptr;  // owned
  AVCodecContext* encoder_ = nullptr;  // owned
  AVAudioFifo* fifo_ = nullptr;        // owned: decoded samples not yet encoded
  AVFrame* decoded_ = nullptr;         // owned, reused
  AVFrame* frame_ = nullptr;           // owned, reused: one encoder frame
  AVPacket* packet_ = nullptr;         // owned, reused
  int channels_ = 0;
  bool timeline_started_ = false;
  std::int64_t fifo_pts_ = 0;  // time of the first sample in the FIFO
  std::uint64_t rejected_ = 0;
  std::uint64_t silence_samples_ = 0;
};

}  // namespace throng::record
