// Depacketizers and the reorder buffer on real encoder output (test_media.h): every frame comes
// back whole and in order through sequence-number and timestamp wraps; shuffled packets are put
// back in order; after a lost packet, video resumes at the next keyframe, never before.
#include "record/depacketizer.h"
#include "record/h264_depacketizer.h"
#include "record/reorder_buffer.h"
#include "record/rtp_view.h"
#include "record/vp8_depacketizer.h"
#include "test_media.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace throng::record {
namespace {

using testing::TestMedia;
using testing::TestMediaOptions;
using testing::TestPacket;

std::vector<TestPacket> trackPackets(const TestMedia& media, int track) {
  std::vector<TestPacket> out;
  for (const TestPacket& p : media.packets) {
    if (p.track == track) out.push_back(p);
  }
  return out;
}

// Runs `packets` (in arrival order) through a reorder buffer and a depacketizer.
std::vector<MediaFrame> depacketize(const std::vector<TestPacket>& packets, Depacketizer& d,
                                    std::size_t window = 64) {
  ReorderBuffer reorder(window);
  std::vector<SequencedPacket> released;
  std::vector<MediaFrame> frames;
  const auto feed = [&] {
    for (const SequencedPacket& s : released) {
      auto rtp = parseRtpView(s.bytes);
      EXPECT_TRUE(rtp.has_value());
      if (rtp) d.push(*rtp, s.gap_before, s.arrival, frames);
    }
    released.clear();
  };
  for (const TestPacket& p : packets) {
    auto rtp = parseRtpView(p.rtp);
    EXPECT_TRUE(rtp.has_value());
    reorder.push(rtp->sequence, p.rtp, std::chrono::system_clock::time_point(p.at), released);
    feed();
  }
  reorder.drain(released);
  feed();
  d.finish(frames);
  return frames;
}

class VideoDepacketizerTest : public ::testing::TestWithParam<bool> {
 protected:
  static const TestMedia& media(bool h264) {
    static const TestMedia vp8 = testing::makeTestMedia(options(false));
    static const TestMedia avc = testing::makeTestMedia(options(true));
    return h264 ? avc : vp8;
  }
  static TestMediaOptions options(bool h264) {
    TestMediaOptions o;
    o.h264 = h264;
    return o;
  }
  std::unique_ptr<Depacketizer> make(bool h264) {
    const TestMedia& m = media(h264);
    return makeDepacketizer(m.tracks[0].codec, m.tracks[0].fmtp);
  }
};

TEST_P(VideoDepacketizerTest, EveryFrameComesBackAcrossTheWraps) {
  const TestMedia& m = media(GetParam());
  auto d = make(GetParam());
  ASSERT_NE(d, nullptr);
  const auto frames = depacketize(trackPackets(m, 0), *d);
  ASSERT_EQ(static_cast<int>(frames.size()), m.video_frames);
  EXPECT_TRUE(frames.front().keyframe);
  EXPECT_EQ(
      std::count_if(frames.begin(), frames.end(), [](const MediaFrame& f) { return f.keyframe; }),
      m.keyframes);
  for (std::size_t i = 1; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].rtp_timestamp - frames[i - 1].rtp_timestamp, 3000u) << i;  // 30 fps
  }
  EXPECT_EQ(d->stats().frames_damaged, 0u);
  EXPECT_EQ(d->stats().frames_skipped, 0u);
}

TEST_P(VideoDepacketizerTest, ShuffledPacketsArePutBackInOrder) {
  const TestMedia& m = media(GetParam());
  auto packets = trackPackets(m, 0);
  // Swap neighbours within runs of eight, as a network reordering a little would.
  std::mt19937 random(7);
  for (std::size_t i = 0; i + 8 <= packets.size(); i += 8) {
    std::shuffle(packets.begin() + static_cast<std::ptrdiff_t>(i),
                 packets.begin() + static_cast<std::ptrdiff_t>(i + 8), random);
  }
  auto d = make(GetParam());
  const auto frames = depacketize(packets, *d);
  EXPECT_EQ(static_cast<int>(frames.size()), m.video_frames);
  EXPECT_EQ(d->stats().frames_damaged, 0u);
}

