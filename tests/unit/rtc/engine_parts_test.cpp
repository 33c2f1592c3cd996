// The engine's bookkeeping without sockets: the session registry (caps, claims by ICE
// username, expiry), the packet ring (NACK memory) and the stream (headers, keyframe debounce).
#include "rtc/media_stream.h"
#include "rtc/packet_ring.h"
#include "rtc/rtp.h"
#include "rtc/session_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace throng::rtc {
namespace {

std::shared_ptr<MediaStream> makeStream(KeyframeListener* listener = nullptr, std::uint64_t* publisher = nullptr) {
  std::vector<TrackDescription> tracks(2);
  tracks[0].kind = MediaKind::kVideo;
  tracks[0].codec = "VP8";
  tracks[1].kind = MediaKind::kAudio;
  tracks[1].codec = "opus";
  tracks[1].clock_rate = 48000;
  auto stream = std::make_shared<MediaStream>("demo", tracks, std::vector<RtcShard*>{});
  const auto id = stream->claimPublisher(listener);
  if (publisher) *publisher = id;
  return stream;
}

std::unique_ptr<SessionPlan> plan(const std::shared_ptr<MediaStream>& stream, std::string token,
                                  std::string ufrag) {
  auto p = std::make_unique<SessionPlan>();
  p->token = std::move(token);
  p->local_ufrag = std::move(ufrag);
  p->local_pwd = "secret";
  p->stream = stream;
  p->created = std::chrono::steady_clock::now();
  return p;
}

TEST(SessionRegistry, AdmitsUpToTheCapsAndFreesPlaces) {
  auto a = makeStream();
  auto b = makeStream();
  SessionRegistry registry(3, 2);
  EXPECT_EQ(registry.reserve(a.get()), SessionRegistry::Admission::kAdmitted);
  EXPECT_EQ(registry.reserve(a.get()), SessionRegistry::Admission::kAdmitted);
  EXPECT_EQ(registry.reserve(a.get()), SessionRegistry::Admission::kStreamFull);
  EXPECT_EQ(registry.reserve(b.get()), SessionRegistry::Admission::kAdmitted);
  EXPECT_EQ(registry.reserve(b.get()), SessionRegistry::Admission::kServerFull);
  registry.release(a.get());
  EXPECT_EQ(registry.total(), 2u);
  EXPECT_EQ(registry.reserve(b.get()), SessionRegistry::Admission::kAdmitted);
}

TEST(SessionRegistry, ClaimNeedsTheUsernameAndAuthentication) {
  auto stream = makeStream();
  SessionRegistry registry(10, 10);
  ASSERT_EQ(registry.reserve(stream.get()), SessionRegistry::Admission::kAdmitted);
  registry.addPending(plan(stream, "t1", "ufrag1"));
  EXPECT_TRUE(registry.find("demo", "t1")->pending);
  EXPECT_FALSE(registry.find("other", "t1"));  // the token belongs to its event only
  EXPECT_EQ(registry.claim("nosuch", 0, [](const SessionPlan&) { return true; }), nullptr);
  EXPECT_EQ(registry.claim("ufrag1", 0, [](const SessionPlan&) { return false; }), nullptr);
  auto claimed = registry.claim("ufrag1", 1, [](const SessionPlan& p) {
    return p.local_pwd == "secret";
  });
  ASSERT_NE(claimed, nullptr);
  EXPECT_EQ(claimed->token, "t1");
  const auto owner = registry.find("demo", "t1");
  ASSERT_TRUE(owner);
  EXPECT_FALSE(owner->pending);
  EXPECT_EQ(owner->shard, 1);
  // Claimed once: a second binding request with the same username claims nothing.
  EXPECT_EQ(registry.claim("ufrag1", 0, [](const SessionPlan&) { return true; }), nullptr);
  EXPECT_FALSE(registry.cancelPending("t1"));
  registry.forget("t1");
  EXPECT_FALSE(registry.find("demo", "t1"));
  EXPECT_EQ(registry.total(), 0u);
}

TEST(SessionRegistry, UnclaimedPlansExpire) {
  auto stream = makeStream();
  SessionRegistry registry(10, 10);
  ASSERT_EQ(registry.reserve(stream.get()), SessionRegistry::Admission::kAdmitted);
  registry.addPending(plan(stream, "t1", "u1"));
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(registry.expirePending(now, std::chrono::seconds(10)), 0u);
  EXPECT_EQ(registry.expirePending(now + std::chrono::seconds(11), std::chrono::seconds(10)), 1u);
  EXPECT_EQ(registry.total(), 0u);
  EXPECT_FALSE(registry.find("demo", "t1"));
}

TEST(PacketRing, FindsRecentPacketsAndForgetsOverwrittenOnes) {
  PacketRing ring;
  for (std::uint32_t i = 0; i < PacketRing::kCapacity + 10; ++i) {
    auto packet = std::make_shared<MediaPacket>();
    packet->sequence = static_cast<std::uint16_t>(65000 + i);  // wraps past 65535
    ring.store(packet);
  }
  EXPECT_EQ(ring.find(static_cast<std::uint16_t>(65000 + 9)), nullptr);  // overwritten
  ASSERT_NE(ring.find(static_cast<std::uint16_t>(65000 + 10)), nullptr);
  EXPECT_NE(ring.find(static_cast<std::uint16_t>(65000 + PacketRing::kCapacity + 9)), nullptr);
}

class CountingListener : public KeyframeListener {
 public:
  void onKeyframeWanted() override { ++requests; }
  int requests = 0;
};

TEST(MediaStream, KeyframeRequestsAreDebouncedToOnePerSecond) {
  CountingListener listener;
  auto stream = makeStream(&listener);
  for (int i = 0; i < 1000; ++i) stream->requestKeyframe();
  EXPECT_EQ(listener.requests, 1);
  for (int i = 0; i < 1000; ++i) stream->requestKeyframeForNewViewer();
  EXPECT_EQ(listener.requests, 1);  // within 500 ms of the last request
  EXPECT_EQ(stream->stats().keyframes_requested, 1u);
}

TEST(MediaStream, AHeldBackRequestIsPassedOnOnceTheIntervalRunsOut) {
  CountingListener listener;
  auto stream = makeStream(&listener);
  stream->requestKeyframeForNewViewer();
  stream->requestKeyframeForNewViewer();  // too soon: held back
  EXPECT_EQ(listener.requests, 1);
  stream->retryDeferredKeyframeRequest();  // still too soon
  EXPECT_EQ(listener.requests, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(520));
  stream->retryDeferredKeyframeRequest();  // the viewer who asked is answered
  EXPECT_EQ(listener.requests, 2);
  stream->retryDeferredKeyframeRequest();  // nothing is held back any more
  std::this_thread::sleep_for(std::chrono::milliseconds(520));
  stream->retryDeferredKeyframeRequest();
  EXPECT_EQ(listener.requests, 2);
}

TEST(MediaStream, TracksHaveDistinctSsrcsAndPayloadTypes) {
  std::uint64_t publisher = 0;
  auto stream = makeStream(nullptr, &publisher);
  EXPECT_NE(stream->ssrc(0), stream->ssrc(1));
  EXPECT_EQ(stream->trackOfSsrc(stream->ssrc(1)), 1);
  EXPECT_EQ(stream->trackOfSsrc(stream->ssrc(1) + 1), stream->ssrc(0) == stream->ssrc(1) + 1 ? 0 : -1);
  EXPECT_NE(stream->payloadType(0), stream->payloadType(1));
  // Publishing with no worker watching builds the packets and posts nothing.
  std::vector<StreamPayload> payloads(1);
  payloads[0].bytes = "abc";
  EXPECT_TRUE(stream->publish(publisher, std::move(payloads)));
  EXPECT_EQ(stream->stats().packets, 1u);
  EXPECT_EQ(stream->stats().bytes, kRtpFixedHeaderSize + 3);
}

}  // namespace
}  // namespace throng::rtc
