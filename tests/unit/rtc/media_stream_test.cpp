// MediaStream as WHIP publishers use it: who may publish (claimPublisher/releasePublisher: a
// newer publisher cuts off the one before it, a stale release changes nothing), keyframe
// requests reaching only the current publisher, and publishing under explicit sequence
// numbers — the publisher's own numbering shifted, so that a loss upstream stays a gap that a
// late retransmission fills (serial arithmetic, RFC 3550 A.1, across the 16-bit wrap).
#include "rtc/media_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

namespace throng::rtc {
namespace {

std::shared_ptr<MediaStream> makeStream() {
  std::vector<TrackDescription> tracks(2);
  tracks[0].kind = MediaKind::kVideo;
  tracks[0].codec = "VP8";
  tracks[1].kind = MediaKind::kAudio;
  tracks[1].codec = "opus";
  tracks[1].clock_rate = 48000;
  tracks[1].channels = 2;
  // No workers: published packets are built and counted, and posted nowhere.
  return std::make_shared<MediaStream>("demo", tracks, std::vector<RtcShard*>{});
}

StreamPayload payload(int track, std::optional<std::uint16_t> sequence = std::nullopt) {
  StreamPayload p;
  p.track = track;
  p.bytes = "payload";
  p.sequence = sequence;
  return p;
}

bool publishOne(MediaStream& stream, std::uint64_t publisher, StreamPayload p) {
  std::vector<StreamPayload> one;
  one.push_back(std::move(p));
  return stream.publish(publisher, std::move(one));
}

class CountingListener : public KeyframeListener {
 public:
  void onKeyframeWanted() override { ++requests; }
  int requests = 0;
};

TEST(MediaStreamPublisher, OneHoldsTheStreamAtATime) {
  auto stream = makeStream();
  EXPECT_FALSE(stream->live());
  EXPECT_EQ(stream->currentPublisher(), 0u);
  EXPECT_FALSE(publishOne(*stream, 0, payload(0)));  // nobody: 0 is never a publisher
  EXPECT_FALSE(publishOne(*stream, 1, payload(0)));  // not claimed yet
  EXPECT_EQ(stream->stats().packets, 0u);

  const auto first = stream->claimPublisher(nullptr);
  EXPECT_NE(first, 0u);
  EXPECT_TRUE(stream->live());
  EXPECT_EQ(stream->currentPublisher(), first);
  EXPECT_TRUE(publishOne(*stream, first, payload(0)));

  // A second publisher takes over: the first is refused from now on.
  const auto second = stream->claimPublisher(nullptr);
  EXPECT_NE(second, first);
  EXPECT_EQ(stream->currentPublisher(), second);
  EXPECT_FALSE(publishOne(*stream, first, payload(0)));
  EXPECT_TRUE(publishOne(*stream, second, payload(0)));
  EXPECT_EQ(stream->stats().packets, 2u);

  // The first leaving (late) changes nothing.
  stream->releasePublisher(first);
  EXPECT_TRUE(stream->live());
  EXPECT_EQ(stream->currentPublisher(), second);
  EXPECT_TRUE(publishOne(*stream, second, payload(0)));

  // The second leaves: offline; its number is not accepted again.
  stream->releasePublisher(second);
  EXPECT_FALSE(stream->live());
  EXPECT_EQ(stream->currentPublisher(), 0u);
  EXPECT_FALSE(publishOne(*stream, second, payload(0)));
  stream->releasePublisher(second);  // twice: harmless
  stream->releasePublisher(0);
  EXPECT_FALSE(stream->live());

  // A returning publisher gets a new number.
  const auto third = stream->claimPublisher(nullptr);
  EXPECT_NE(third, first);
  EXPECT_NE(third, second);
  EXPECT_TRUE(publishOne(*stream, third, payload(0)));
  EXPECT_FALSE(publishOne(*stream, second, payload(0)));
}

TEST(MediaStreamPublisher, KeyframeRequestsReachOnlyTheCurrentPublisher) {
  CountingListener before, after;
  auto stream = makeStream();
  stream->claimPublisher(&before);
  stream->claimPublisher(&after);
  stream->requestKeyframe();
  EXPECT_EQ(before.requests, 0);
  EXPECT_EQ(after.requests, 1);

  // A publisher that released the stream hears nothing; the request is still counted for a
  // publisher that polls keyframeRequests().
  CountingListener gone;
  auto other = makeStream();
  const auto id = other->claimPublisher(&gone);
  other->releasePublisher(id);
  other->requestKeyframe();
  EXPECT_EQ(gone.requests, 0);
  EXPECT_EQ(other->keyframeRequests(), 1u);
}

TEST(MediaStreamPublisher, ExplicitSequencesKeepGapsAndOnlyMoveForward) {
  auto stream = makeStream();
  const auto publisher = stream->claimPublisher(nullptr);
  const std::uint16_t start = stream->nextSequence(0);
  const std::uint16_t audio_start = stream->nextSequence(1);
  auto at = [&](int offset) { return static_cast<std::uint16_t>(start + offset); };

  // Ten lost upstream: the next number follows the newest, leaving the gap.
  ASSERT_TRUE(publishOne(*stream, publisher, payload(0, at(10))));
  EXPECT_EQ(stream->nextSequence(0), at(11));
  // A retransmission fills the gap and does not pull the numbering back.
  ASSERT_TRUE(publishOne(*stream, publisher, payload(0, at(5))));
  EXPECT_EQ(stream->nextSequence(0), at(11));
  // The same number again: no change.
  ASSERT_TRUE(publishOne(*stream, publisher, payload(0, at(10))));
  EXPECT_EQ(stream->nextSequence(0), at(11));
  // A payload without a number takes the next one (the test source's way).
  ASSERT_TRUE(publishOne(*stream, publisher, payload(0)));
  EXPECT_EQ(stream->nextSequence(0), at(12));
  // Tracks are numbered apart.
  EXPECT_EQ(stream->nextSequence(1), audio_start);
  EXPECT_EQ(stream->stats().packets, 4u);

  // A batch, as a frame is published: the newest decides.
  std::vector<StreamPayload> frame;
  frame.push_back(payload(0, at(14)));
  frame.push_back(payload(0, at(13)));
  frame.push_back(payload(0, at(15)));
  frame.push_back(payload(1, static_cast<std::uint16_t>(audio_start + 2)));
  ASSERT_TRUE(stream->publish(publisher, std::move(frame)));
  EXPECT_EQ(stream->nextSequence(0), at(16));
  EXPECT_EQ(stream->nextSequence(1), static_cast<std::uint16_t>(audio_start + 3));

  // A payload for a track the stream does not have is skipped.
  ASSERT_TRUE(publishOne(*stream, publisher, payload(7, at(100))));
  EXPECT_EQ(stream->nextSequence(0), at(16));
  EXPECT_EQ(stream->stats().packets, 8u);
}

TEST(MediaStreamPublisher, SequencesCompareSeriallyAcrossTheWrap) {
  auto stream = makeStream();
  const auto publisher = stream->claimPublisher(nullptr);
  // Wherever the random start is, 65535 is reached by steps of less than half the space.
  for (std::uint16_t s = stream->nextSequence(0); s != 65535;) {
    const int step = std::min(30000, 65535 - s);
    s = static_cast<std::uint16_t>(s + step);
    ASSERT_TRUE(publishOne(*stream, publisher, payload(0, s)));
  }
  EXPECT_EQ(stream->nextSequence(0), 0);  // 65535 + 1 wraps
  ASSERT_TRUE(publishOne(*stream, publisher, payload(0, 2)));
  EXPECT_EQ(stream->nextSequence(0), 3);
  // 65534 is two behind 0: a late packet from before the wrap.
  ASSERT_TRUE(publishOne(*stream, publisher, payload(0, 65534)));
  EXPECT_EQ(stream->nextSequence(0), 3);
  // Less than half the space ahead is ahead; more than half is behind.
  ASSERT_TRUE(publishOne(*stream, publisher, payload(0, 30002)));
  EXPECT_EQ(stream->nextSequence(0), 30003);
  // 40,000 ahead is 25,536 behind: a stale packet, not a reason to jump.
  ASSERT_TRUE(
      publishOne(*stream, publisher, payload(0, static_cast<std::uint16_t>(30002 + 40000))));
  EXPECT_EQ(stream->nextSequence(0), 30003);
}

TEST(MediaStreamPublisher, TheRtpClockFollowsTheNewestPacket) {
  auto stream = makeStream();
  const auto publisher = stream->claimPublisher(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(stream->rtpTimestampAt(0, t0).has_value());  // nothing published yet
  StreamPayload video = payload(0);
  video.rtp_timestamp = 0xffffff00u;
  video.captured = t0;
  ASSERT_TRUE(publishOne(*stream, publisher, video));
  EXPECT_EQ(stream->rtpTimestampAt(0, t0), 0xffffff00u);
  // A second on at 90 kHz, across the 2^32 wrap; and before the reference, backwards.
  EXPECT_EQ(stream->rtpTimestampAt(0, t0 + std::chrono::seconds(1)), 90000u - 256u);
  EXPECT_EQ(stream->rtpTimestampAt(0, t0 - std::chrono::milliseconds(10)), 0xffffff00u - 900u);
  EXPECT_FALSE(stream->rtpTimestampAt(1, t0).has_value());  // audio: nothing yet
  EXPECT_FALSE(stream->rtpTimestampAt(2, t0).has_value());
  EXPECT_FALSE(stream->rtpTimestampAt(-1, t0).has_value());
}

}  // namespace
}  // namespace throng::rtc
