// Recorder: writes the decrypted ingest RTP of one live to disk, as it arrives, in a form
// tshark and Wireshark read (media.pcap, pcap_writer.h) with an index.json beside it
// (recording_index.h). `throng record export` turns a recording into a WebM or MP4 file.
//
// Threads: write() is called on any thread (the ingest's worker) and never touches the disk: it
// formats the packet into a bounded in-memory queue under a mutex held for a copy. A writer
// thread of the recorder's own hands the queue to the kernel with one write(2) at least every
// flush_interval, so a SIGKILL loses at most that much; a file cut inside a record still reads
// up to the last whole one.
#pragma once

#include "base/result.h"
#include "record/recorded_track.h"
#include "record/recording_index.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace throng::record {

struct RecorderOptions {
  // The writer hands what is queued to the kernel at least this often: what a kill can lose.
  std::chrono::milliseconds flush_interval{200};
  // Bound of the queue between write() and the writer, in pcap bytes. 8 MiB holds 6 s of a
  // 10 Mbit/s live, far longer than any disk stall worth riding out; beyond it packets are
  // dropped and counted.
  std::size_t max_queued_bytes = 8u << 20;
  // The writer is woken early once this much is queued, so bursts never reach the bound.
  std::size_t wake_bytes = 1u << 20;
  // fdatasync media.pcap when the recording stops (a kill or power cut before is not synced).
  bool sync_on_stop = true;
};

class Recorder {
 public:
  struct Stats {
    std::uint64_t packets_written = 0;  // handed to the kernel
    std::uint64_t bytes_written = 0;    // of media.pcap, headers included
    std::uint64_t packets_dropped = 0;  // queue full, bad track or size, after stop, disk error
    std::uint64_t flushes = 0;          // write(2) calls of a non-empty queue
    std::uint64_t write_errors = 0;
  };

  // Creates <recordings_dir>/<slug>-<UTC yyyymmddThhmmssZ>/ (with "-2", "-3"... if taken),
  // media.pcap and index.json, and starts the writer thread. `slug` is 1-64 characters of
  // [A-Za-z0-9._-] not starting with '.'; at most kMaxTracks tracks. Errors name the path.
  static Result<std::unique_ptr<Recorder>> start(const std::filesystem::path& recordings_dir,
                                                 std::string slug,
                                                 std::vector<RecordedTrack> tracks,
                                                 std::chrono::system_clock::time_point now,
                                                 RecorderOptions options = {});
  ~Recorder();  // stops
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Any thread. Copies one RTP packet of track `track` (an index into the tracks given to
  // start) into the queue, stamped `arrival`. Never blocks on the disk; drops and counts the
  // packet when the queue is full, the track or size is out of range, or after stop().
  void write(int track, std::span<const std::uint8_t> rtp,
             std::chrono::system_clock::time_point arrival);

  // Writes what is queued, syncs, closes media.pcap and rewrites index.json with the stop time,
  // the SSRCs seen and the stats. Idempotent; any thread but the writer's.
  void stop();

  Stats stats() const;  // any thread
  const std::filesystem::path& directory() const { return directory_; }
  std::uint16_t udpPort(int track) const;

 private:
  Recorder(std::filesystem::path directory, RecordingIndex index, int fd, RecorderOptions options);
  void run();
  // Writes `bytes` to media.pcap (whole, across partial writes); false on an error (logged).
  bool writeOut(const std::vector<std::uint8_t>& bytes);

  const std::filesystem::path directory_;
  const RecorderOptions options_;
  int fd_;  // media.pcap; written only by the writer thread, closed by stop()

  // Guards everything below it up to the atomics; held by write() for one copy.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::uint8_t> queue_;  // pcap records not yet written
  std::uint64_t queued_packets_ = 0;
  bool stopping_ = false;
  RecordingIndex index_;  // the SSRCs are filled in by write()

  std::mutex stop_mutex_;  // makes stop() run once
  bool stopped_ = false;

  std::atomic<std::uint64_t> packets_written_{0};
  std::atomic<std::uint64_t> bytes_written_{0};
  std::atomic<std::uint64_t> packets_dropped_{0};
  std::atomic<std::uint64_t> flushes_{0};
  std::atomic<std::uint64_t> write_errors_{0};

  std::jthread writer_;  // last: started once everything above exists
};

// True for slugs start() accepts (they become part of a directory name).
bool isValidRecordingSlug(std::string_view slug);

// "<slug>-20240506T123456Z": the directory name for a recording started at `now`.
std::string recordingDirectoryName(std::string_view slug,
                                   std::chrono::system_clock::time_point now);

}  // namespace throng::record
