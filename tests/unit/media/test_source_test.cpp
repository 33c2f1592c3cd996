// TestSource: a short real-time run at 320x240 gives paced, well-stamped payloads; a keyframe
// request is honoured on the next frame; stop() is prompt. And its options are checked.
#include "media/test_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace throng::media {
namespace {

using namespace std::chrono_literals;

// Collects batches; on the fifth video frame asks for a keyframe from inside the callback (the
// source's thread), so "the next frame" is well defined.
class CollectingSink : public PayloadSink {
 public:
  void onMediaPayloads(PayloadBatch batch) override {
    std::lock_guard lock(mutex_);
    if (batch.track == Track::kVideo) {
      video_.push_back(std::move(batch));
      if (video_.size() == kRequestAfter && source_ != nullptr) source_->requestKeyframe();
    } else {
      audio_.push_back(std::move(batch));
    }
    changed_.notify_all();
  }

  bool waitFor(std::size_t video, std::size_t audio, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return video_.size() >= video && audio_.size() >= audio; });
  }

  static constexpr std::size_t kRequestAfter = 5;
  TestSource* source_ = nullptr;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<PayloadBatch> video_;
  std::vector<PayloadBatch> audio_;
};

TestSourceOptions smallOptions(VideoCodec codec) {
  TestSourceOptions options;
  options.codec = codec;
  options.width = 320;
  options.height = 240;
  options.fps = 30;
  options.video_bitrate_kbps = 500;
  return options;
}

double toMs(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

class TestSourceRun : public ::testing::TestWithParam<VideoCodec> {};

TEST_P(TestSourceRun, PacedStampedAndKeyframeOnRequest) {
  CollectingSink sink;
  TestSource source(smallOptions(GetParam()), sink);
  sink.source_ = &source;
  source.start();
  // ~0.6 s of media: 18 frames at 30 fps, 30 blocks of 20 ms.
  ASSERT_TRUE(sink.waitFor(18, 30, 20s));
  const auto before_stop = std::chrono::steady_clock::now();
  source.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before_stop, 500ms);

  const TestSource::Stats stats = source.stats();
  std::lock_guard lock(sink.mutex_);
  const auto& video = sink.video_;
  const auto& audio = sink.audio_;
  EXPECT_EQ(stats.video_frames, video.size());
  EXPECT_EQ(stats.audio_frames, audio.size());
  EXPECT_EQ(stats.encode_errors, 0u);
  EXPECT_GT(stats.mean_encode_ms, 0.0);
  EXPECT_GE(stats.keyframes, 2u);

  // Video: 3000 ticks per frame at 30 fps; a skipped capture instant (a busy machine) shows as a
  // longer step, counted in stats.
  std::uint64_t gaps = 0;
  ASSERT_TRUE(video[0].keyframe);
  ASSERT_TRUE(video[0].payloads[0].keyframe_start);
  for (std::size_t i = 0; i < video.size(); ++i) {
    const PayloadBatch& b = video[i];
    ASSERT_FALSE(b.payloads.empty());
    for (std::size_t j = 0; j < b.payloads.size(); ++j) {
      const Payload& p = b.payloads[j];
      EXPECT_EQ(p.track, Track::kVideo);
      EXPECT_LE(p.bytes.size(), 1200u);
      EXPECT_EQ(p.marker, j + 1 == b.payloads.size());
      EXPECT_EQ(p.keyframe_start, j == 0 && b.keyframe);
      EXPECT_EQ(p.rtp_timestamp, b.payloads[0].rtp_timestamp);
    }
    if (i == 0) continue;
    const std::uint32_t step = b.payloads[0].rtp_timestamp - video[i - 1].payloads[0].rtp_timestamp;
    ASSERT_GT(step, 0u);
    ASSERT_EQ(step % 3000, 0u) << "frame " << i;
    gaps += step / 3000 - 1;
    const auto captured_step = b.captured - video[i - 1].captured;
    EXPECT_NEAR(toMs(captured_step), step / 90.0, 0.01);
  }
  EXPECT_EQ(gaps, stats.skipped_frames);
  // The request made while handling frame 5 made frame 6 a keyframe, though the interval (30
  // frames) would not have.
  EXPECT_TRUE(video[CollectingSink::kRequestAfter].keyframe);
  EXPECT_FALSE(video[CollectingSink::kRequestAfter - 1].keyframe);

  std::uint64_t audio_gaps = 0;
  for (std::size_t i = 0; i < audio.size(); ++i) {
    ASSERT_EQ(audio[i].payloads.size(), 1u);
    const Payload& p = audio[i].payloads[0];
    EXPECT_EQ(p.track, Track::kAudio);
    EXPECT_FALSE(p.marker);
    EXPECT_FALSE(p.bytes.empty());
    if (i == 0) continue;
    const std::uint32_t step = p.rtp_timestamp - audio[i - 1].payloads[0].rtp_timestamp;
    ASSERT_GT(step, 0u);
    ASSERT_EQ(step % 960, 0u) << "block " << i;
    audio_gaps += step / 960 - 1;
  }
  EXPECT_EQ(audio_gaps, stats.skipped_audio_frames);

  // Pacing: the media spans about as much capture time as was produced.
  const auto span = video.back().captured - video.front().captured;
  EXPECT_NEAR(toMs(span), static_cast<double>(video.size() - 1 + gaps) * 1000.0 / 30.0, 0.01);
}

