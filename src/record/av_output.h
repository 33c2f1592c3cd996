// AvOutput: one media file written by libavformat (WebM or MP4). Streams are declared first,
// then the header is written, then packets go in with their times in the stream's own clock;
// libavformat interleaves them. Copied streams (VP8, H.264, Opus) get each packet's duration
// from the next packet's time, so the last frame of an MP4 is as long as the one before it.
// One thread; errors name the file.
#pragma once

#include "base/result.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace throng::record {

// libav's error code as text.
std::string avErrorText(int code);

class AvOutput {
 public:
  // `format` is a libavformat muxer name: "webm" or "mp4".
  static Result<std::unique_ptr<AvOutput>> create(const std::filesystem::path& path,
                                                  const char* format);
  ~AvOutput();
  AvOutput(const AvOutput&) = delete;
  AvOutput& operator=(const AvOutput&) = delete;

  // Whether the container wants codec headers in extradata rather than in the stream
  // (AVFMT_GLOBALHEADER: MP4), for encoders feeding it.
  bool wantsGlobalHeader() const;

  // Adds a stream copied from `parameters`; packets are timed in `time_base`. Returns its index.
  Result<int> addStream(const AVCodecParameters& parameters, AVRational time_base);

  // Writes the header; call once, after every stream is added.
  Status start();

  // A frame of a copied stream, `pts` in that stream's time base.
  Status writeFrame(int stream, std::span<const std::uint8_t> data, std::int64_t pts,
                    bool keyframe);
  // A packet from an encoder (pts, dts and duration set, in `time_base`).
  Status writeEncoded(int stream, AVPacket& packet, AVRational time_base);

  // Writes the frames held back and the trailer, and closes the file.
  Status finish();

 private:
  struct Stream {
    AVRational time_base{1, 1};      // of the times given to write*
    std::vector<std::uint8_t> held;  // the last frame, waiting for its duration
    std::int64_t held_pts = 0;
    bool held_keyframe = false;
    bool holding = false;
    std::int64_t last_duration = 0;
    std::int64_t last_dts = INT64_MIN;  // in the muxer's time base
  };

  AvOutput(std::filesystem::path path, AVFormatContext* context);
  Status writeHeld(int stream, std::int64_t duration);
  Status writePacket(int stream, AVPacket& packet, AVRational time_base);

  std::filesystem::path path_;
  AVFormatContext* context_;  // owned: freed by the destructor
  std::vector<Stream> streams_;
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace throng::record
