// TestStream: the built-in test source (media/) published as an event's WebRTC stream (rtc/).
// `throng demo` runs one for the demo event so that the watch page plays something at once.
// A WHIP publisher of the event takes over: the source then pauses (no encoding for nobody),
// and the viewers, who stay connected, see the publisher — or "offline" once it leaves.
#pragma once

#include "media/test_source.h"
#include "rtc/media_stream.h"
#include "server/config.h"

#include <memory>

namespace throng::rtc {
class RtcService;
}

namespace throng::server {

class TestStream final : public media::PayloadSink, public rtc::KeyframeListener {
 public:
  // Throws ConfigError naming the test_source.* key at fault. Non-owning: `service` outlives
  // the test stream.
  TestStream(const TestSourceConfig& config, rtc::RtcService& service);
  ~TestStream() override;

  void start();
  // Stops the encoder thread and takes the stream off the air. Idempotent.
  void stop();

  // The source's thread: one encoded frame or audio block.
  void onMediaPayloads(media::PayloadBatch batch) override;
  // Any thread (a worker), already debounced by the stream.
  void onKeyframeWanted() override;

  const rtc::MediaStream& stream() const { return *stream_; }
  media::TestSource::Stats sourceStats() const { return source_->stats(); }

 private:
  static constexpr int kVideoTrack = 0;
  static constexpr int kAudioTrack = 1;

  rtc::RtcService& service_;
  std::string slug_;
  std::unique_ptr<media::TestSource> source_;
  std::shared_ptr<rtc::MediaStream> stream_;
  std::uint64_t publisher_ = 0;  // ours, from the stream
  bool stopped_ = false;
};

}  // namespace throng::server