TEST_P(VideoDepacketizerTest, AfterALossVideoResumesAtTheNextKeyframe) {
  const TestMedia& m = media(GetParam());
  auto packets = trackPackets(m, 0);
  // Drop one packet of frame 10 (a delta frame; keyframes at 0, 30).
  const std::uint32_t timestamp_10 = parseRtpView(packets[0].rtp)->timestamp + 10 * 3000;
  auto lost = std::find_if(packets.begin(), packets.end(), [&](const TestPacket& p) {
    return parseRtpView(p.rtp)->timestamp == timestamp_10;
  });
  ASSERT_NE(lost, packets.end());
  packets.erase(lost);
  auto d = make(GetParam());
  const auto frames = depacketize(packets, *d);
  // Frames 0-9 and 30-59 come out; 10 is damaged (or gone, if it was one packet), 11-29 wait
  // for the keyframe at 30.
  ASSERT_EQ(frames.size(), 40u);
  EXPECT_EQ(frames[9].rtp_timestamp + 21 * 3000, frames[10].rtp_timestamp);
  EXPECT_TRUE(frames[10].keyframe);
  EXPECT_LE(d->stats().frames_damaged, 1u);
  EXPECT_EQ(d->stats().frames_skipped, 19u);
}

TEST_P(VideoDepacketizerTest, NothingBeforeTheFirstKeyframe) {
  const TestMedia& m = media(GetParam());
  auto packets = trackPackets(m, 0);
  const std::uint32_t first = parseRtpView(packets[0].rtp)->timestamp;
  // Join at frame 5: frames 5-29 wait, 30 onwards come out.
  std::erase_if(packets, [&](const TestPacket& p) {
    return parseRtpView(p.rtp)->timestamp - first < 5 * 3000;
  });
  auto d = make(GetParam());
  const auto frames = depacketize(packets, *d);
  ASSERT_EQ(frames.size(), 30u);
  EXPECT_TRUE(frames[0].keyframe);
  EXPECT_EQ(frames[0].rtp_timestamp, first + 30 * 3000);
  EXPECT_EQ(d->stats().frames_skipped, 25u);
}

INSTANTIATE_TEST_SUITE_P(Codecs, VideoDepacketizerTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& codec) {
                           return codec.param ? "H264" : "VP8";
                         });

TEST(OpusDepacketizer, OnePacketOneFrame) {
  TestMediaOptions o;
  o.length = std::chrono::milliseconds(200);
  const TestMedia m = testing::makeTestMedia(o);
  auto d = makeDepacketizer("OPUS", "");
  ASSERT_NE(d, nullptr);
  const auto frames = depacketize(trackPackets(m, 1), *d);
  EXPECT_EQ(static_cast<int>(frames.size()), m.audio_frames);
}

TEST(Depacketizer, UnknownCodecHasNone) {
  EXPECT_EQ(makeDepacketizer("VP9", ""), nullptr);
  EXPECT_EQ(makeDepacketizer("", ""), nullptr);
  EXPECT_NE(makeDepacketizer("vp8", ""), nullptr);
  EXPECT_NE(makeDepacketizer("h264", ""), nullptr);
}

TEST(Vp8Descriptor, Lengths) {
  // RFC 7741 §4.2: X=0: one byte.
  const std::uint8_t plain[] = {0x10, 0xaa};
  EXPECT_EQ(parseVp8Descriptor(plain)->size, 1u);
  // X, I with a 15-bit PictureID, L, T: 1 + 1 + 2 + 1 + 1.
  const std::uint8_t full[] = {0x90, 0xe0, 0x80, 0x01, 0x05, 0x40, 0xaa};
  const auto d = parseVp8Descriptor(full);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->size, 6u);
  EXPECT_TRUE(d->start);
  // A descriptor with nothing after it is not a payload.
  EXPECT_FALSE(parseVp8Descriptor(std::span<const std::uint8_t>(full, 6)).has_value());
  EXPECT_FALSE(parseVp8Descriptor({}).has_value());
}

TEST(H264Depacketizer, SpropParameterSets) {
  const auto sets = spropParameterSets(
      "packetization-mode=1; sprop-parameter-sets=Z0LAHtkA,aM4ygA;profile-level-id=42c01e");
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0][0] & 0x1f, 7);
  EXPECT_EQ(sets[1][0] & 0x1f, 8);
  EXPECT_TRUE(spropParameterSets("packetization-mode=1").empty());
  EXPECT_TRUE(spropParameterSets("sprop-parameter-sets=!!!!").empty());
}

