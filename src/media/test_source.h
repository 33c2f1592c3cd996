// TestSource: the built-in test stream. A thread of its own draws the test picture and the tone
// in real time, encodes them (VP8 or H.264, and Opus) and hands RTP payloads to a sink, so that
// the server can be watched and measured with no publisher attached.
#pragma once

#include "media/h264_packetizer.h"
#include "media/i420_frame.h"
#include "media/opus_encoder.h"
#include "media/payload.h"
#include "media/test_pattern.h"
#include "media/test_source_options.h"
#include "media/tone.h"
#include "media/video_encoder.h"
#include "media/vp8_packetizer.h"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace throng::media {

// Receives the test source's output.
class PayloadSink {
 public:
  virtual ~PayloadSink() = default;
  // Called on the source's own thread, once per video frame or 20 ms audio block, in capture
  // order. Must return quickly (post the batch on, do not send from here): the source's pacing
  // and stop() wait for it. May call requestKeyframe(), never stop().
  virtual void onMediaPayloads(PayloadBatch batch) = 0;
};

class TestSource {
 public:
  // Throws std::invalid_argument if validateTestSourceOptions rejects `options` or an encoder
  // cannot be built (startup only; check the options first to report a config error). `sink`
  // is not owned and must outlive the source.
  TestSource(TestSourceOptions options, PayloadSink& sink);
  ~TestSource();  // stops
  TestSource(const TestSource&) = delete;
  TestSource& operator=(const TestSource&) = delete;

  // Starts the source's thread: a video frame every 1/fps and an audio block every 20 ms,
  // paced on steady_clock. RTP timestamps count frames (90 kHz) and samples (48 kHz) from
  // random offsets (RFC 3550 §5.1). When encoding falls behind, capture instants are skipped
  // (and counted), never queued. Only the first call does anything; a stopped source stays
  // stopped.
  void start();
  // Stops and joins the thread: returns once the frame being encoded, if any, is handed over.
  void stop();
  // Any thread: the next video frame encoded is a keyframe (answering a PLI/FIR).
  void requestKeyframe();
  // Any thread: while paused nothing is drawn, encoded or handed over (the thread keeps its
  // pace, idle); on resuming, the next video frame is a keyframe.
  void setPaused(bool paused);

  const TestSourceOptions& options() const { return options_; }
  std::string videoCodecName() const;  // "VP8" or "H264"
  // SDP a=fmtp parameters for the video payload type: "" for VP8; for H.264
  // "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=<from the encoder>".
  std::string videoFmtp() const { return video_fmtp_; }

  struct Stats {
    std::uint64_t video_frames = 0;
    std::uint64_t keyframes = 0;
    std::uint64_t audio_frames = 0;
    std::uint64_t skipped_frames = 0;        // video capture instants skipped (too slow)
    std::uint64_t skipped_audio_frames = 0;  // 20 ms audio blocks skipped
    std::uint64_t encode_errors = 0;
    double mean_encode_ms = 0;  // wall time per video encode call
  };
  Stats stats() const;  // any thread

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  std::atomic<bool> paused_{false};
  void produceVideo(std::uint64_t index, Clock::time_point instant,
                    std::chrono::system_clock::time_point wall_clock);
  void produceAudio(std::uint64_t index, Clock::time_point instant,
                    std::chrono::system_clock::time_point wall_clock);

  TestSourceOptions options_;
  PayloadSink& sink_;  // not owned

  // Used only on the source's thread once started.
  TestPattern pattern_;
  Tone tone_;
  std::unique_ptr<VideoEncoder> video_encoder_;
  std::unique_ptr<OpusEncoder> audio_encoder_;
  Vp8Packetizer vp8_packetizer_;
  H264Packetizer h264_packetizer_;
  I420Frame frame_;       // redrawn for every frame
  EncodedFrame encoded_;  // its data's capacity is reused
  std::array<std::int16_t, kOpusFrameSamples * kOpusChannels> pcm_{};
  std::uint32_t video_timestamp_offset_;
  std::uint32_t audio_timestamp_offset_;
  std::string video_fmtp_;

  std::thread thread_;
  std::mutex mutex_;  // guards stopping_; the thread sleeps on wake_ between captures
  std::condition_variable wake_;
  bool stopping_ = false;
  bool started_ = false;

  std::atomic<bool> keyframe_requested_{false};
  std::atomic<std::uint64_t> video_frames_{0};
  std::atomic<std::uint64_t> keyframes_{0};
  std::atomic<std::uint64_t> audio_frames_{0};
  std::atomic<std::uint64_t> skipped_frames_{0};
  std::atomic<std::uint64_t> skipped_audio_frames_{0};
  std::atomic<std::uint64_t> encode_errors_{0};
  std::atomic<std::uint64_t> encode_calls_{0};
  std::atomic<std::uint64_t> encode_ns_{0};
};

}  // namespace throng::media
