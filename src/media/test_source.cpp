// The test source's capture loop (test_source.h).
#include "media/test_source.h"

#include "media/h264_encoder.h"
#include "media/vp8_encoder.h"

#include <pthread.h>

#include <random>
#include <stdexcept>

namespace throng::media {
namespace {

constexpr std::chrono::milliseconds kAudioBlock{20};  // one Opus frame (RFC 7587 §4.2)

std::unique_ptr<VideoEncoder> makeVideoEncoder(const TestSourceOptions& o, std::string& fmtp) {
  if (o.codec == VideoCodec::kH264) {
    H264EncoderOptions h264;
    h264.width = o.width;
    h264.height = o.height;
    h264.fps = o.fps;
    h264.bitrate_kbps = o.video_bitrate_kbps;
    h264.keyframe_interval_ms = o.keyframe_interval_ms;
    auto encoder = H264Encoder::create(h264);
    if (!encoder) throw std::invalid_argument(encoder.error().message);
    // RFC 6184 §8.1; level-asymmetry-allowed (RFC 6184 §8.2.2) lets a browser receive this
    // level while preferring another for what it sends.
    fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" +
           (*encoder)->profileLevelId();
    return std::move(encoder).value();
  }
  Vp8EncoderOptions vp8;
  vp8.width = o.width;
  vp8.height = o.height;
  vp8.fps = o.fps;
  vp8.bitrate_kbps = o.video_bitrate_kbps;
  vp8.keyframe_interval_ms = o.keyframe_interval_ms;
  auto encoder = Vp8Encoder::create(vp8);
  if (!encoder) throw std::invalid_argument(encoder.error().message);
  return std::move(encoder).value();
}

std::unique_ptr<OpusEncoder> makeAudioEncoder(const TestSourceOptions& o) {
  OpusEncoderOptions opus;
  opus.bitrate_kbps = o.audio_bitrate_kbps;
  opus.max_packet_bytes = o.max_payload_bytes;
  auto encoder = OpusEncoder::create(opus);
  if (!encoder) throw std::invalid_argument(encoder.error().message);
  return std::move(encoder).value();
}

const TestSourceOptions& checked(const TestSourceOptions& options) {
  if (auto status = validateTestSourceOptions(options); !status) {
    throw std::invalid_argument("test source: " + status.error().message);
  }
  return options;
}

}  // namespace

TestSource::TestSource(TestSourceOptions options, PayloadSink& sink)
    : options_(checked(options)),
      sink_(sink),
      pattern_(options_.width, options_.height),
      vp8_packetizer_(options_.max_payload_bytes),
      h264_packetizer_(options_.max_payload_bytes) {
  video_encoder_ = makeVideoEncoder(options_, video_fmtp_);
  audio_encoder_ = makeAudioEncoder(options_);
  frame_.allocate(options_.width, options_.height);
  // Random first timestamps (RFC 3550 §5.1); a random first PictureID too, as browsers do.
  std::random_device random;
  video_timestamp_offset_ = random();
  audio_timestamp_offset_ = random();
  vp8_packetizer_ =
      Vp8Packetizer(options_.max_payload_bytes, static_cast<std::uint16_t>(random() & 0x7fff));
}

TestSource::~TestSource() {
  stop();
}

void TestSource::start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "throng-source");
}

void TestSource::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TestSource::requestKeyframe() {
  keyframe_requested_.store(true, std::memory_order_relaxed);
}

std::string TestSource::videoCodecName() const {
  return std::string(media::videoCodecName(options_.codec));
}

TestSource::Stats TestSource::stats() const {
  Stats s;
  s.video_frames = video_frames_.load(std::memory_order_relaxed);
  s.keyframes = keyframes_.load(std::memory_order_relaxed);
  s.audio_frames = audio_frames_.load(std::memory_order_relaxed);
  s.skipped_frames = skipped_frames_.load(std::memory_order_relaxed);
  s.skipped_audio_frames = skipped_audio_frames_.load(std::memory_order_relaxed);
  s.encode_errors = encode_errors_.load(std::memory_order_relaxed);
  const auto calls = encode_calls_.load(std::memory_order_relaxed);
  if (calls > 0) {
    s.mean_encode_ms = static_cast<double>(encode_ns_.load(std::memory_order_relaxed)) / 1e6 /
                       static_cast<double>(calls);
  }
  return s;
}

void TestSource::setPaused(bool paused) {
  if (!paused_.exchange(paused) || paused) return;
  keyframe_requested_.store(true, std::memory_order_relaxed);  // a decoder resumes on a keyframe
}

