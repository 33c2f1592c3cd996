// Export: two seconds of the test picture and tone, encoded by the project's encoders and
// recorded as a live would be, come out as a WebM (VP8 + Opus, copied) or an MP4 (H.264 copied,
// Opus to AAC) that libavformat opens and libavcodec decodes frame by frame; tshark reads the
// recording's pcap as RTP. Bad recordings give errors that say what is wrong.
#include "output_probe.h"
#include "record/exporter.h"
#include "record/recorder.h"
#include "support/server_process.h"
#include "support/shell.h"
#include "support/temp_dir.h"
#include "test_media.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

namespace throng::record {
namespace {

using testing::TestMedia;
using testing::TestMediaOptions;

const std::chrono::system_clock::time_point kStart{std::chrono::milliseconds(1'714'998'896'789)};

const TestMedia& media(bool h264) {
  const auto make = [](bool avc) {
    TestMediaOptions o;
    o.h264 = avc;
    return testing::makeTestMedia(o);
  };
  static const TestMedia vp8 = make(false);
  static const TestMedia avc = make(true);
  return h264 ? avc : vp8;
}

// Records `m` as it would arrive and returns the recording's directory.
std::filesystem::path record(const std::filesystem::path& recordings, const TestMedia& m,
                             const char* slug = "demo") {
  auto recorder = Recorder::start(recordings, slug, m.tracks, kStart);
  EXPECT_TRUE(recorder.ok());
  if (!recorder) return {};
  for (const auto& p : m.packets) {
    (*recorder)->write(p.track, p.rtp, kStart + p.at);
  }
  (*recorder)->stop();
  EXPECT_EQ((*recorder)->stats().packets_written, m.packets.size());
  return (*recorder)->directory();
}

void expectDecodable(const testing::ProbedFile& f, const TestMedia& m) {
  ASSERT_EQ(f.error, "");
  std::printf(
      "%s: %s %dx%d, %d of %d frames decoded, video %.3f s, %s %d packets %.3f s, "
      "file %.3f s\n",
      f.format.c_str(), f.video_codec.c_str(), f.width, f.height, f.video_frames_decoded,
      m.video_frames, f.video_seconds, f.audio_codec.c_str(), f.audio_packets, f.audio_seconds,
      f.duration);
  EXPECT_EQ(f.width, 320);
  EXPECT_EQ(f.height, 240);
  EXPECT_EQ(f.video_packets, m.video_frames);
  EXPECT_GE(f.video_frames_decoded, m.video_frames * 9 / 10);
  EXPECT_EQ(f.video_decode_errors, 0);
  EXPECT_NEAR(f.video_seconds, 2.0, 0.1);
  EXPECT_NEAR(f.audio_seconds, 2.0, 0.1);
  EXPECT_NEAR(f.duration, 2.0, 0.15);
}

TEST(Export, Vp8AndOpusToWebm) {
  throng::testing::TempDir dir;
  const TestMedia& m = media(false);
  const auto recording = record(dir / "recordings", m);
  auto report = exportRecording(recording, dir / "out.webm");
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->container, "webm");
  ASSERT_EQ(report->tracks.size(), 2u);
  EXPECT_EQ(report->tracks[0].frames_written, static_cast<std::uint64_t>(m.video_frames));
  EXPECT_EQ(report->tracks[1].frames_written, static_cast<std::uint64_t>(m.audio_frames));
  EXPECT_FALSE(report->truncated);

  const auto f = testing::probeFile(dir / "out.webm");
  expectDecodable(f, m);
  EXPECT_EQ(f.format, "matroska,webm");
  EXPECT_EQ(f.video_codec, "vp8");
  EXPECT_EQ(f.audio_codec, "opus");
  EXPECT_EQ(f.audio_packets, m.audio_frames);
}

TEST(Export, H264AndOpusToMp4WithAac) {
  throng::testing::TempDir dir;
  const TestMedia& m = media(true);
  const auto recording = record(dir / "recordings", m);
  auto report = exportRecording(recording, dir / "out.mp4");
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->container, "mp4");
  ASSERT_EQ(report->tracks.size(), 2u);
  EXPECT_EQ(report->tracks[1].output_codec, "aac");