// Builds an RTP view over `payload` for direct pushes.
RtpView view(const std::vector<std::uint8_t>& payload, std::uint32_t timestamp, bool marker) {
  RtpView v;
  v.timestamp = timestamp;
  v.marker = marker;
  v.payload = payload;
  return v;
}

TEST(H264Depacketizer, IdrWithoutParameterSetsGetsThoseFromTheFmtp) {
  H264Depacketizer d("sprop-parameter-sets=Z0LAHtkA,aM4ygA");
  std::vector<MediaFrame> out;
  const std::vector<std::uint8_t> idr = {0x65, 0x88, 0x84, 0x00};
  d.push(view(idr, 1000, true), false, {}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].keyframe);
  const std::vector<std::uint8_t> expected = {0,    0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0xd9,
                                              0x00, 0, 0, 0, 1,    0x68, 0xce, 0x32, 0x80,
                                              0,    0, 0, 1, 0x65, 0x88, 0x84, 0x00};
  EXPECT_EQ(out[0].data, expected);

  // Without them anywhere, an IDR cannot start a decoder and is not given out.
  H264Depacketizer bare("");
  out.clear();
  bare.push(view(idr, 1000, true), false, {}, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(bare.stats().frames_damaged, 1u);
}

TEST(H264Depacketizer, MalformedAggregatesAndFragmentsAreDamage) {
  H264Depacketizer d("sprop-parameter-sets=Z0LAHtkA,aM4ygA");
  std::vector<MediaFrame> out;
  // STAP-A whose unit size runs past the payload.
  d.push(view({0x18, 0x00, 0x09, 0x67, 0x42}, 1, true), false, {}, out);
  // FU-A middle without a start.
  d.push(view({0x7c, 0x05, 0x11}, 2, true), false, {}, out);
  // FU-A start, then the next timestamp before its end.
  d.push(view({0x7c, 0x85, 0x11}, 3, false), false, {}, out);
  d.push(view({0x65, 0x11}, 4, true), false, {}, out);  // a whole IDR: comes out
  // STAP-B (type 25): not packetization-mode 1.
  d.push(view({0x19, 0x00, 0x00}, 5, true), false, {}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rtp_timestamp, 4u);
  EXPECT_EQ(d.stats().frames_damaged, 4u);
}

TEST(ReorderBuffer, WrapDuplicatesAndLatePackets) {
  ReorderBuffer buffer(4);
  std::vector<SequencedPacket> out;
  const std::vector<std::uint8_t> bytes = {1};
  const auto push = [&](std::uint16_t s) { buffer.push(s, bytes, {}, out); };
  for (std::uint16_t s : {65534, 65535, 0, 1, 2}) push(s);  // the window fills: 65534 goes
  push(3);
  push(5);                                       // 4 missing: 5 is held
  push(5);                                       // a duplicate of a held packet
  for (std::uint16_t s : {6, 7, 8, 9}) push(s);  // window full: give up on 4
  push(4);                                       // too late now
  buffer.drain(out);
  std::vector<std::int64_t> sequences;
  for (const auto& p : out) sequences.push_back(p.sequence);
  const std::vector<std::int64_t> expected = {65534, 65535, 65536, 65537, 65538, 65539,
                                              65541, 65542, 65543, 65544, 65545};
  EXPECT_EQ(sequences, expected);
  EXPECT_FALSE(out[2].gap_before);
  EXPECT_TRUE(out[6].gap_before);
  EXPECT_EQ(buffer.duplicates(), 1u);
  EXPECT_EQ(buffer.late(), 1u);
}

TEST(ReorderBuffer, NumberingRestartIsFollowed) {
  ReorderBuffer buffer(2);
  std::vector<SequencedPacket> out;
  const std::vector<std::uint8_t> bytes = {1};
  for (int s = 30'000; s < 30'010; ++s) buffer.push(static_cast<std::uint16_t>(s), bytes, {}, out);
  for (int s = 100; s < 140; ++s) buffer.push(static_cast<std::uint16_t>(s), bytes, {}, out);
  buffer.drain(out);
  EXPECT_EQ(buffer.restarts(), 1u);
  // The restart costs the first run of packets; the rest of the new numbering comes through.
  EXPECT_GE(out.size(), 10u + 40u - 16u);
}

}  // namespace
}  // namespace throng::record
