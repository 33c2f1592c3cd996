// Reading exported files back with libav, and pcaps with tshark (output_probe.h).
#include "output_probe.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <sstream>
#include <vector>

namespace throng::record::testing {

ProbedFile probeFile(const std::filesystem::path& path) {
  ProbedFile out;
  AVFormatContext* format = nullptr;
  if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0) {
    out.error = "cannot open " + path.string();
    return out;
  }
  if (avformat_find_stream_info(format, nullptr) < 0) {
    out.error = "no stream info";
    avformat_close_input(&format);
    return out;
  }
  out.format = format->iformat->name;
  if (format->duration > 0) out.duration = static_cast<double>(format->duration) / AV_TIME_BASE;

  int video = -1;
  int audio = -1;
  AVCodecContext* decoder = nullptr;
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVCodecParameters* par = format->streams[i]->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && video < 0) {
      video = static_cast<int>(i);
      out.video_codec = avcodec_get_name(par->codec_id);
      out.width = par->width;
      out.height = par->height;
      const AVCodec* codec = avcodec_find_decoder(par->codec_id);
      decoder = avcodec_alloc_context3(codec);
      avcodec_parameters_to_context(decoder, par);
      if (avcodec_open2(decoder, codec, nullptr) < 0) avcodec_free_context(&decoder);
    }
    if (par->codec_type == AVMEDIA_TYPE_AUDIO && audio < 0) {
      audio = static_cast<int>(i);
      out.audio_codec = avcodec_get_name(par->codec_id);
    }
  }

  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  double first[2] = {-1, -1};
  double last_end[2] = {0, 0};
  const auto receive = [&] {
    while (avcodec_receive_frame(decoder, frame) == 0) {
      ++out.video_frames_decoded;
      av_frame_unref(frame);
    }
  };
  while (av_read_frame(format, packet) >= 0) {
    const int kind = packet->stream_index == video ? 0 : packet->stream_index == audio ? 1 : -1;
    if (kind >= 0) {
      const AVRational tb = format->streams[packet->stream_index]->time_base;
      const double start = static_cast<double>(packet->pts) * av_q2d(tb);
      const double end = static_cast<double>(packet->pts + packet->duration) * av_q2d(tb);
      if (first[kind] < 0 || start < first[kind]) first[kind] = start;
      if (end > last_end[kind]) last_end[kind] = end;
    }
    if (kind == 0) {
      ++out.video_packets;
      if (decoder != nullptr) {
        if (avcodec_send_packet(decoder, packet) < 0) ++out.video_decode_errors;
        receive();
      }
    } else if (kind == 1) {
      ++out.audio_packets;
    }
    av_packet_unref(packet);
  }
  if (decoder != nullptr) {
    avcodec_send_packet(decoder, nullptr);
    receive();
  }
  out.video_start = first[0];
  out.audio_start = first[1];
  out.video_seconds = first[0] < 0 ? 0 : last_end[0] - first[0];
  out.audio_seconds = first[1] < 0 ? 0 : last_end[1] - first[1];
  av_frame_free(&frame);
  av_packet_free(&packet);
  avcodec_free_context(&decoder);
  avformat_close_input(&format);
  return out;
}

TsharkResult runTshark(const std::filesystem::path& pcap, const std::vector<int>& ports) {
  TsharkResult result;
  result.available = std::system("command -v tshark >/dev/null 2>&1") == 0;
  if (!result.available) return result;
  std::string command = "tshark -n -r '" + pcap.string() + "'";
  for (const int port : ports) command += " -d udp.port==" + std::to_string(port) + ",rtp";
  command += " -T fields -e rtp.seq -e udp.dstport 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream lines(result.output);
  std::string line;
  while (std::getline(lines, line)) {
    int sequence = -1;
    int port = -1;
    if (std::sscanf(line.c_str(), "%d\t%d", &sequence, &port) == 2) ++result.rtp_packets;
  }
  return result;
}

}  // namespace throng::record::testing