  const auto f = testing::probeFile(dir / "out.mp4");
  expectDecodable(f, m);
  EXPECT_EQ(f.video_codec, "h264");
  EXPECT_EQ(f.audio_codec, "aac");
  // 2 s at 48 kHz in 1024-sample AAC frames.
  EXPECT_NEAR(f.audio_packets, 2 * 48'000 / 1024, 3);
}

// A recording of one track exports alone: Opus to AAC in an MP4, VP8 in a WebM.
TEST(Export, SingleTrackRecordings) {
  throng::testing::TempDir dir;
  for (const int kept : {0, 1}) {
    const TestMedia& full = media(false);
    TestMedia m;
    m.tracks = {full.tracks[static_cast<std::size_t>(kept)]};
    for (const auto& p : full.packets) {
      if (p.track == kept) m.packets.push_back({0, p.rtp, p.at});
    }
    const auto recording = record(dir / "recordings", m, kept == 0 ? "video" : "audio");
    const auto output = dir / (kept == 0 ? "video.webm" : "audio.mp4");
    auto report = exportRecording(recording, output);
    ASSERT_TRUE(report.ok()) << report.error().message;
    ASSERT_EQ(report->tracks.size(), 1u);
    const auto f = testing::probeFile(output);
    ASSERT_EQ(f.error, "");
    if (kept == 0) {
      EXPECT_EQ(f.video_frames_decoded, full.video_frames);
      EXPECT_EQ(f.audio_codec, "");
    } else {
      EXPECT_EQ(f.video_codec, "");
      EXPECT_EQ(f.audio_codec, "aac");
      EXPECT_NEAR(f.audio_seconds, 2.0, 0.1);
    }
  }
}

// A simulcast live: two encodings of the video (160×120 "l", then 320×240 "h") recorded as two
// tracks with their rids, and the audio. The export takes the larger and says so.
TEST(Export, SimulcastTakesTheLargestEncoding) {
  throng::testing::TempDir dir;
  TestMediaOptions small_options;
  small_options.width = 160;
  small_options.height = 120;
  const TestMedia small = testing::makeTestMedia(small_options);
  const TestMedia& large = media(false);
  TestMedia m;
  m.tracks = {small.tracks[0], large.tracks[0], large.tracks[1]};
  m.tracks[0].rid = "l";
  m.tracks[1].rid = "h";
  for (const auto& p : small.packets) {
    if (p.track == 0) m.packets.push_back({0, p.rtp, p.at});
  }
  for (const auto& p : large.packets) m.packets.push_back({p.track + 1, p.rtp, p.at});
  std::stable_sort(m.packets.begin(), m.packets.end(),
                   [](const auto& a, const auto& b) { return a.at < b.at; });
  const auto recording = record(dir / "recordings", m, "simulcast");
  const auto output = dir / "simulcast.webm";
  auto report = exportRecording(recording, output);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->tracks.size(), 2u);
  bool noted = false;
  for (const auto& note : report->notes) noted |= note.find("'l'") != std::string::npos;
  EXPECT_TRUE(noted);
  const auto f = testing::probeFile(output);
  ASSERT_EQ(f.error, "");
  EXPECT_EQ(f.width, 320);
  EXPECT_EQ(f.video_frames_decoded, large.video_frames);
}

// A live whose video reaches the recorder a second after its audio (the first keyframe came late):
// tracks are placed by arrival, so the video starts at 1 s in the file, in sync with the audio.
TEST(Export, TracksArePlacedByArrival) {
  throng::testing::TempDir dir;
  TestMedia m = media(false);
  std::erase_if(m.packets, [](const testing::TestPacket& p) {
    return p.track == 0 && p.at < std::chrono::milliseconds(1000);
  });
  const auto recording = record(dir / "recordings", m);
  auto report = exportRecording(recording, dir / "late.webm");
  ASSERT_TRUE(report.ok()) << report.error().message;
  const auto f = testing::probeFile(dir / "late.webm");
  EXPECT_NEAR(f.audio_start, 0.0, 0.01);
  EXPECT_NEAR(f.video_start, 1.0, 0.01);
  EXPECT_EQ(f.video_frames_decoded, 30);
}

