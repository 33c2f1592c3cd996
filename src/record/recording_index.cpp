// index.json: writing, reading, checking (recording_index.h).
#include "record/recording_index.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

namespace throng::record {
namespace {

using nlohmann::json;

constexpr const char* kFormatName = "throng-recording";

// Reads an integer member in [low, high]; an error names the member.
Result<std::int64_t> integer(const json& object, const char* name, std::int64_t low,
                             std::int64_t high) {
  const auto it = object.find(name);
  if (it == object.end()) return makeError(std::string("missing \"") + name + "\"");
  if (!it->is_number_integer()) return makeError(std::string("\"") + name + "\" is not an integer");
  const auto value = it->is_number_unsigned()
                         ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                               it->get<std::uint64_t>(), static_cast<std::uint64_t>(high) + 1))
                         : it->get<std::int64_t>();
  if (value < low || value > high) {
    return makeError(std::string("\"") + name + "\" is out of range (" + std::to_string(low) +
                     ".." + std::to_string(high) + ")");
  }
  return value;
}

Result<std::string> string(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return makeError(std::string("missing \"") + name + "\"");
  if (!it->is_string()) return makeError(std::string("\"") + name + "\" is not a string");
  return it->get<std::string>();
}

Result<IndexedTrack> parseTrack(const json& t) {
  if (!t.is_object()) return makeError("not an object");
  IndexedTrack out;
  auto kind = string(t, "kind");
  if (!kind) return kind.error();
  if (*kind != "video" && *kind != "audio") {
    return makeError("\"kind\" is \"" + *kind + "\", not \"video\" or \"audio\"");
  }
  auto codec = string(t, "codec");
  if (!codec) return codec.error();
  // RFC 3550 §5.1: 7 bits; RFC 7587 §4.1 and RFC 3551 §4.1: 90 kHz video, up to 48 kHz audio.
  auto payload_type = integer(t, "payload_type", 0, 127);
  if (!payload_type) return payload_type.error();
  auto clock_rate = integer(t, "clock_rate", 1, 1'000'000);
  if (!clock_rate) return clock_rate.error();
  auto channels = integer(t, "channels", 0, 8);
  if (!channels) return channels.error();
  auto port = integer(t, "udp_port", 1, 65'535);
  if (!port) return port.error();
  out.track.kind = *kind;
  out.track.codec = *codec;
  out.track.payload_type = static_cast<int>(*payload_type);
  out.track.clock_rate = static_cast<std::uint32_t>(*clock_rate);
  out.track.channels = static_cast<int>(*channels);
  out.udp_port = static_cast<std::uint16_t>(*port);
  if (t.contains("fmtp")) {
    auto fmtp = string(t, "fmtp");
    if (!fmtp) return fmtp.error();
    out.track.fmtp = *fmtp;
  }
  if (t.contains("rid")) {
    auto rid = string(t, "rid");
    if (!rid) return rid.error();
    out.track.rid = *rid;
  }
  if (t.contains("ssrc") && !t.at("ssrc").is_null()) {
    auto ssrc = integer(t, "ssrc", 0, 0xffffffffLL);
    if (!ssrc) return ssrc.error();
    out.ssrc = static_cast<std::uint32_t>(*ssrc);
  }
  return out;
}

Result<RecordingStats> parseStats(const json& s) {
  if (!s.is_object()) return makeError("\"stats\" is not an object");
  RecordingStats out;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  auto written = integer(s, "packets_written", 0, kMax);
  if (!written) return written.error();
  auto bytes = integer(s, "bytes_written", 0, kMax);
  if (!bytes) return bytes.error();
  auto dropped = integer(s, "packets_dropped", 0, kMax);
  if (!dropped) return dropped.error();
  auto flushes = integer(s, "flushes", 0, kMax);
  if (!flushes) return flushes.error();
  out.packets_written = static_cast<std::uint64_t>(*written);
  out.bytes_written = static_cast<std::uint64_t>(*bytes);
  out.packets_dropped = static_cast<std::uint64_t>(*dropped);
  out.flushes = static_cast<std::uint64_t>(*flushes);
  return out;
}

Status writeAll(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError(std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

std::string formatUtcMillis(std::chrono::system_clock::time_point time) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000 - (millis % 1000 < 0));
  const int fraction = static_cast<int>(((millis % 1000) + 1000) % 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];  // room for any int the format could print
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
  return text;
}

std::optional<std::chrono::system_clock::time_point> parseUtcMillis(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS.mmmZ
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t length) {
    int v = 0;
    for (std::size_t i = at; i < at + length; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(5, 2) - 1;
  tm.tm_mday = number(8, 2);
  tm.tm_hour = number(11, 2);
  tm.tm_min = number(14, 2);
  tm.tm_sec = number(17, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  const std::time_t seconds = timegm(&tm);
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds) +
                                               std::chrono::milliseconds(number(20, 3)));
}

std::string indexToJson(const RecordingIndex& index) {
  json tracks = json::array();
  for (const IndexedTrack& t : index.tracks) {
    tracks.push_back({{"kind", t.track.kind},
                      {"codec", t.track.codec},
                      {"payload_type", t.track.payload_type},
                      {"clock_rate", t.track.clock_rate},
                      {"channels", t.track.channels},
                      {"fmtp", t.track.fmtp},
                      {"rid", t.track.rid},
                      {"udp_port", t.udp_port},
                      {"ssrc", t.ssrc ? json(*t.ssrc) : json(nullptr)}});
  }
  json j = {{"format", kFormatName},
            {"version", kIndexVersion},
            {"slug", index.slug},
            {"started", formatUtcMillis(index.started)},
            {"stopped", index.stopped ? json(formatUtcMillis(*index.stopped)) : json(nullptr)},
            {"media", kMediaFileName},
            {"flush_interval_ms", index.flush_interval.count()},
            {"tracks", std::move(tracks)}};
  if (index.stats) {
    j["stats"] = {{"packets_written", index.stats->packets_written},
                  {"bytes_written", index.stats->bytes_written},
                  {"packets_dropped", index.stats->packets_dropped},
                  {"flushes", index.stats->flushes}};
  } else {
    j["stats"] = nullptr;
  }
  // Invalid UTF-8 (an fmtp is a stranger's text) is replaced rather than thrown on.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<RecordingIndex> parseIndexJson(std::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return makeError("not valid JSON");
  if (!j.is_object()) return makeError("not a JSON object");
  const auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kFormatName) {
    return makeError(std::string("\"format\" is not \"") + kFormatName + "\"");
  }
  auto version = integer(j, "version", 0, std::numeric_limits<int>::max());
  if (!version) return version.error();
  if (*version != kIndexVersion) {
    return makeError("version " + std::to_string(*version) + " (this build reads version " +
                     std::to_string(kIndexVersion) + ")");
  }
  RecordingIndex index;
  auto slug = string(j, "slug");
  if (!slug) return slug.error();
  index.slug = *slug;
  auto started = string(j, "started");
  if (!started) return started.error();
  auto started_time = parseUtcMillis(*started);
  if (!started_time)
    return makeError("\"started\" is not a UTC time like 2024-05-06T12:34:56.789Z");
  index.started = *started_time;
  if (j.contains("stopped") && !j.at("stopped").is_null()) {
    auto stopped = string(j, "stopped");
    if (!stopped) return stopped.error();
    index.stopped = parseUtcMillis(*stopped);
    if (!index.stopped) return makeError("\"stopped\" is not a UTC time");
  }
  if (j.contains("flush_interval_ms")) {
    auto interval = integer(j, "flush_interval_ms", 0, 3'600'000);
    if (!interval) return interval.error();
    index.flush_interval = std::chrono::milliseconds(*interval);
  }
  const auto tracks = j.find("tracks");
  if (tracks == j.end() || !tracks->is_array()) return makeError("missing \"tracks\" array");
  if (tracks->size() > kMaxTracks) {
    return makeError("more than " + std::to_string(kMaxTracks) + " tracks");
  }
  for (std::size_t i = 0; i < tracks->size(); ++i) {
    auto track = parseTrack((*tracks)[i]);
    if (!track) return makeError("track " + std::to_string(i) + ": " + track.error().message);
    index.tracks.push_back(std::move(track).value());
  }
  if (j.contains("stats") && !j.at("stats").is_null()) {
    auto stats = parseStats(j.at("stats"));
    if (!stats) return stats.error();
    index.stats = *stats;
  }
  return index;
}

Status writeIndex(const std::filesystem::path& directory, const RecordingIndex& index) {
  const auto path = directory / kIndexFileName;
  const auto temporary = directory / (std::string(kIndexFileName) + ".tmp");
  const std::string text = indexToJson(index);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return makeError("cannot create " + temporary.string() + ": " + std::strerror(errno));
  Status written = writeAll(fd, text);
  // fsync before the rename, so that after a crash the name points at a whole file.
  if (written && ::fsync(fd) != 0) written = makeError(std::strerror(errno));
  ::close(fd);
  if (!written)
    return makeError("cannot write " + temporary.string() + ": " + written.error().message);
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error)
    return makeError("cannot rename " + temporary.string() + " to " + path.string() + ": " +
                     error.message());
  return {};
}

Result<RecordingIndex> readIndex(const std::filesystem::path& directory) {
  const auto path = directory / kIndexFileName;
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return makeError("cannot read " + path.string() + ": " + error.message());
  if (size > kMaxIndexBytes) {
    return makeError(path.string() + " is larger than " + std::to_string(kMaxIndexBytes) +
                     " bytes: not a recording index");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto index = parseIndexJson(text.str());
  if (!index) return makeError(path.string() + ": " + index.error().message);
  return index;
}

}  // namespace throng::record
