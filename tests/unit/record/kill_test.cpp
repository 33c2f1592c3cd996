// SIGKILL mid-recording: a child process records a live in real time; the parent kills it once
// more than a second is on disk. What is left is a readable pcap (our reader and tshark) with at
// least a second of packets and the index written at the start, and it still exports to a file
// that decodes. A pcap cut inside a record, as a kill during a write(2) would leave it, reads
// up to the last whole record in both readers.
#include "output_probe.h"
#include "record/exporter.h"
#include "record/pcap_reader.h"
#include "record/recorder.h"
#include "record/rtp_view.h"
#include "support/temp_dir.h"
#include "test_media.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace throng::record {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr auto kLoop = milliseconds(1000);  // the media looped by the child
constexpr auto kChildLimit = std::chrono::seconds(10);

// The child: records the media looped in real time, new sequence numbers and timestamps each
// round, until kChildLimit (it is killed long before).
[[noreturn]] void recordForever(const std::filesystem::path& recordings,
                                const testing::TestMedia& m) {
  auto recorder = Recorder::start(recordings, "killed", m.tracks, system_clock::now());
  if (!recorder) _exit(2);
  const auto begin = steady_clock::now();
  std::uint16_t counts[2] = {0, 0};
  for (const auto& p : m.packets) ++counts[p.track];
  for (int round = 0; steady_clock::now() - begin < kChildLimit; ++round) {
    for (const auto& p : m.packets) {
      std::this_thread::sleep_until(begin + round * kLoop + p.at);  // pacing, as a live arrives
      auto rtp = p.rtp;
      const auto view = parseRtpView(rtp);
      const auto sequence = static_cast<std::uint16_t>(view->sequence + round * counts[p.track]);
      const std::uint32_t clock = p.track == 0 ? 90'000 : 48'000;
      const auto timestamp =
          static_cast<std::uint32_t>(view->timestamp + static_cast<std::uint32_t>(round) * clock);
      rtp[2] = static_cast<std::uint8_t>(sequence >> 8);
      rtp[3] = static_cast<std::uint8_t>(sequence);
      for (int i = 0; i < 4; ++i)
        rtp[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(timestamp >> (24 - 8 * i));
      (*recorder)->write(p.track, rtp, system_clock::now());
    }
  }
  _exit(3);
}

// Seconds between the first and last packet in a pcap, and their count.
struct Span {
  double seconds = 0;
  int packets = 0;
  bool truncated = false;
};
Span readSpan(const std::filesystem::path& pcap) {
  Span s;
  auto reader = PcapReader::open(pcap);
  if (!reader) return s;
  std::optional<system_clock::time_point> first;
  system_clock::time_point last;
  while (auto p = reader->next()) {
    if (!first) first = p->time;
    last = p->time;
    ++s.packets;
  }
  if (first) s.seconds = std::chrono::duration<double>(last - *first).count();
  s.truncated = reader->truncated();
  return s;
}

std::filesystem::path onlyRecording(const std::filesystem::path& recordings) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(recordings, error)) {
    return entry.path();
  }
  return {};
}

TEST(Kill, RecordingSurvivesSigkill) {
  throng::testing::TempDir dir;
  testing::TestMediaOptions options;
  options.length = kLoop;
  options.keyframe_interval_ms = 500;  // a keyframe in every half second of what is left
  const testing::TestMedia m = testing::makeTestMedia(options);
  const auto recordings = dir / "recordings";

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) recordForever(recordings, m);

  // Wait until more than 1.2 s of packets are on disk (as a reader sees them), then kill.
  std::filesystem::path recording;
  Span before;
  const auto deadline = steady_clock::now() + std::chrono::seconds(8);
  while (steady_clock::now() < deadline) {
    if (recording.empty()) recording = onlyRecording(recordings);
    if (!recording.empty()) before = readSpan(recording / "media.pcap");
    if (before.seconds >= 1.2) break;
    std::this_thread::sleep_for(milliseconds(50));  // polling the file, not waiting on time
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  ASSERT_FALSE(recording.empty());

  const Span after = readSpan(recording / "media.pcap");
  EXPECT_GE(after.seconds, 1.0);
  EXPECT_GE(after.packets, before.packets);
  std::printf("killed after %.2f s on disk: %d packets readable (%s)\n", after.seconds,
              after.packets, after.truncated ? "last record cut" : "whole records");

  // The index written at the start is there; nothing says it stopped.
  auto index = readIndex(recording);
  ASSERT_TRUE(index.ok()) << index.error().message;
  EXPECT_FALSE(index->stopped.has_value());

  const auto tshark = testing::runTshark(recording / "media.pcap", {5004, 5006});
  if (tshark.available) {
    EXPECT_GE(tshark.rtp_packets, after.packets) << tshark.output.substr(0, 1000);
  }

  auto report = exportRecording(recording, dir / "killed.webm");
  ASSERT_TRUE(report.ok()) << report.error().message;
  const auto f = testing::probeFile(dir / "killed.webm");
  ASSERT_EQ(f.error, "");
  EXPECT_GE(f.video_frames_decoded, 25);  // at least ~a second at 30 fps
  EXPECT_EQ(f.video_decode_errors, 0);
  EXPECT_GE(f.audio_packets, 45);
}

TEST(Kill, PcapCutInsideARecordStillReads) {
  throng::testing::TempDir dir;
  testing::TestMediaOptions options;
  options.length = milliseconds(1000);
  const testing::TestMedia m = testing::makeTestMedia(options);
  auto recorder = Recorder::start(dir.path(), "cut", m.tracks, system_clock::now());
  ASSERT_TRUE(recorder.ok());
  for (const auto& p : m.packets) (*recorder)->write(p.track, p.rtp, system_clock::now());
  (*recorder)->stop();
  const auto pcap = (*recorder)->directory() / "media.pcap";
  const Span whole = readSpan(pcap);
  // Cut 100 bytes into the last record (1044 bytes or fewer for a packet of at most 1200).
  std::filesystem::resize_file(pcap, std::filesystem::file_size(pcap) - 100);

  const Span cut = readSpan(pcap);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.packets, whole.packets - 1);

  const auto tshark = testing::runTshark(pcap, {5004, 5006});
  if (!tshark.available) GTEST_SKIP() << "tshark is not installed";
  // tshark reads every whole record, then says the file was cut short (exit status 2).
  EXPECT_EQ(tshark.rtp_packets, whole.packets - 1) << tshark.output.substr(0, 1000);
  EXPECT_NE(tshark.output.find("cut short in the middle of a packet"), std::string::npos)
      << tshark.output.substr(tshark.output.size() > 1000 ? tshark.output.size() - 1000 : 0);

  auto report = exportRecording((*recorder)->directory(), dir / "cut.webm");
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->truncated);
  ASSERT_FALSE(report->notes.empty());
  EXPECT_NE(report->notes.back().find("ends inside a record"), std::string::npos);
}

}  // namespace
}  // namespace throng::record
