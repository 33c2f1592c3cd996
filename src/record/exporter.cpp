// Recording to WebM/MP4 (exporter.h).
#include "record/exporter.h"

#include "media/h264_nal.h"
#include "record/aac_transcoder.h"
#include "record/av_output.h"
#include "record/pcap_writer.h"
#include "record/recording_reader.h"

#include <strings.h>

#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

namespace throng::record {
namespace {

enum class Codec { kUnknown, kVp8, kH264, kOpus };

Codec codecOf(const std::string& name) {
  if (strcasecmp(name.c_str(), "VP8") == 0) return Codec::kVp8;
  if (strcasecmp(name.c_str(), "H264") == 0) return Codec::kH264;
  if (strcasecmp(name.c_str(), "opus") == 0) return Codec::kOpus;
  return Codec::kUnknown;
}

struct Container {
  const char* muxer;  // libavformat's name
  Codec video;        // the one video codec it takes (copied)
  const char* video_hint;
};

std::optional<Container> containerFor(const std::filesystem::path& output) {
  std::string extension = output.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension == ".webm") return Container{"webm", Codec::kVp8, ".mp4 (H.264)"};
  if (extension == ".mp4") return Container{"mp4", Codec::kH264, ".webm (VP8)"};
  return std::nullopt;
}

struct Plan {
  int video = -1;
  int audio = -1;
};

// One video and one audio track, each one the container can hold.
Result<Plan> chooseTracks(const RecordingIndex& index, const Container& container,
                          std::vector<std::string>& notes) {
  Plan plan;
  for (std::size_t i = 0; i < index.tracks.size(); ++i) {
    const RecordedTrack& t = index.tracks[i].track;
    const std::string name = "track " + std::to_string(i) + " (" + t.kind + ", " + t.codec + ")";
    const Codec codec = codecOf(t.codec);
    if (codec == Codec::kUnknown) {
      return makeError(name + ": codec \"" + t.codec +
                       "\" cannot be exported (known: VP8, H264, opus)");
    }
    int& slot = t.kind == "video" ? plan.video : plan.audio;
    // Simulcast encodings come lowest first (libwebrtc orders them by size; so do the offers
    // throng has seen): a later one replaces the earlier, so the file gets the largest.
    const bool larger_encoding = slot >= 0 && !t.rid.empty() &&
                                 !index.tracks[static_cast<std::size_t>(slot)].track.rid.empty();
    if (larger_encoding) {
      notes.push_back("track " + std::to_string(slot) + " (simulcast encoding '" +
                      index.tracks[static_cast<std::size_t>(slot)].track.rid +
                      "') left out: a larger encoding follows");
      slot = -1;
    }
    if (slot >= 0) {
      notes.push_back(name + " left out: one " + t.kind + " track per file");
      continue;
    }
    if (t.kind == "video" && codec != container.video) {
      return makeError(name + ": a " + container.muxer + " file cannot hold " + t.codec +
                       " video without re-encoding; export to " + container.video_hint);
    }
    if (t.kind == "audio" && codec != Codec::kOpus) {
      return makeError(name + ": audio must be opus");
    }
    if ((t.kind == "video") != (codec != Codec::kOpus)) {
      return makeError(name + ": a " + t.codec + " track cannot be " + t.kind);
    }
    slot = static_cast<int>(i);
  }
  if (plan.video < 0 && plan.audio < 0) return makeError("the recording has no tracks");
  return plan;
}

struct Picture {
  int width = 0;
  int height = 0;
};

// Decodes a keyframe to learn the picture size, which muxers need in the header.
Result<Picture> probeKeyframe(Codec codec, const std::vector<std::uint8_t>& keyframe) {
  const AVCodec* decoder =
      avcodec_find_decoder(codec == Codec::kVp8 ? AV_CODEC_ID_VP8 : AV_CODEC_ID_H264);
  if (decoder == nullptr) return makeError("this libavcodec cannot decode the video codec");
  AVCodecContext* context = avcodec_alloc_context3(decoder);
  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  std::optional<Picture> picture;
  if (context != nullptr && packet != nullptr && frame != nullptr &&
      avcodec_open2(context, decoder, nullptr) == 0 &&
      av_new_packet(packet, static_cast<int>(keyframe.size())) == 0) {
    std::memcpy(packet->data, keyframe.data(), keyframe.size());
    packet->flags |= AV_PKT_FLAG_KEY;
    if (avcodec_send_packet(context, packet) == 0) {
      avcodec_send_packet(context, nullptr);  // drain: decoders with delay give it out now
      if (avcodec_receive_frame(context, frame) == 0 && frame->width > 0 && frame->height > 0) {
        picture = Picture{frame->width, frame->height};
      }
    }
  }
  av_frame_free(&frame);
  av_packet_free(&packet);
  avcodec_free_context(&context);
  if (!picture) return makeError("the first keyframe does not decode");
  return *picture;
}

// SPS and PPS of an Annex B access unit, as Annex B (MP4's muxer turns them into its avcC).
std::vector<std::uint8_t> parameterSets(const std::vector<std::uint8_t>& access_unit) {
  std::vector<std::string_view> nals;
  media::splitAnnexB(
      std::string_view(reinterpret_cast<const char*>(access_unit.data()), access_unit.size()),
      nals);
  std::vector<std::uint8_t> out;
  for (const int wanted : {media::kNalSps, media::kNalPps}) {
    for (const std::string_view nal : nals) {
      if (media::nalType(static_cast<unsigned char>(nal[0])) != wanted) continue;
      out.insert(out.end(), {0, 0, 0, 1});
      out.insert(out.end(), nal.begin(), nal.end());
      break;
    }
  }
  return out;
}

struct Probe {
  std::optional<std::vector<std::uint8_t>> keyframe;  // the video track's first
  bool audio = false;
  std::uint64_t video_packets = 0;
  std::uint64_t audio_packets = 0;
};

// Pass one: reads until the video track's first keyframe and the audio track's first frame.
Result<Probe> probe(const std::filesystem::path& directory, const Plan& plan,
                    const ExportOptions& options) {
  auto reader = RecordingReader::open(directory, options.reorder_window);
  if (!reader) return reader.error();
  Probe p;
  while (auto f = reader->next()) {
    if (f->track == plan.video && !p.keyframe && f->frame.keyframe) {
      p.keyframe = std::move(f->frame.data);
    }
    if (f->track == plan.audio) p.audio = true;
    if ((plan.video < 0 || p.keyframe) && (plan.audio < 0 || p.audio)) break;
  }
  if (plan.video >= 0) p.video_packets = reader->trackStats(plan.video).packets;
  if (plan.audio >= 0) p.audio_packets = reader->trackStats(plan.audio).packets;
  return p;
}

AVCodecParameters* videoParameters(Codec codec, Picture picture,
                                   const std::vector<std::uint8_t>& extradata) {
  AVCodecParameters* par = avcodec_parameters_alloc();
  if (par == nullptr) return nullptr;
  par->codec_type = AVMEDIA_TYPE_VIDEO;
  par->codec_id = codec == Codec::kVp8 ? AV_CODEC_ID_VP8 : AV_CODEC_ID_H264;
  par->width = picture.width;
  par->height = picture.height;
  par->format = AV_PIX_FMT_YUV420P;
  if (!extradata.empty()) {
    par->extradata =
        static_cast<std::uint8_t*>(av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (par->extradata == nullptr) {
      avcodec_parameters_free(&par);
      return nullptr;
    }
    std::memcpy(par->extradata, extradata.data(), extradata.size());
    par->extradata_size = static_cast<int>(extradata.size());
  }
  return par;
}

AVCodecParameters* opusParameters(int channels) {
  AVCodecParameters* par = avcodec_parameters_alloc();
  if (par == nullptr) return nullptr;
  par->codec_type = AVMEDIA_TYPE_AUDIO;
  par->codec_id = AV_CODEC_ID_OPUS;
  par->sample_rate = AacTranscoder::kSampleRate;
  av_channel_layout_default(&par->ch_layout, channels);
  const auto head = opusHead(channels);
  par->extradata =
      static_cast<std::uint8_t*>(av_mallocz(head.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (par->extradata == nullptr) {
    avcodec_parameters_free(&par);
    return nullptr;
  }
  std::memcpy(par->extradata, head.data(), head.size());
  par->extradata_size = static_cast<int>(head.size());
  return par;
}

// Adds a stream from parameters made by `make` (freed here).
Result<int> addStream(AvOutput& out, AVCodecParameters* par, AVRational time_base) {
  if (par == nullptr) return makeError("out of memory");
  auto stream = out.addStream(*par, time_base);
  avcodec_parameters_free(&par);
  return stream;
}

double seconds(std::int64_t pts, std::uint32_t clock_rate) {
  return static_cast<double>(pts) / static_cast<double>(clock_rate);
}

Result<ExportReport> exportTo(const std::filesystem::path& directory,
                              const std::filesystem::path& output, const Container& container,
                              const ExportOptions& options, bool& created) {
  ExportReport report;
  report.container = container.muxer;
  auto index = readIndex(directory);
  if (!index) return index.error();
  auto plan = chooseTracks(*index, container, report.notes);
  if (!plan) return plan.error();

  auto found = probe(directory, *plan, options);
  if (!found) return found.error();
  const auto media = (directory / kMediaFileName).string();
  if (found->video_packets + found->audio_packets == 0) {
    return makeError("empty recording: " + media + " holds no RTP packets of its tracks");
  }
  if (plan->video >= 0 && !found->keyframe) {
    report.notes.push_back("track " + std::to_string(plan->video) + " (video) left out: " +
                           (found->video_packets == 0 ? "no packets" : "no complete keyframe"));
    plan->video = -1;
  }
  if (plan->audio >= 0 && !found->audio) {
    report.notes.push_back("track " + std::to_string(plan->audio) + " (audio) left out: " +
                           (found->audio_packets == 0 ? "no packets" : "no valid frame"));
    plan->audio = -1;
  }
  if (plan->video < 0 && plan->audio < 0) {
    return makeError("empty recording: " + media + " holds no decodable frame");
  }

  auto out = AvOutput::create(output, container.muxer);
  if (!out) return out.error();
  created = true;
  report.tracks.reserve(2);
  std::size_t video_entry = 0;
  std::size_t audio_entry = 0;
  int video_stream = -1;
  int audio_stream = -1;
  std::unique_ptr<AacTranscoder> aac;
  std::uint32_t video_clock = 90'000;
  std::uint32_t audio_clock = AacTranscoder::kSampleRate;
  if (plan->video >= 0) {
    const RecordedTrack& t = index->tracks[static_cast<std::size_t>(plan->video)].track;
    video_clock = t.clock_rate;
    const Codec codec = codecOf(t.codec);
    auto picture = probeKeyframe(codec, *found->keyframe);
    if (!picture) {
      return makeError("track " + std::to_string(plan->video) + ": " + picture.error().message);
    }
    video_entry = report.tracks.size();
    ExportedTrack& e = report.tracks.emplace_back();
    e.index = plan->video;
    e.kind = t.kind;
    e.codec = t.codec;
    e.output_codec = codec == Codec::kVp8 ? "vp8" : "h264";
    e.width = picture->width;
    e.height = picture->height;
    const auto extradata =
        codec == Codec::kH264 ? parameterSets(*found->keyframe) : std::vector<std::uint8_t>();
    auto stream = addStream(**out, videoParameters(codec, *picture, extradata),
                            AVRational{1, static_cast<int>(video_clock)});
    if (!stream) return stream.error();
    video_stream = *stream;
  }
  if (plan->audio >= 0) {
    const RecordedTrack& t = index->tracks[static_cast<std::size_t>(plan->audio)].track;
    audio_clock = t.clock_rate;
    // SDP says 2 for every Opus stream (RFC 7587 §7); decoders mix a mono stream up.
    const int channels = t.channels == 1 ? 1 : 2;
    audio_entry = report.tracks.size();
    ExportedTrack& e = report.tracks.emplace_back();
    e.index = plan->audio;
    e.kind = t.kind;
    e.codec = t.codec;
    AVCodecParameters* par = nullptr;
    AVRational time_base{1, AacTranscoder::kSampleRate};
    if (container.video == Codec::kVp8) {
      e.output_codec = "opus";
      par = opusParameters(channels);
      time_base = AVRational{1, static_cast<int>(audio_clock)};
    } else {
      e.output_codec = "aac";
      auto made =
          AacTranscoder::create(channels, options.aac_bitrate_bps, (*out)->wantsGlobalHeader());
      if (!made) return made.error();
      aac = std::move(made).value();
      par = avcodec_parameters_alloc();
      if (par != nullptr && avcodec_parameters_from_context(par, &aac->encoder()) < 0) {
        avcodec_parameters_free(&par);
      }
    }
    auto stream = addStream(**out, par, time_base);
    if (!stream) return stream.error();
    audio_stream = *stream;
  }
  if (auto started = (*out)->start(); !started) return started.error();

  // Pass two.
  auto reader = RecordingReader::open(directory, options.reorder_window);
  if (!reader) return reader.error();
  AvOutput& muxer = **out;
  const auto write_aac = [&](AVPacket& packet) {
    return muxer.writeEncoded(audio_stream, packet, AVRational{1, AacTranscoder::kSampleRate});
  };
  bool first_video = true;
  bool first_audio = true;
  while (auto f = reader->next()) {
    Status written;
    if (f->track == plan->video) {
      written = muxer.writeFrame(video_stream, f->frame.data, f->pts, f->frame.keyframe);
      ExportedTrack& e = report.tracks[video_entry];
      if (first_video) e.first_seconds = seconds(f->pts, video_clock);
      e.last_seconds = seconds(f->pts, video_clock);
      first_video = false;
      ++e.frames_written;
    } else if (f->track == plan->audio) {
      if (aac) {
        const std::int64_t pts = f->pts * AacTranscoder::kSampleRate / audio_clock;
        written = aac->push(f->frame.data, pts, write_aac);
      } else {
        written = muxer.writeFrame(audio_stream, f->frame.data, f->pts, true);
      }
      ExportedTrack& e = report.tracks[audio_entry];
      if (first_audio) e.first_seconds = seconds(f->pts, audio_clock);
      e.last_seconds = seconds(f->pts, audio_clock);
      first_audio = false;
      ++e.frames_written;
    }
    if (!written) return written.error();
  }
  if (aac) {
    if (auto flushed = aac->finish(write_aac); !flushed) return flushed.error();
  }
  if (auto finished = muxer.finish(); !finished) return finished.error();

  for (ExportedTrack& e : report.tracks) {
    const TrackReadStats s = reader->trackStats(e.index);
    e.packets = s.packets;
    e.frames_damaged = s.frames.frames_damaged;
    e.frames_skipped = s.frames.frames_skipped;
    e.late_packets = s.late;
  }
  if (aac && aac->packetsRejected() > 0) {
    report.notes.push_back(std::to_string(aac->packetsRejected()) +
                           " Opus packets could not be decoded and were left out");
  }
  report.truncated = reader->pcap().truncated();
  if (report.truncated) {
    report.notes.push_back(media + " ends inside a record after byte " +
                           std::to_string(reader->pcap().offset()) +
                           " (the recorder did not stop cleanly); read up to there");
  }
  if (reader->pcap().corrupt()) {
    report.notes.push_back(media + " has a corrupt record after byte " +
                           std::to_string(reader->pcap().offset()) + "; read up to there");
  }
  return report;
}

}  // namespace

void quietLibavLogs() {
  av_log_set_level(AV_LOG_ERROR);
}

Result<ExportReport> exportRecording(const std::filesystem::path& directory,
                                     const std::filesystem::path& output,
                                     const ExportOptions& options) {
  const auto container = containerFor(output);
  if (!container) {
    return makeError("cannot export to " + output.string() +
                     ": the file name must end in .webm (VP8 + Opus) or .mp4 (H.264 + AAC)");
  }
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    return makeError(directory.string() + " is not a recording directory");
  }
  bool created = false;
  auto report = exportTo(directory, output, *container, options, created);
  if (!report) {
    // No half-written file left behind to be mistaken for an export.
    if (created) std::filesystem::remove(output, error);
    return makeError("cannot export " + directory.string() + ": " + report.error().message);
  }
  return report;
}

}  // namespace throng::record
