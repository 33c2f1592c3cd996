// Muxing with libavformat (av_output.h).
#include "record/av_output.h"

#include <cstring>
#include <utility>

namespace throng::record {

std::string avErrorText(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

Result<std::unique_ptr<AvOutput>> AvOutput::create(const std::filesystem::path& path,
                                                   const char* format) {
  AVFormatContext* context = nullptr;
  const int created = avformat_alloc_output_context2(&context, nullptr, format, path.c_str());
  if (created < 0 || context == nullptr) {
    return makeError("cannot write " + path.string() + ": no " + format +
                     " muxer: " + avErrorText(created));
  }
  std::unique_ptr<AvOutput> out(new AvOutput(path, context));
  const int opened = avio_open(&context->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (opened < 0) return makeError("cannot create " + path.string() + ": " + avErrorText(opened));
  return out;
}

AvOutput::AvOutput(std::filesystem::path path, AVFormatContext* context)
    : path_(std::move(path)), context_(context) {}

AvOutput::~AvOutput() {
  if (context_->pb != nullptr) avio_closep(&context_->pb);
  avformat_free_context(context_);
}

bool AvOutput::wantsGlobalHeader() const {
  return (context_->oformat->flags & AVFMT_GLOBALHEADER) != 0;
}

Result<int> AvOutput::addStream(const AVCodecParameters& parameters, AVRational time_base) {
  AVStream* stream = avformat_new_stream(context_, nullptr);
  if (stream == nullptr) return makeError("cannot write " + path_.string() + ": out of memory");
  const int copied = avcodec_parameters_copy(stream->codecpar, &parameters);
  if (copied < 0) return makeError("cannot write " + path_.string() + ": " + avErrorText(copied));
  stream->codecpar->codec_tag = 0;  // let the muxer choose its own tag
  stream->time_base = time_base;    // a hint; the muxer may choose another in start()
  Stream& s = streams_.emplace_back();
  s.time_base = time_base;
  return stream->index;
}

Status AvOutput::start() {
  const int written = avformat_write_header(context_, nullptr);
  if (written < 0) {
    return makeError("cannot write " + path_.string() + ": header: " + avErrorText(written));
  }
  started_ = true;
  return {};
}

Status AvOutput::writeFrame(int stream, std::span<const std::uint8_t> data, std::int64_t pts,
                            bool keyframe) {
  Stream& s = streams_.at(static_cast<std::size_t>(stream));
  if (s.holding) {
    std::int64_t duration = pts - s.held_pts;
    if (duration <= 0) duration = s.last_duration;
    if (auto written = writeHeld(stream, duration); !written) return written;
  }
  s.held.assign(data.begin(), data.end());
  s.held_pts = pts;
  s.held_keyframe = keyframe;
  s.holding = true;
  return {};
}

Status AvOutput::writeHeld(int stream, std::int64_t duration) {
  Stream& s = streams_[static_cast<std::size_t>(stream)];
  s.holding = false;
  s.last_duration = duration;
  AVPacket* packet = av_packet_alloc();
  if (packet == nullptr) return makeError("cannot write " + path_.string() + ": out of memory");
  Status status;
  const int made = av_new_packet(packet, static_cast<int>(s.held.size()));
  if (made < 0) {
    status = makeError("cannot write " + path_.string() + ": " + avErrorText(made));
  } else {
    if (!s.held.empty()) std::memcpy(packet->data, s.held.data(), s.held.size());
    packet->pts = s.held_pts;
    packet->dts = s.held_pts;
    packet->duration = duration;
    if (s.held_keyframe) packet->flags |= AV_PKT_FLAG_KEY;
    status = writePacket(stream, *packet, s.time_base);
  }
  av_packet_free(&packet);
  return status;
}

Status AvOutput::writeEncoded(int stream, AVPacket& packet, AVRational time_base) {
  return writePacket(stream, packet, time_base);
}

Status AvOutput::writePacket(int stream, AVPacket& packet, AVRational time_base) {
  Stream& s = streams_[static_cast<std::size_t>(stream)];
  AVStream* out = context_->streams[stream];
  packet.stream_index = stream;
  av_packet_rescale_ts(&packet, time_base, out->time_base);
  // Muxers need strictly increasing decode times; two frames that round to one tick, or a
  // sender's timestamp going back, would otherwise fail the whole export.
  if (packet.dts != AV_NOPTS_VALUE) {
    if (s.last_dts != INT64_MIN && packet.dts <= s.last_dts) packet.dts = s.last_dts + 1;
    if (packet.pts != AV_NOPTS_VALUE && packet.pts < packet.dts) packet.pts = packet.dts;
    s.last_dts = packet.dts;
  }
  const int written = av_interleaved_write_frame(context_, &packet);
  if (written < 0) return makeError("cannot write " + path_.string() + ": " + avErrorText(written));
  return {};
}

Status AvOutput::finish() {
  if (finished_) return {};
  finished_ = true;
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    if (!streams_[i].holding) continue;
    const std::int64_t duration = streams_[i].last_duration;
    if (auto written = writeHeld(static_cast<int>(i), duration); !written) return written;
  }
  if (started_) {
    const int trailer = av_write_trailer(context_);
    if (trailer < 0) {
      return makeError("cannot write " + path_.string() + ": trailer: " + avErrorText(trailer));
    }
  }
  const int closed = avio_closep(&context_->pb);
  if (closed < 0) return makeError("cannot close " + path_.string() + ": " + avErrorText(closed));
  return {};
}

}  // namespace throng::record
