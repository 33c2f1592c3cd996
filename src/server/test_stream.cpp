#include "server/test_stream.h"

#include "rtc/rtc_service.h"

namespace throng::server {

namespace {

media::TestSourceOptions sourceOptions(const TestSourceConfig& config) {
  media::TestSourceOptions options;
  options.codec = config.codec == "h264" ? media::VideoCodec::kH264 : media::VideoCodec::kVp8;
  options.width = config.width;
  options.height = config.height;
  options.fps = config.fps;
  options.video_bitrate_kbps = config.video_bitrate_kbps;
  options.keyframe_interval_ms = config.keyframe_interval_ms;
  return options;
}

}  // namespace

TestStream::TestStream(const TestSourceConfig& config, rtc::RtcService& service)
    : service_(service), slug_(config.event) {
  const auto options = sourceOptions(config);
  if (auto valid = media::validateTestSourceOptions(options); !valid) {
    // The message starts with "<option>: ", and options are named like the keys.
    const auto& message = valid.error().message;
    const auto colon = message.find(':');
    throw ConfigError(colon == std::string::npos
                          ? "config key 'test_source': " + message
                          : "config key 'test_source." + message.substr(0, colon) + "'" +
                                message.substr(colon));
  }
  try {
    source_ = std::make_unique<media::TestSource>(options, *this);
  } catch (const std::exception& e) {
    throw ConfigError(std::string("config key 'test_source.codec': the encoder refused: ") +
                      e.what());
  }
  std::vector<rtc::TrackDescription> tracks(2);
  tracks[kVideoTrack].kind = rtc::MediaKind::kVideo;
  tracks[kVideoTrack].codec = source_->videoCodecName();
  tracks[kVideoTrack].clock_rate = 90000;  // RFC 7741 §6.1, RFC 6184 §8.1
  tracks[kVideoTrack].fmtp = source_->videoFmtp();
  tracks[kAudioTrack].kind = rtc::MediaKind::kAudio;
  tracks[kAudioTrack].codec = "opus";
  tracks[kAudioTrack].clock_rate = 48000;
  tracks[kAudioTrack].channels = 2;  // RFC 7587 §7: always "opus/48000/2" in SDP
  tracks[kAudioTrack].fmtp = "minptime=10;useinbandfec=1";
  stream_ = service_.openStream(slug_, std::move(tracks));
  publisher_ = stream_->claimPublisher(this);
}

TestStream::~TestStream() { stop(); }

void TestStream::start() { source_->start(); }

void TestStream::stop() {
  if (stopped_) return;
  stopped_ = true;
  stream_->releasePublisher(publisher_);  // no more keyframe requests reach the source
  if (service_.findStream(slug_) == stream_) service_.closeStream(slug_);
  source_->stop();
}

void TestStream::onMediaPayloads(media::PayloadBatch batch) {
  std::vector<rtc::StreamPayload> payloads;
  payloads.reserve(batch.payloads.size());
  const int track = batch.track == media::Track::kVideo ? kVideoTrack : kAudioTrack;
  for (auto& payload : batch.payloads) {
    rtc::StreamPayload out;
    out.track = track;
    out.bytes = std::move(payload.bytes);
    out.rtp_timestamp = payload.rtp_timestamp;
    out.marker = payload.marker;
    out.keyframe_start = payload.keyframe_start;
    out.captured = batch.captured;
    payloads.push_back(std::move(out));
  }
  if (!stream_->publish(publisher_, std::move(payloads))) {
    source_->setPaused(true);  // a publisher took the stream over
  }
}

void TestStream::onKeyframeWanted() { source_->requestKeyframe(); }

}  // namespace throng::server
