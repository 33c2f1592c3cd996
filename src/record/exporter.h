// exportRecording: a recording (recorder.h) to a file any player opens, with libavformat and
// libavcodec. WebM: VP8 and Opus copied as they are. MP4: H.264 copied, Opus decoded and
// encoded to AAC. Two passes over media.pcap: the first finds each video track's first
// keyframe (its picture size, and for H.264 the SPS/PPS the MP4 header needs), the second
// writes. Video starts at its first keyframe; after a loss it resumes at the next one.
#pragma once

#include "base/result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace throng::record {

struct ExportOptions {
  std::size_t reorder_window = 256;  // packets per track (RecordingReader)
  int aac_bitrate_bps = 128'000;     // stereo AAC-LC at 128 kbit/s is transparent for speech
};

struct ExportedTrack {
  int index = 0;  // in index.json
  std::string kind;
  std::string codec;         // as recorded
  std::string output_codec;  // as written: "vp8", "h264", "opus", "aac"
  std::uint64_t packets = 0;
  std::uint64_t frames_written = 0;  // video frames or Opus packets written (in)
  std::uint64_t frames_damaged = 0;  // incomplete after a loss
  std::uint64_t frames_skipped = 0;  // whole, waiting for a keyframe
  std::uint64_t late_packets = 0;
  int width = 0;  // video
  int height = 0;
  double first_seconds = 0;  // its first frame's time in the file
  double last_seconds = 0;   // its last frame's
};

struct ExportReport {
  std::string container;  // "webm" or "mp4"
  std::vector<ExportedTrack> tracks;
  std::vector<std::string> notes;  // tracks left out and why, a cut-short pcap
  bool truncated = false;          // media.pcap ended inside a record (a killed recorder)
};

// libav logs its encoders' statistics to stderr at INFO; a command line wants only its errors.
// Process-wide (libav has one log level): call it from main's side, not from a library.
void quietLibavLogs();

// Writes `output` (its extension chooses: .webm or .mp4) from the recording in `directory`.
// Errors are sentences naming the file or track at fault: no index, an unknown codec, a codec
// the container cannot hold, an empty recording, no keyframe.
Result<ExportReport> exportRecording(const std::filesystem::path& directory,
                                     const std::filesystem::path& output,
                                     const ExportOptions& options = {});

}  // namespace throng::record
