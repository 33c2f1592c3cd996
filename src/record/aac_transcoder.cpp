// Opus to AAC through libavcodec (aac_transcoder.h).
#include "record/aac_transcoder.h"

#include "record/av_output.h"

#include <cstring>

namespace throng::record {
namespace {

constexpr int kAacFrameSamples = 1024;  // AAC-LC frame length (ISO/IEC 14496-3 §4.5.2.1)

Error avError(const char* what, int code) {
  return makeError(std::string(what) + ": " + avErrorText(code));
}

}  // namespace

std::vector<std::uint8_t> opusHead(int channels) {
  // "OpusHead", version 1, channels, pre-skip 0 (LE16), 48000 Hz (LE32), gain 0 (LE16), family 0.
  std::vector<std::uint8_t> head = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1};
  head.push_back(static_cast<std::uint8_t>(channels));
  head.insert(head.end(), {0, 0, 0x80, 0xbb, 0, 0, 0, 0, 0});
  return head;
}

Result<std::unique_ptr<AacTranscoder>> AacTranscoder::create(int channels, int bitrate_bps,
                                                             bool global_header) {
  if (channels < 1 || channels > 2) return makeError("Opus to AAC: 1 or 2 channels only");
  std::unique_ptr<AacTranscoder> t(new AacTranscoder());
  t->channels_ = channels;

  const AVCodec* opus = avcodec_find_decoder(AV_CODEC_ID_OPUS);
  if (opus == nullptr) return makeError("this libavcodec has no Opus decoder");
  t->decoder_ = avcodec_alloc_context3(opus);
  if (t->decoder_ == nullptr) return makeError("Opus decoder: out of memory");
  t->decoder_->sample_rate = kSampleRate;
  av_channel_layout_default(&t->decoder_->ch_layout, channels);
  const auto head = opusHead(channels);
  t->decoder_->extradata =
      static_cast<std::uint8_t*>(av_mallocz(head.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (t->decoder_->extradata == nullptr) return makeError("Opus decoder: out of memory");
  std::memcpy(t->decoder_->extradata, head.data(), head.size());
  t->decoder_->extradata_size = static_cast<int>(head.size());
  if (const int opened = avcodec_open2(t->decoder_, opus, nullptr); opened < 0) {
    return avError("cannot open the Opus decoder", opened);
  }
  if (t->decoder_->sample_fmt != AV_SAMPLE_FMT_FLTP) {
    return makeError("the Opus decoder gives samples in a format the AAC encoder does not take");
  }

  const AVCodec* aac = avcodec_find_encoder_by_name("aac");
  if (aac == nullptr) return makeError("this libavcodec has no AAC encoder");
  t->encoder_ = avcodec_alloc_context3(aac);
  if (t->encoder_ == nullptr) return makeError("AAC encoder: out of memory");
  t->encoder_->sample_fmt = AV_SAMPLE_FMT_FLTP;
  t->encoder_->sample_rate = kSampleRate;
  av_channel_layout_default(&t->encoder_->ch_layout, channels);
  t->encoder_->bit_rate = bitrate_bps;
  t->encoder_->time_base = AVRational{1, kSampleRate};
  if (global_header) t->encoder_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (const int opened = avcodec_open2(t->encoder_, aac, nullptr); opened < 0) {
    return avError("cannot open the AAC encoder", opened);
  }

  t->fifo_ = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, channels, 4 * kAacFrameSamples);
  t->decoded_ = av_frame_alloc();
  t->frame_ = av_frame_alloc();
  t->packet_ = av_packet_alloc();
  if (t->fifo_ == nullptr || t->decoded_ == nullptr || t->frame_ == nullptr ||
      t->packet_ == nullptr) {
    return makeError("Opus to AAC: out of memory");
  }
  t->frame_->format = AV_SAMPLE_FMT_FLTP;
  t->frame_->sample_rate = kSampleRate;
  t->frame_->nb_samples = kAacFrameSamples;
  av_channel_layout_default(&t->frame_->ch_layout, channels);
  if (const int got = av_frame_get_buffer(t->frame_, 0); got < 0) {
    return avError("Opus to AAC: frame buffer", got);
  }
  return t;
}

AacTranscoder::~AacTranscoder() {
  avcodec_free_context(&decoder_);
  avcodec_free_context(&encoder_);
  if (fifo_ != nullptr) av_audio_fifo_free(fifo_);
  av_frame_free(&decoded_);
  av_frame_free(&frame_);
  av_packet_free(&packet_);
}

Status AacTranscoder::push(std::span<const std::uint8_t> opus, std::int64_t pts,
                           const PacketSink& sink) {
  if (!timeline_started_) {
    timeline_started_ = true;
    fifo_pts_ = pts;
  }
  const std::int64_t expected = fifo_pts_ + av_audio_fifo_size(fifo_);
  const std::int64_t gap = pts - expected;
  if (gap > 0 && gap <= kMaxSilence.count() * kSampleRate) {
    if (auto added = addSilence(gap); !added) return added;
  } else if (gap > 0) {
    // Too long to fill: end what is buffered and let the timeline jump.
    if (auto encoded = encodeFrames(/*flush=*/true, sink); !encoded) return encoded;
    fifo_pts_ = pts;
  } else if (gap < 0 && -gap >= kAacFrameSamples) {
    ++rejected_;  // audio for a time already covered: a replayed or misplaced packet
    return {};
  }

  AVPacket* in = av_packet_alloc();
  if (in == nullptr) return makeError("Opus to AAC: out of memory");
  int sent = av_new_packet(in, static_cast<int>(opus.size()));
  if (sent == 0) {
    std::memcpy(in->data, opus.data(), opus.size());
    in->pts = pts;
    sent = avcodec_send_packet(decoder_, in);
  }
  av_packet_free(&in);
  if (sent < 0) {
    ++rejected_;
    return {};
  }
  for (;;) {
    const int got = avcodec_receive_frame(decoder_, decoded_);
    if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) break;
    if (got < 0) {
      ++rejected_;
      break;
    }
    const int wrote = av_audio_fifo_write(fifo_, reinterpret_cast<void**>(decoded_->extended_data),
                                          decoded_->nb_samples);
    av_frame_unref(decoded_);
    if (wrote < 0) return avError("Opus to AAC: buffering", wrote);
  }
  return encodeFrames(/*flush=*/false, sink);
}

