// IngestTrack, a WHIP publisher's source as the receiver keeps it: losses asked for again with
// NACKs (RFC 4585 §6.2.1) on a schedule and then given up, late packets recovered, duplicates,
// the 16-bit wrap, restarted numbering, the receiver report block (RFC 3550 §6.4.1 with A.3's
// interval counts and A.8's jitter) and the mapping onto the stream's numbering. The clock is
// passed in: every instant here is chosen, nothing waits.
#include "rtc/ingest_track.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

namespace throng::rtc {
namespace {

using Clock = IngestTrack::Clock;
using Disposition = IngestTrack::Disposition;
using std::chrono::milliseconds;

// Not the clock's epoch: the track treats a zero time point as "never".
const Clock::time_point kStart = Clock::time_point{} + std::chrono::hours(1);
constexpr std::uint32_t kSsrc = 0x11223344;
constexpr std::size_t kBytes = 1000;

RtpHeader packet(std::uint16_t sequence, std::uint32_t timestamp = 0) {
  RtpHeader header;
  header.payload_type = 96;
  header.sequence = sequence;
  header.timestamp = timestamp;
  header.ssrc = kSsrc;
  header.header_size = 12;
  header.payload_size = kBytes - 12;
  return header;
}

Disposition feed(IngestTrack& track, std::uint16_t sequence, Clock::time_point at = kStart) {
  return track.onPacket(packet(sequence), kBytes, at);
}

using Sequences = std::vector<std::uint16_t>;

TEST(IngestTrack, InOrderPacketsAreForwardedAndNothingIsAskedFor) {
  IngestTrack track(90000);
  EXPECT_FALSE(track.started());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(feed(track, static_cast<std::uint16_t>(1000 + i), kStart + milliseconds(i)),
              Disposition::kForward);
    EXPECT_TRUE(track.nacksDue(kStart + milliseconds(i)).empty());
  }
  EXPECT_TRUE(track.started());
  EXPECT_EQ(track.ssrc(), kSsrc);
  EXPECT_EQ(track.stats().packets, 100u);
  EXPECT_EQ(track.stats().bytes, 100 * kBytes);
  EXPECT_EQ(track.stats().duplicates, 0u);
  EXPECT_EQ(track.stats().nacks_sent, 0u);
  const auto block = track.reportBlock(kStart + milliseconds(100));
  EXPECT_EQ(block.ssrc, kSsrc);
  EXPECT_EQ(block.fraction_lost, 0);
  EXPECT_EQ(block.cumulative_lost, 0);
  EXPECT_EQ(block.highest_sequence, 1099u);
}

TEST(IngestTrack, AGapIsNackedAtOnceRetriedThenGivenUp) {
  IngestTrack track(90000);
  feed(track, 10);
  feed(track, 11);
  EXPECT_EQ(feed(track, 14), Disposition::kForward);
  // At once.
  EXPECT_EQ(track.nacksDue(kStart), (Sequences{12, 13}));
  // Not again before the retry interval.
  EXPECT_TRUE(track.nacksDue(kStart + milliseconds(1)).empty());
  EXPECT_TRUE(track.nacksDue(kStart + IngestTrack::kNackRetryInterval - milliseconds(1)).empty());
  // Then every interval, kNackTries times in all.
  auto at = kStart;
  for (int attempt = 1; attempt < IngestTrack::kNackTries; ++attempt) {
    at += IngestTrack::kNackRetryInterval;
    EXPECT_EQ(track.nacksDue(at), (Sequences{12, 13})) << "attempt " << attempt + 1;
  }
  EXPECT_EQ(track.stats().nacks_sent, 2u * IngestTrack::kNackTries);
  EXPECT_TRUE(track.nacksDue(at + IngestTrack::kNackRetryInterval).empty());
  EXPECT_TRUE(track.nacksDue(kStart + IngestTrack::kNackGiveUp).empty());
  EXPECT_EQ(track.stats().given_up, 0u);  // still waited for, up to kNackGiveUp
  EXPECT_TRUE(track.nacksDue(kStart + IngestTrack::kNackGiveUp + milliseconds(1)).empty());
  EXPECT_EQ(track.stats().given_up, 2u);
  EXPECT_EQ(track.stats().nacks_sent, 2u * IngestTrack::kNackTries);
  // Too late: a retransmission now is no use to the viewers.
  EXPECT_EQ(feed(track, 12, kStart + milliseconds(1200)), Disposition::kDuplicate);
  EXPECT_EQ(track.stats().recovered, 0u);
}

TEST(IngestTrack, ALatePacketIsRecoveredOnceAndDuplicatesAreDropped) {
  IngestTrack track(90000);
  feed(track, 500);
  feed(track, 502);
  EXPECT_EQ(track.nacksDue(kStart), (Sequences{501}));
  EXPECT_EQ(feed(track, 501, kStart + milliseconds(30)), Disposition::kRecovered);
  EXPECT_EQ(track.stats().recovered, 1u);
  EXPECT_TRUE(track.nacksDue(kStart + milliseconds(200)).empty());  // no longer asked for
  EXPECT_EQ(feed(track, 501), Disposition::kDuplicate);
  EXPECT_EQ(feed(track, 502), Disposition::kDuplicate);
  EXPECT_EQ(feed(track, 500), Disposition::kDuplicate);
  EXPECT_EQ(feed(track, 499), Disposition::kDuplicate);  // before the first: never waited for
  EXPECT_EQ(track.stats().duplicates, 4u);
  EXPECT_EQ(track.stats().packets, 3u);
  EXPECT_EQ(track.stats().given_up, 0u);
  EXPECT_EQ(track.reportBlock(kStart + milliseconds(300)).cumulative_lost, 0);
}

TEST(IngestTrack, NumbersWrapFrom65535ToZero) {
  IngestTrack track(90000);
  for (std::uint16_t s = 65530; s != 6; ++s) EXPECT_EQ(feed(track, s), Disposition::kForward);
  EXPECT_TRUE(track.nacksDue(kStart).empty());
  auto block = track.reportBlock(kStart);
  EXPECT_EQ(block.highest_sequence, (1u << 16) | 5u);  // one cycle counted (A.1)
  EXPECT_EQ(block.cumulative_lost, 0);

  // A gap across the wrap.
  IngestTrack gap(90000);
  feed(gap, 65533);
  feed(gap, 65534);
  feed(gap, 1);
  EXPECT_EQ(gap.nacksDue(kStart), (Sequences{65535, 0}));
  EXPECT_EQ(feed(gap, 0), Disposition::kRecovered);
  EXPECT_EQ(feed(gap, 65535), Disposition::kRecovered);
  EXPECT_EQ(gap.reportBlock(kStart).highest_sequence, (1u << 16) | 1u);
  EXPECT_EQ(gap.reportBlock(kStart).cumulative_lost, 0);
}

TEST(IngestTrack, ARestartedNumberingStartsOverWithoutAStormOfNacks) {
  IngestTrack track(90000);
  feed(track, 100);
  feed(track, 101);
  const auto jump = static_cast<std::uint16_t>(101 + IngestTrack::kMaxGap + 1);
  EXPECT_EQ(feed(track, jump), Disposition::kForward);
  EXPECT_TRUE(track.nacksDue(kStart).empty());
  EXPECT_EQ(feed(track, static_cast<std::uint16_t>(jump + 1)), Disposition::kForward);
  EXPECT_TRUE(track.nacksDue(kStart + milliseconds(500)).empty());
  auto block = track.reportBlock(kStart);
  EXPECT_EQ(block.cumulative_lost, 0);
  EXPECT_EQ(block.fraction_lost, 0);
  // A loss after the restart is asked for as usual.
  feed(track, static_cast<std::uint16_t>(jump + 3));
  EXPECT_EQ(track.nacksDue(kStart), (Sequences{static_cast<std::uint16_t>(jump + 2)}));
}

TEST(IngestTrack, ARestartedNumberingBehindTheOldOneIsNotTakenForDuplicates) {
  // A sender's new initial sequence number is random (RFC 3550 §5.1): half the time it lies
  // behind the old one.
  IngestTrack track(90000);
  for (std::uint16_t s = 40000; s < 40010; ++s) feed(track, s);
  EXPECT_EQ(feed(track, 20000), Disposition::kForward);
  EXPECT_EQ(feed(track, 20001), Disposition::kForward);
  EXPECT_EQ(track.stats().duplicates, 0u);
  EXPECT_TRUE(track.nacksDue(kStart).empty());
  EXPECT_EQ(track.reportBlock(kStart).cumulative_lost, 0);
  feed(track, 20003);
  EXPECT_EQ(track.nacksDue(kStart), (Sequences{20002}));
}

TEST(IngestTrack, ARestartKeepsTheStreamsNumberingContinuous) {
  IngestTrack track(90000);
  const RtpHeader first = packet(100, 1000);
  track.mapOnto(7000, 50000, first);
  track.onPacket(first, kBytes, kStart);
  track.onPacket(packet(101, 1000), kBytes, kStart);
  // The sender restarts far away: the stream's next number follows its last one, so viewers
  // see no gap to ask for.
  const RtpHeader restarted = packet(30000, 777777);
  EXPECT_EQ(track.onPacket(restarted, kBytes, kStart + milliseconds(40)), Disposition::kForward);
  EXPECT_EQ(track.streamSequence(30000), 7002);
  EXPECT_EQ(track.streamSequence(30001), 7003);
  // The clock continues too: 40 ms on at 90 kHz.
  EXPECT_EQ(track.streamTimestamp(777777), 50000u + 3600u);
}

TEST(IngestTrack, AGapUpToMaxGapIsWaitedForButBounded) {
  IngestTrack track(90000);
  feed(track, 0);
  const auto far = static_cast<std::uint16_t>(IngestTrack::kMaxGap);
  EXPECT_EQ(feed(track, far), Disposition::kForward);
  const auto due = track.nacksDue(kStart);
  ASSERT_EQ(due.size(), IngestTrack::kMaxMissing);  // the newest kMaxMissing
  EXPECT_EQ(due.front(), far - IngestTrack::kMaxMissing);
  EXPECT_EQ(due.back(), far - 1);
  // One forgotten for lack of room is not waited for.
  EXPECT_EQ(feed(track, 1), Disposition::kDuplicate);
  EXPECT_EQ(feed(track, static_cast<std::uint16_t>(far - 1)), Disposition::kRecovered);
}

TEST(IngestTrack, ReportBlockCountsLossesPerIntervalAndInAll) {
  IngestTrack track(90000);
  // 100 expected, every fifth lost but the last (the highest arrived): 19 lost.
  for (int i = 0; i < 100; ++i) {
    if (i % 5 != 4 || i == 99) feed(track, static_cast<std::uint16_t>(i));
  }
  auto block = track.reportBlock(kStart + milliseconds(1000));
  EXPECT_EQ(block.highest_sequence, 99u);
  EXPECT_EQ(block.cumulative_lost, 19);
  EXPECT_EQ(block.fraction_lost, 19 * 256 / 100);  // 48
  // Next interval: nothing lost.
  for (int i = 100; i < 200; ++i) feed(track, static_cast<std::uint16_t>(i));
  block = track.reportBlock(kStart + milliseconds(2000));
  EXPECT_EQ(block.fraction_lost, 0);
  EXPECT_EQ(block.cumulative_lost, 19);
  EXPECT_EQ(block.highest_sequence, 199u);
  // A late arrival of an earlier loss lowers the cumulative count; the interval got more
  // packets than it expected, and a negative loss is reported as zero (A.3).
  feed(track, 200);
  feed(track, 201);
  feed(track, 202);
  EXPECT_EQ(feed(track, 4, kStart + milliseconds(2001)), Disposition::kRecovered);
  block = track.reportBlock(kStart + milliseconds(3000));
  EXPECT_EQ(block.fraction_lost, 0);
  EXPECT_EQ(block.cumulative_lost, 18);
  // Half of an interval lost: 20 of 41.
  for (int i = 203; i < 243; ++i) {
    if (i % 2 == 0) feed(track, static_cast<std::uint16_t>(i));
  }
  feed(track, 243);
  block = track.reportBlock(kStart + milliseconds(4000));
  EXPECT_EQ(block.fraction_lost, 20 * 256 / 41);
  EXPECT_EQ(block.cumulative_lost, 38);
}

TEST(IngestTrack, BitrateIsOverTheReportInterval) {
  IngestTrack track(90000);
  for (int i = 0; i < 50; ++i) feed(track, static_cast<std::uint16_t>(i));
  track.reportBlock(kStart + milliseconds(500));
  EXPECT_DOUBLE_EQ(track.stats().bitrate_bps, 50.0 * kBytes * 8 / 0.5);
  for (int i = 50; i < 60; ++i) feed(track, static_cast<std::uint16_t>(i));
  track.reportBlock(kStart + milliseconds(1500));
  EXPECT_DOUBLE_EQ(track.stats().bitrate_bps, 10.0 * kBytes * 8);
}

// RFC 3550 A.8: J += (|D(i-1,i)| - J) / 16, D the change in transit time in timestamp units.
// Packets leave every 10 ms (900 ticks at 90 kHz) and arrive with known extra delays.
TEST(IngestTrack, JitterIsRfc3550A8) {
  const std::vector<int> extra_ms = {0, 5, 0, 5, 0, 12, 3, 3, 0, 7, 1, 0, 0, 9, 2, 5, 4, 0, 8, 1};
  IngestTrack track(90000);
  double expected = 0;
  for (std::size_t i = 0; i < extra_ms.size(); ++i) {
    const auto at = kStart + milliseconds(10 * static_cast<int>(i) + extra_ms[i]);
    track.onPacket(packet(static_cast<std::uint16_t>(i), static_cast<std::uint32_t>(900 * i)),
                   kBytes, at);
    if (i > 0) {
      const double d = std::abs(extra_ms[i] - extra_ms[i - 1]) * 90.0;
      expected += (d - expected) / 16;
    }
  }
  const auto block = track.reportBlock(kStart + milliseconds(300));
  EXPECT_NEAR(static_cast<double>(block.jitter), expected, 1.0);
  EXPECT_GT(block.jitter, 100u);

  // A steady 5 ms alternation converges on 450 ticks (5 ms at 90 kHz).
  IngestTrack steady(90000);
  for (int i = 0; i < 400; ++i) {
    const auto at = kStart + milliseconds(10 * i + (i % 2) * 5);
    steady.onPacket(packet(static_cast<std::uint16_t>(i), static_cast<std::uint32_t>(900 * i)),
                    kBytes, at);
  }
  EXPECT_NEAR(static_cast<double>(steady.reportBlock(kStart + milliseconds(4000)).jitter), 450,
              1.0);

  // No variation in transit: no jitter, whatever the constant delay.
  IngestTrack calm(48000);
  for (int i = 0; i < 50; ++i) {
    calm.onPacket(packet(static_cast<std::uint16_t>(i), 123456u + 960u * static_cast<unsigned>(i)),
                  kBytes, kStart + milliseconds(20 * i + 70));
  }
  EXPECT_EQ(calm.reportBlock(kStart + milliseconds(1000)).jitter, 0u);
}

TEST(IngestTrack, LsrAndDlsrFollowTheLastSenderReport) {
  IngestTrack track(90000);
  feed(track, 1);
  auto block = track.reportBlock(kStart + milliseconds(100));
  EXPECT_EQ(block.last_sr, 0u);  // no SR yet (RFC 3550 §6.4.1: zero)
  EXPECT_EQ(block.delay_since_last_sr, 0u);
  // The middle 32 bits of the NTP timestamp; the delay in 1/65536 s.
  track.onSenderReport(0x0123456789abcdefULL, kStart + milliseconds(200));
  block = track.reportBlock(kStart + milliseconds(1700));
  EXPECT_EQ(block.last_sr, 0x456789abu);
  EXPECT_EQ(block.delay_since_last_sr, 3u * 65536 / 2);
  track.onSenderReport(0xfedcba9876543210ULL, kStart + milliseconds(2000));
  block = track.reportBlock(kStart + milliseconds(2250));
  EXPECT_EQ(block.last_sr, 0xba987654u);
  EXPECT_EQ(block.delay_since_last_sr, 65536u / 4);
}

TEST(IngestTrack, MapsOntoTheStreamsNumbering) {
  IngestTrack track(90000);
  EXPECT_FALSE(track.mapped());
  const RtpHeader first = packet(5000, 123456);
  track.mapOnto(100, 9000, first);
  EXPECT_TRUE(track.mapped());
  EXPECT_EQ(track.streamSequence(5000), 100);
  EXPECT_EQ(track.streamSequence(5001), 101);
  EXPECT_EQ(track.streamSequence(4999), 99);  // a late packet keeps its place
  EXPECT_EQ(track.streamTimestamp(123456), 9000u);
  EXPECT_EQ(track.streamTimestamp(123456 + 3000), 12000u);

  // Both wrap: the stream at 65535 and 2^32 - 256.
  IngestTrack wrapping(90000);
  wrapping.mapOnto(65535, 0xffffff00u, first);
  EXPECT_EQ(wrapping.streamSequence(5000), 65535);
  EXPECT_EQ(wrapping.streamSequence(5001), 0);
  EXPECT_EQ(wrapping.streamTimestamp(123456 + 0x100), 0u);
  // The publisher's numbering wraps too.
  IngestTrack publisher_wraps(90000);
  publisher_wraps.mapOnto(10, 0, packet(65535, 0xfffffff0u));
  EXPECT_EQ(publisher_wraps.streamSequence(0), 11);
  EXPECT_EQ(publisher_wraps.streamTimestamp(0x10), 0x20u);

  // One packet of our own before 5001: it and everything after move up by one.
  track.insertOnePacketBefore(5001);
  EXPECT_EQ(track.streamSequence(5001), 102);
  EXPECT_EQ(track.streamSequence(5002), 103);
  EXPECT_EQ(track.streamTimestamp(123456), 9000u);  // the clock does not move
  // A late retransmission from before the insertion keeps its number: no collision.
  EXPECT_EQ(track.streamSequence(5000), 100);
  EXPECT_EQ(track.streamSequence(4990), 90);
}

}  // namespace
}  // namespace throng::rtc