TEST(Export, TsharkReadsTheRecordingAsRtp) {
  throng::testing::TempDir dir;
  const TestMedia& m = media(false);
  const auto recording = record(dir / "recordings", m);
  const auto tshark = testing::runTshark(recording / "media.pcap", {5004, 5006});
  if (!tshark.available) GTEST_SKIP() << "tshark is not installed";
  EXPECT_EQ(tshark.status, 0) << tshark.output.substr(0, 2000);
  EXPECT_EQ(tshark.rtp_packets, static_cast<int>(m.packets.size()))
      << tshark.output.substr(0, 2000);
  // The first packet is video sequence 65500 on port 5004.
  EXPECT_NE(tshark.output.find("65500\t5004"), std::string::npos) << tshark.output.substr(0, 500);
}

TEST(Export, WrongContainerForTheCodecSaysWhichToUse) {
  throng::testing::TempDir dir;
  const auto vp8 = record(dir / "recordings", media(false), "vp8");
  auto report = exportRecording(vp8, dir / "out.mp4");
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("cannot hold VP8 video"), std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("export to .webm"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mp4"));

  auto avi = exportRecording(vp8, dir / "out.avi");
  ASSERT_FALSE(avi.ok());
  EXPECT_NE(avi.error().message.find("must end in .webm"), std::string::npos);
}

TEST(Export, BadRecordingsSayWhatIsWrong) {
  throng::testing::TempDir dir;
  const auto error = [&](const std::filesystem::path& recording) {
    auto report = exportRecording(recording, dir / "out.webm");
    return report.ok() ? std::string("(exported)") : report.error().message;
  };

  EXPECT_NE(error(dir / "nowhere").find("is not a recording directory"), std::string::npos);

  std::filesystem::create_directories(dir / "no-index");
  const auto no_index = error(dir / "no-index");
  EXPECT_NE(no_index.find("cannot read " + (dir / "no-index" / "index.json").string()),
            std::string::npos)
      << no_index;

  // Unknown codec.
  auto vp9 =
      Recorder::start(dir / "r", "vp9", {RecordedTrack{"video", "VP9", 98, 90'000, 0, "", ""}}, kStart);
  ASSERT_TRUE(vp9.ok());
  (*vp9)->stop();
  EXPECT_NE(error((*vp9)->directory()).find("codec \"VP9\" cannot be exported"), std::string::npos)
      << error((*vp9)->directory());

  // Empty: started and stopped with nothing in between.
  auto empty = Recorder::start(dir / "r", "empty", media(false).tracks, kStart);
  ASSERT_TRUE(empty.ok());
  (*empty)->stop();
  EXPECT_NE(error((*empty)->directory()).find("empty recording"), std::string::npos)
      << error((*empty)->directory());

  // Garbage in place of the pcap or the index.
  std::ofstream((*empty)->directory() / "media.pcap", std::ios::trunc)
      << "garbage garbage garbage!";
  EXPECT_NE(error((*empty)->directory()).find("is not a pcap file"), std::string::npos)
      << error((*empty)->directory());
  std::ofstream((*empty)->directory() / "index.json", std::ios::trunc) << "{\"format\":";
  EXPECT_NE(error((*empty)->directory()).find("index.json: not valid JSON"), std::string::npos)
      << error((*empty)->directory());
  EXPECT_FALSE(std::filesystem::exists(dir / "out.webm"));
}

TEST(Export, FromTheCommandLine) {
  throng::testing::TempDir dir;
  const auto recording = record(dir / "recordings", media(false));
  const std::string throng = throng::testing::throngBinary();
  const std::string ok = throng::testing::runCommand(
      throng + " record export '" + recording.string() + "' --output '" +
      (dir / "cli.webm").string() + "' 2>&1; echo \"exit=$?\"");
  std::printf("%s", ok.c_str());
  EXPECT_NE(ok.find("wrote " + (dir / "cli.webm").string() + " (webm)"), std::string::npos) << ok;
  EXPECT_NE(ok.find("track 0: video VP8 -> vp8 320x240, 60 frames"), std::string::npos) << ok;
  EXPECT_NE(ok.find("exit=0"), std::string::npos) << ok;
  EXPECT_EQ(testing::probeFile(dir / "cli.webm").video_frames_decoded, 60);

  const std::string bad =
      throng::testing::runCommand(throng + " record export '" + recording.string() + "' -o '" +
                                  (dir / "cli.mp4").string() + "' 2>&1; echo \"exit=$?\"");
  EXPECT_NE(bad.find("throng: record export: cannot export"), std::string::npos) << bad;
  EXPECT_NE(bad.find("exit=1"), std::string::npos) << bad;
}

}  // namespace
}  // namespace throng::record
