// Recorder: packets written from several threads all reach media.pcap in a directory named for
// the live and its start; index.json is there from the start and complete after stop; a queue
// the writer does not drain drops and counts, nothing else; bad arguments are refused naming
// the path. Also measures what write() costs the ingest thread.
#include "record/recorder.h"
#include "record/pcap_reader.h"
#include "record/pcap_writer.h"
#include "record/rtp_view.h"
#include "support/temp_dir.h"
#include "test_media.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

namespace throng::record {
namespace {

using std::chrono::system_clock;

const system_clock::time_point kStart{std::chrono::milliseconds(1'714'998'896'789)};

std::vector<RecordedTrack> twoTracks() {
  return {RecordedTrack{"video", "VP8", 96, 90'000, 0, "", ""},
          RecordedTrack{"audio", "opus", 111, 48'000, 2, "minptime=10", ""}};
}

std::vector<std::uint8_t> packet(std::uint16_t sequence, std::uint32_t ssrc, std::size_t size) {
  return testing::rtpPacket(96, false, sequence, sequence * 3000u, ssrc,
                            std::string(size - 12, static_cast<char>(sequence)));
}

TEST(Recorder, WritesEveryPacketFromSeveralThreads) {
  throng::testing::TempDir dir;
  auto recorder = Recorder::start(dir / "recordings", "demo", twoTracks(), kStart);
  ASSERT_TRUE(recorder.ok()) << recorder.error().message;
  const auto directory = (*recorder)->directory();
  EXPECT_EQ(directory, dir / "recordings" / "demo-20240506T123456Z");
  // index.json exists from the start, with the ports and no stop.
  auto early = readIndex(directory);
  ASSERT_TRUE(early.ok()) << early.error().message;
  EXPECT_FALSE(early->stopped.has_value());
  EXPECT_EQ(early->tracks[1].udp_port, 5006);

  constexpr int kPerThread = 2000;
  std::vector<std::jthread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto p =
            packet(static_cast<std::uint16_t>(i), 1000u + static_cast<std::uint32_t>(t), 300);
        (*recorder)->write(t, p, kStart + std::chrono::milliseconds(i));
      }
    });
  }
  threads.clear();  // joins
  (*recorder)->stop();
  (*recorder)->stop();  // idempotent

  const auto stats = (*recorder)->stats();
  EXPECT_EQ(stats.packets_written, 2u * kPerThread);
  EXPECT_EQ(stats.packets_dropped, 0u);
  EXPECT_GE(stats.flushes, 1u);
  EXPECT_EQ(stats.bytes_written, std::filesystem::file_size(directory / "media.pcap"));

  auto reader = PcapReader::open(directory / "media.pcap");
  ASSERT_TRUE(reader.ok());
  int per_port[2] = {0, 0};
  std::uint16_t next_sequence[2] = {0, 0};
  while (auto p = reader->next()) {
    const int track = p->udp.destination_port == 5004 ? 0 : 1;
    ++per_port[track];
    auto rtp = parseRtpView(p->udp.payload);
    ASSERT_TRUE(rtp.has_value());
    EXPECT_EQ(rtp->ssrc, 1000u + static_cast<std::uint32_t>(track));
    EXPECT_EQ(rtp->sequence, next_sequence[track]++);  // each thread's order is kept
  }
  EXPECT_EQ(per_port[0], kPerThread);
  EXPECT_EQ(per_port[1], kPerThread);
  EXPECT_FALSE(reader->truncated());

  auto index = readIndex(directory);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE(index->stopped.has_value());
  ASSERT_TRUE(index->stats.has_value());
  EXPECT_EQ(index->stats->packets_written, 2u * kPerThread);
  EXPECT_EQ(index->tracks[0].ssrc, 1000u);
  EXPECT_EQ(index->tracks[1].ssrc, 1001u);