INSTANTIATE_TEST_SUITE_P(Codecs, TestSourceRun,
                         ::testing::Values(VideoCodec::kVp8, VideoCodec::kH264),
                         [](const auto& param_info) {
                           return std::string(videoCodecName(param_info.param));
                         });

TEST(TestSource, NamesAndFmtp) {
  CollectingSink sink;
  TestSource vp8(smallOptions(VideoCodec::kVp8), sink);
  EXPECT_EQ(vp8.videoCodecName(), "VP8");
  EXPECT_EQ(vp8.videoFmtp(), "");
  TestSource h264(smallOptions(VideoCodec::kH264), sink);
  EXPECT_EQ(h264.videoCodecName(), "H264");
  const std::string prefix = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42";
  EXPECT_EQ(h264.videoFmtp().substr(0, prefix.size()), prefix);
  EXPECT_EQ(h264.videoFmtp().size(), prefix.size() + 4);
}

TEST(TestSource, StopWithoutStartAndTwiceIsFine) {
  CollectingSink sink;
  TestSource source(smallOptions(VideoCodec::kVp8), sink);
  source.stop();
  source.stop();
  EXPECT_EQ(source.stats().video_frames, 0u);
}

TEST(TestSourceOptions, DefaultsAreValid) {
  EXPECT_TRUE(validateTestSourceOptions(TestSourceOptions{}).ok());
}

TEST(TestSourceOptions, ErrorsNameTheField) {
  const auto error = [](auto change) {
    TestSourceOptions options;
    change(options);
    const Status status = validateTestSourceOptions(options);
    return status.ok() ? std::string() : status.error().message;
  };
  EXPECT_EQ(error([](auto& o) { o.width = 641; }), "width: must be even, 16..3840");
  EXPECT_EQ(error([](auto& o) { o.width = 14; }), "width: must be even, 16..3840");
  EXPECT_EQ(error([](auto& o) { o.width = 3842; }), "width: must be even, 16..3840");
  EXPECT_EQ(error([](auto& o) { o.height = 2162; }), "height: must be even, 16..2160");
  EXPECT_EQ(error([](auto& o) { o.fps = 0; }), "fps: must be 1..60");
  EXPECT_EQ(error([](auto& o) { o.video_bitrate_kbps = 10; }),
            "video_bitrate_kbps: must be 50..50000");
  EXPECT_EQ(error([](auto& o) { o.keyframe_interval_ms = 0; }),
            "keyframe_interval_ms: must be 100..60000");
  EXPECT_EQ(error([](auto& o) { o.audio_bitrate_kbps = 1000; }),
            "audio_bitrate_kbps: must be 6..256");
  EXPECT_EQ(error([](auto& o) { o.max_payload_bytes = 20; }),
            "max_payload_bytes: must be 100..8900");
  EXPECT_EQ(error([](auto& o) { o.codec = static_cast<VideoCodec>(7); }),
            "codec: must be VP8 or H264");
}

TEST(TestSourceOptions, ConstructorRejectsBadOptions) {
  CollectingSink sink;
  TestSourceOptions options = smallOptions(VideoCodec::kVp8);
  options.height = 241;
  try {
    TestSource source(options, sink);
    FAIL() << "accepted an odd height";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "test source: height: must be even, 16..2160");
  }
}

}  // namespace
}  // namespace throng::media
