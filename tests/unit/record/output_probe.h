// Opens an exported file with libavformat and decodes every video frame with libavcodec: what
// a player would find in it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace throng::record::testing {

struct ProbedFile {
  std::string error;  // empty when the file opened
  std::string format;
  std::string video_codec;  // libavcodec's names: "vp8", "h264"; empty when none
  std::string audio_codec;  // "opus", "aac"
  int width = 0;
  int height = 0;
  int video_packets = 0;
  int video_frames_decoded = 0;
  int video_decode_errors = 0;
  int audio_packets = 0;
  double video_start = 0;  // first packet's time
  double audio_start = 0;
  double video_seconds = 0;  // last packet end - first packet start
  double audio_seconds = 0;
  double duration = 0;  // the container's
};

ProbedFile probeFile(const std::filesystem::path& path);

// Runs tshark on a pcap, decoding `ports` as RTP; returns the RTP sequence numbers it printed
// per line ("seq port"), and its exit status.
struct TsharkResult {
  bool available = false;
  int status = -1;
  std::string output;
  int rtp_packets = 0;
};
TsharkResult runTshark(const std::filesystem::path& pcap, const std::vector<int>& ports);

}  // namespace throng::record::testing
