// index.json: a round trip keeps every field; what is not an index is refused saying which
// field is wrong and naming the file.
#include "record/recording_index.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace throng::record {
namespace {

const std::chrono::system_clock::time_point kStart{std::chrono::milliseconds(1'714'998'896'789)};

RecordingIndex sample() {
  RecordingIndex index;
  index.slug = "demo";
  index.started = kStart;
  index.flush_interval = std::chrono::milliseconds(200);
  IndexedTrack video;
  video.track = RecordedTrack{"video", "H264", 102,
                              90'000,  0,      "packetization-mode=1;profile-level-id=42e01f", "h"};
  video.udp_port = 5004;
  video.ssrc = 0xdeadbeef;
  IndexedTrack audio;
  audio.track = RecordedTrack{"audio", "opus", 111, 48'000, 2, "minptime=10", ""};
  audio.udp_port = 5006;
  index.tracks = {video, audio};
  return index;
}

void writeText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(RecordingIndex, RoundTripKeepsEveryField) {
  RecordingIndex index = sample();
  index.stopped = kStart + std::chrono::seconds(5);
  index.stats = RecordingStats{100, 123'456, 3, 25};
  const std::string json = indexToJson(index);
  auto back = parseIndexJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->slug, "demo");
  EXPECT_EQ(back->started, kStart);
  EXPECT_EQ(back->stopped, index.stopped);
  EXPECT_EQ(back->flush_interval, std::chrono::milliseconds(200));
  ASSERT_EQ(back->tracks.size(), 2u);
  EXPECT_EQ(back->tracks[0].track.codec, "H264");
  EXPECT_EQ(back->tracks[0].track.payload_type, 102);
  EXPECT_EQ(back->tracks[0].track.fmtp, "packetization-mode=1;profile-level-id=42e01f");
  EXPECT_EQ(back->tracks[0].track.rid, "h");
  EXPECT_EQ(back->tracks[0].ssrc, 0xdeadbeefu);
  EXPECT_EQ(back->tracks[1].track.channels, 2);
  EXPECT_EQ(back->tracks[1].udp_port, 5006);
  EXPECT_FALSE(back->tracks[1].ssrc.has_value());
  ASSERT_TRUE(back->stats.has_value());
  EXPECT_EQ(back->stats->bytes_written, 123'456u);
  EXPECT_EQ(back->stats->packets_dropped, 3u);
  EXPECT_NE(json.find("\"started\": \"2024-05-06T12:34:56.789Z\""), std::string::npos) << json;
}

TEST(RecordingIndex, WhileRecordingStoppedAndStatsAreNull) {
  const std::string json = indexToJson(sample());
  EXPECT_NE(json.find("\"stopped\": null"), std::string::npos);
  EXPECT_NE(json.find("\"stats\": null"), std::string::npos);
  auto back = parseIndexJson(json);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->stopped.has_value());
  EXPECT_FALSE(back->stats.has_value());
}

TEST(RecordingIndex, UtcTimes) {
  EXPECT_EQ(formatUtcMillis(kStart), "2024-05-06T12:34:56.789Z");
  EXPECT_EQ(parseUtcMillis("2024-05-06T12:34:56.789Z"), kStart);
  EXPECT_FALSE(parseUtcMillis("2024-05-06 12:34:56.789Z").has_value());
  EXPECT_FALSE(parseUtcMillis("2024-13-06T12:34:56.789Z").has_value());
  EXPECT_FALSE(parseUtcMillis("2024-05-06T12:34:56Z").has_value());
}

TEST(RecordingIndex, BadIndexesSayWhatIsWrong) {
  const auto error = [](const std::string& text) {
    auto parsed = parseIndexJson(text);
    return parsed.ok() ? std::string("(accepted)") : parsed.error().message;
  };
  EXPECT_EQ(error("{not json"), "not valid JSON");
  EXPECT_EQ(error("[1,2]"), "not a JSON object");
  EXPECT_EQ(error(R"({"format":"other"})"), "\"format\" is not \"throng-recording\"");
  EXPECT_EQ(error(R"({"format":"throng-recording","version":7})"),
            "version 7 (this build reads version 1)");
  const std::string head = R"({"format":"throng-recording","version":1,"slug":"s",)"
                           R"("started":"2024-05-06T12:34:56.789Z",)";
  EXPECT_EQ(error(head + R"("tracks":5})"), "missing \"tracks\" array");
  EXPECT_EQ(error(head + R"("tracks":[{"kind":"video"}]})"), "track 0: missing \"codec\"");
  EXPECT_EQ(error(head + R"("tracks":[{"kind":"text","codec":"x"}]})"),
            "track 0: \"kind\" is \"text\", not \"video\" or \"audio\"");
  EXPECT_EQ(error(head + R"("tracks":[{"kind":"video","codec":"VP8","payload_type":300,)"
                         R"("clock_rate":90000,"channels":0,"udp_port":5004}]})"),
            "track 0: \"payload_type\" is out of range (0..127)");
  EXPECT_EQ(error(head + R"("tracks":[{"kind":"video","codec":"VP8","payload_type":"96"}]})"),
            "track 0: \"payload_type\" is not an integer");
  EXPECT_EQ(error(R"({"format":"throng-recording","version":1,"slug":"s","started":"yesterday",)"
                  R"("tracks":[]})"),
            "\"started\" is not a UTC time like 2024-05-06T12:34:56.789Z");
  std::string many = head + R"("tracks":[)";
  for (int i = 0; i < 17; ++i) many += std::string(i ? "," : "") + "{}";
  EXPECT_EQ(error(many + "]}"), "more than 16 tracks");
}

TEST(RecordingIndex, WritesAtomicallyAndReadsBack) {
  testing::TempDir dir;
  ASSERT_TRUE(writeIndex(dir.path(), sample()).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "index.json.tmp"));
  auto back = readIndex(dir.path());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->tracks.size(), 2u);
}

TEST(RecordingIndex, ReadErrorsNameTheFile) {
  testing::TempDir dir;
  auto missing = readIndex(dir.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find((dir / "index.json").string()), std::string::npos)
      << missing.error().message;

  writeText(dir / "index.json", "garbage");
  auto garbage = readIndex(dir.path());
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message, (dir / "index.json").string() + ": not valid JSON");

  writeText(dir / "index.json", std::string(kMaxIndexBytes + 1, ' '));
  auto huge = readIndex(dir.path());
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("larger than"), std::string::npos);
}

TEST(RecordingIndex, InvalidUtf8InAnFmtpDoesNotThrow) {
  RecordingIndex index = sample();
  index.tracks[0].track.fmtp = "a=\xff\xfe";
  auto back = parseIndexJson(indexToJson(index));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->tracks[0].track.fmtp.substr(0, 2), "a=");
}

}  // namespace
}  // namespace throng::record