void TestSource::run() {
  using std::chrono::nanoseconds;
  const Clock::time_point start = Clock::now();
  const auto wall_start = std::chrono::system_clock::now();
  const auto fps = static_cast<std::uint64_t>(options_.fps);
  // Capture instants from the start time and an index, so rounding never accumulates.
  const auto video_instant = [&](std::uint64_t k) {
    return start + nanoseconds(static_cast<std::int64_t>(k * 1'000'000'000ULL / fps));
  };
  const auto audio_instant = [&](std::uint64_t j) {
    return start + kAudioBlock * static_cast<std::int64_t>(j);
  };
  const auto wall_at = [&](Clock::time_point instant) {
    return wall_start +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(instant - start);
  };

  std::uint64_t video_index = 0;
  std::uint64_t audio_index = 0;
  for (;;) {
    const Clock::time_point next_video = video_instant(video_index);
    const Clock::time_point next_audio = audio_instant(audio_index);
    const bool audio_first = next_audio <= next_video;
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_until(lock, audio_first ? next_audio : next_video,
                           [this] { return stopping_; })) {
        return;
      }
    }
    const Clock::time_point now = Clock::now();
    if (paused_.load(std::memory_order_relaxed)) {
      // Idle at the same pace: the indices move on, nothing is produced.
      if (audio_first) {
        ++audio_index;
      } else {
        ++video_index;
      }
      continue;
    }
    const auto elapsed =
        static_cast<std::uint64_t>(std::chrono::duration_cast<nanoseconds>(now - start).count());
    if (audio_first) {
      // Later than the following instant: skip to the newest one that has passed.
      if (now >= audio_instant(audio_index + 1)) {
        const std::uint64_t latest =
            elapsed / static_cast<std::uint64_t>(nanoseconds(kAudioBlock).count());
        skipped_audio_frames_.fetch_add(latest - audio_index, std::memory_order_relaxed);
        audio_index = latest;
      }
      const Clock::time_point instant = audio_instant(audio_index);
      produceAudio(audio_index, instant, wall_at(instant));
      ++audio_index;
    } else {
      if (now >= video_instant(video_index + 1)) {
        const std::uint64_t latest = elapsed * fps / 1'000'000'000ULL;
        skipped_frames_.fetch_add(latest - video_index, std::memory_order_relaxed);
        video_index = latest;
      }
      const Clock::time_point instant = video_instant(video_index);
      produceVideo(video_index, instant, wall_at(instant));
      ++video_index;
    }
  }
}

void TestSource::produceVideo(std::uint64_t index, Clock::time_point instant,
                              std::chrono::system_clock::time_point wall_clock) {
  pattern_.render(frame_, index, wall_clock);
  const auto timestamp = static_cast<std::uint32_t>(
      video_timestamp_offset_ + index * kVideoClockRate / static_cast<std::uint64_t>(options_.fps));
  const bool force = keyframe_requested_.exchange(false, std::memory_order_relaxed);

  const Clock::time_point before = Clock::now();
  const bool ok = video_encoder_->encodeInto(frame_, force, timestamp, encoded_);
  encode_ns_.fetch_add(
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - before).count()),
      std::memory_order_relaxed);
  encode_calls_.fetch_add(1, std::memory_order_relaxed);
  if (!ok) {
    encode_errors_.fetch_add(1, std::memory_order_relaxed);
    if (force) keyframe_requested_.store(true, std::memory_order_relaxed);  // try again
    return;
  }

  PayloadBatch batch;
  batch.track = Track::kVideo;
  batch.keyframe = encoded_.keyframe;
  batch.captured = instant;
  batch.payloads.reserve(encoded_.data.size() / (options_.max_payload_bytes - 4) + 4);
  if (options_.codec == VideoCodec::kH264) {
    h264_packetizer_.packetize(encoded_, batch.payloads);
  } else {
    vp8_packetizer_.packetize(encoded_, batch.payloads);
  }
  video_frames_.fetch_add(1, std::memory_order_relaxed);
  if (encoded_.keyframe) keyframes_.fetch_add(1, std::memory_order_relaxed);
  if (!batch.payloads.empty()) sink_.onMediaPayloads(std::move(batch));
}

void TestSource::produceAudio(std::uint64_t index, Clock::time_point instant,
                              std::chrono::system_clock::time_point wall_clock) {
  tone_.render(pcm_, wall_clock);
  auto packet = audio_encoder_->encode(pcm_);
  if (!packet) {
    encode_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  PayloadBatch batch;
  batch.track = Track::kAudio;
  batch.captured = instant;
  Payload& payload = batch.payloads.emplace_back();
  payload.track = Track::kAudio;
  payload.bytes = std::move(*packet);
  payload.rtp_timestamp = static_cast<std::uint32_t>(
      audio_timestamp_offset_ + index * static_cast<std::uint64_t>(kOpusFrameSamples));
  audio_frames_.fetch_add(1, std::memory_order_relaxed);
  sink_.onMediaPayloads(std::move(batch));
}

}  // namespace throng::media