Status AacTranscoder::addSilence(std::int64_t samples) {
  silence_samples_ += static_cast<std::uint64_t>(samples);
  // In encoder-frame steps, through the reused frame, so no allocation grows with the gap.
  while (samples > 0) {
    const int n = static_cast<int>(std::min<std::int64_t>(samples, kAacFrameSamples));
    if (const int writable = av_frame_make_writable(frame_); writable < 0) {
      return avError("Opus to AAC: frame buffer", writable);
    }
    av_samples_set_silence(frame_->extended_data, 0, n, channels_, AV_SAMPLE_FMT_FLTP);
    const int wrote =
        av_audio_fifo_write(fifo_, reinterpret_cast<void**>(frame_->extended_data), n);
    if (wrote < 0) return avError("Opus to AAC: buffering", wrote);
    samples -= n;
  }
  return {};
}

Status AacTranscoder::encodeFrames(bool flush, const PacketSink& sink) {
  for (;;) {
    const int available = av_audio_fifo_size(fifo_);
    if (available == 0 || (!flush && available < kAacFrameSamples)) return {};
    if (const int writable = av_frame_make_writable(frame_); writable < 0) {
      return avError("Opus to AAC: frame buffer", writable);
    }
    const int n = std::min(available, kAacFrameSamples);
    const int read = av_audio_fifo_read(fifo_, reinterpret_cast<void**>(frame_->extended_data), n);
    if (read < 0) return avError("Opus to AAC: buffering", read);
    // The last frame is padded: the encoder takes whole frames only.
    if (n < kAacFrameSamples) {
      av_samples_set_silence(frame_->extended_data, n, kAacFrameSamples - n, channels_,
                             AV_SAMPLE_FMT_FLTP);
    }
    frame_->pts = fifo_pts_;
    fifo_pts_ += kAacFrameSamples;
    if (const int sent = avcodec_send_frame(encoder_, frame_); sent < 0) {
      return avError("AAC encoder", sent);
    }
    if (auto drained = drain(sink); !drained) return drained;
  }
}

Status AacTranscoder::drain(const PacketSink& sink) {
  for (;;) {
    const int got = avcodec_receive_packet(encoder_, packet_);
    if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) return {};
    if (got < 0) return avError("AAC encoder", got);
    Status status = sink(*packet_);
    av_packet_unref(packet_);
    if (!status) return status;
  }
}

Status AacTranscoder::finish(const PacketSink& sink) {
  if (auto encoded = encodeFrames(/*flush=*/true, sink); !encoded) return encoded;
  if (const int sent = avcodec_send_frame(encoder_, nullptr); sent < 0 && sent != AVERROR_EOF) {
    return avError("AAC encoder", sent);
  }
  return drain(sink);
}

}  // namespace throng::record
