// index.json, the description kept beside a recording's media.pcap: which live, when, and for
// each track what is needed to decode it (codec, payload type, clock rate, fmtp) and where it
// is in the pcap (its UDP port). Written at the start (stopped = null) and rewritten when the
// recording stops; each write goes to a temporary file renamed over the old one, so a reader
// (or a kill) never sees half a file.
#pragma once

#include "base/result.h"
#include "record/recorded_track.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::record {

inline constexpr int kIndexVersion = 1;
inline constexpr const char* kIndexFileName = "index.json";
inline constexpr const char* kMediaFileName = "media.pcap";
// index.json is small; a larger file is not one we wrote, and is not read into memory.
inline constexpr std::size_t kMaxIndexBytes = 1 << 20;
inline constexpr std::size_t kMaxTracks = 16;

struct IndexedTrack {
  RecordedTrack track;
  std::uint16_t udp_port = 0;
  std::optional<std::uint32_t> ssrc;  // of the first packet recorded; none before one arrives
};

struct RecordingStats {
  std::uint64_t packets_written = 0;
  std::uint64_t bytes_written = 0;  // of media.pcap, headers included
  std::uint64_t packets_dropped = 0;
  std::uint64_t flushes = 0;
};

struct RecordingIndex {
  std::string slug;
  std::chrono::system_clock::time_point started;
  std::optional<std::chrono::system_clock::time_point> stopped;  // none: still running, or killed
  std::chrono::milliseconds flush_interval{0};  // at most this much is lost to a kill
  std::vector<IndexedTrack> tracks;
  std::optional<RecordingStats> stats;  // written at the stop
};

// UTC "2024-05-06T12:34:56.789Z", and back (nullopt unless exactly that form).
std::string formatUtcMillis(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> parseUtcMillis(std::string_view text);

std::string indexToJson(const RecordingIndex& index);
// Errors say which field is missing or wrong.
Result<RecordingIndex> parseIndexJson(std::string_view text);

// Writes `index` to <directory>/index.json through a temporary file, fsync and rename.
Status writeIndex(const std::filesystem::path& directory, const RecordingIndex& index);
// Reads <directory>/index.json; errors name the file.
Result<RecordingIndex> readIndex(const std::filesystem::path& directory);

}  // namespace throng::record