  // After stop, writes are dropped and counted.
  (*recorder)->write(0, packet(1, 1, 100), kStart);
  EXPECT_EQ((*recorder)->stats().packets_dropped, 1u);
}

TEST(Recorder, FullQueueDropsAndCounts) {
  throng::testing::TempDir dir;
  RecorderOptions options;
  // A writer that does not drain until stop: it wakes neither on time nor on size.
  options.flush_interval = std::chrono::hours(1);
  options.wake_bytes = SIZE_MAX;
  options.max_queued_bytes = 64 << 10;
  auto recorder = Recorder::start(dir.path(), "full", twoTracks(), kStart, options);
  ASSERT_TRUE(recorder.ok());
  constexpr int kPackets = 1000;
  const auto p = packet(1, 1, 1000);
  for (int i = 0; i < kPackets; ++i) (*recorder)->write(0, p, kStart);
  const auto before = (*recorder)->stats();
  // 64 KiB holds 62 records of 1000 + 44 bytes.
  const std::uint64_t fit = (64u << 10) / (1000 + kPcapPacketOverhead);
  EXPECT_EQ(before.packets_dropped, kPackets - fit);
  EXPECT_EQ(before.packets_written, 0u);
  (*recorder)->stop();
  const auto after = (*recorder)->stats();
  EXPECT_EQ(after.packets_written, fit);
  EXPECT_EQ(after.packets_written + after.packets_dropped, static_cast<std::uint64_t>(kPackets));
  auto reader = PcapReader::open((*recorder)->directory() / "media.pcap");
  ASSERT_TRUE(reader.ok());
  std::uint64_t read = 0;
  while (reader->next()) ++read;
  EXPECT_EQ(read, fit);
}

TEST(Recorder, BadPacketsAndTracksAreDroppedAndCounted) {
  throng::testing::TempDir dir;
  auto recorder = Recorder::start(dir.path(), "bad", twoTracks(), kStart);
  ASSERT_TRUE(recorder.ok());
  const auto p = packet(1, 1, 100);
  (*recorder)->write(2, p, kStart);  // no such track
  (*recorder)->write(-1, p, kStart);
  (*recorder)->write(0, std::span<const std::uint8_t>(p.data(), 11), kStart);  // not RTP
  const std::vector<std::uint8_t> huge(70'000, 0x80);
  (*recorder)->write(0, huge, kStart);  // larger than a UDP datagram
  (*recorder)->stop();
  EXPECT_EQ((*recorder)->stats().packets_dropped, 4u);
  EXPECT_EQ((*recorder)->stats().packets_written, 0u);
}

TEST(Recorder, StartsTakenSecondGetASuffix) {
  throng::testing::TempDir dir;
  auto a = Recorder::start(dir.path(), "live", twoTracks(), kStart);
  auto b = Recorder::start(dir.path(), "live", twoTracks(), kStart);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*a)->directory().filename(), "live-20240506T123456Z");
  EXPECT_EQ((*b)->directory().filename(), "live-20240506T123456Z-2");
}

TEST(Recorder, RefusesBadArgumentsNamingThePath) {
  throng::testing::TempDir dir;
  for (const char* slug : {"", "../up", "a/b", ".hidden", "spaces here"}) {
    auto r = Recorder::start(dir.path(), slug, twoTracks(), kStart);
    ASSERT_FALSE(r.ok()) << slug;
    EXPECT_NE(r.error().message.find("slug"), std::string::npos);
  }
  EXPECT_FALSE(Recorder::start(dir.path(), "none", {}, kStart).ok());
  std::ofstream(dir / "file") << "not a directory";
  auto r = Recorder::start(dir / "file", "live", twoTracks(), kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find((dir / "file").string()), std::string::npos)
      << r.error().message;
}

// What the ingest thread pays per packet: one copy into the queue under a mutex. The writer is
// kept asleep so that only write() is timed, with the queue's pages touched for the first time
// (the cold cost; warm, with the writer draining, it is lower). Reported, not bounded: a loaded
// two-core machine or a sanitizer build would make any bound flaky.
TEST(Recorder, WriteCost) {
  throng::testing::TempDir dir;
  RecorderOptions options;
  options.flush_interval = std::chrono::hours(1);
  options.wake_bytes = SIZE_MAX;
  auto recorder = Recorder::start(dir.path(), "cost", twoTracks(), kStart, options);
  ASSERT_TRUE(recorder.ok());
  constexpr int kPackets = 6000;  // 1200-byte packets: 7.5 MB, within the 8 MiB queue
  const auto p = packet(1, 1, 1200);
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < kPackets; ++i) (*recorder)->write(0, p, kStart);
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  (*recorder)->stop();
  const double ns =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
      kPackets;
  std::printf("write(): %.0f ns per 1200-byte packet (cold queue)\n", ns);
  EXPECT_EQ((*recorder)->stats().packets_written, static_cast<std::uint64_t>(kPackets));
  EXPECT_EQ((*recorder)->stats().packets_dropped, 0u);
}

}  // namespace
}  // namespace throng::record
