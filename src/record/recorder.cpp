// The recorder's queue and writer thread (recorder.h).
#include "record/recorder.h"

#include "base/log.h"
#include "record/pcap_writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <system_error>
#include <utility>

namespace throng::record {
namespace {

// RFC 3550 §5.1: the fixed header; anything shorter is not an RTP packet.
constexpr std::size_t kRtpHeaderBytes = 12;
constexpr std::size_t kMaxSlugBytes = 64;
// Recordings of one slug started within the same second get "-2", "-3", ...; a hundred in one
// second is a loop, not a live.
constexpr int kMaxNameAttempts = 100;

Status writeFully(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError(std::strerror(errno));
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

bool isValidRecordingSlug(std::string_view slug) {
  if (slug.empty() || slug.size() > kMaxSlugBytes || slug.front() == '.') return false;
  for (const char c : slug) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string recordingDirectoryName(std::string_view slug,
                                   std::chrono::system_clock::time_point now) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char stamp[64];  // room for any int the format could print
  std::snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(slug) + "-" + stamp;
}

Result<std::unique_ptr<Recorder>> Recorder::start(const std::filesystem::path& recordings_dir,
                                                  std::string slug,
                                                  std::vector<RecordedTrack> tracks,
                                                  std::chrono::system_clock::time_point now,
                                                  RecorderOptions options) {
  namespace fs = std::filesystem;
  if (!isValidRecordingSlug(slug)) {
    return makeError("cannot record \"" + slug +
                     "\": a slug is 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  if (tracks.empty() || tracks.size() > kMaxTracks) {
    return makeError("cannot record " + slug + ": " + std::to_string(tracks.size()) +
                     " tracks (1 to " + std::to_string(kMaxTracks) + ")");
  }
  std::error_code error;
  fs::create_directories(recordings_dir, error);
  if (error) return makeError("cannot create " + recordings_dir.string() + ": " + error.message());

  // A directory of our own: create_directory reports an existing one instead of reusing it.
  const std::string base = recordingDirectoryName(slug, now);
  fs::path directory;
  for (int attempt = 1; attempt <= kMaxNameAttempts && directory.empty(); ++attempt) {
    const fs::path candidate =
        recordings_dir / (attempt == 1 ? base : base + "-" + std::to_string(attempt));
    if (fs::create_directory(candidate, error)) directory = candidate;
    if (error) return makeError("cannot create " + candidate.string() + ": " + error.message());
  }
  if (directory.empty()) {
    return makeError("cannot create " + (recordings_dir / base).string() + ": taken " +
                     std::to_string(kMaxNameAttempts) + " times over");
  }

  // From here on a failure removes the directory: no half-made recording is left to export.
  const auto fail = [&directory](int fd, Error e) -> Error {
    if (fd >= 0) ::close(fd);
    std::error_code ignored;
    fs::remove_all(directory, ignored);
    return e;
  };
  const fs::path media = directory / kMediaFileName;
  const int fd = ::open(media.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(-1, makeError("cannot create " + media.string() + ": " + std::strerror(errno)));
  }
  // The file header goes out now, so that even a kill in the first instant leaves a pcap.
  std::vector<std::uint8_t> header;
  appendPcapFileHeader(header);
  if (auto written = writeFully(fd, header.data(), header.size()); !written) {
    return fail(fd, makeError("cannot write " + media.string() + ": " + written.error().message));
  }

  RecordingIndex index;
  index.slug = std::move(slug);
  index.started = now;
  index.flush_interval = options.flush_interval;
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    IndexedTrack& t = index.tracks.emplace_back();
    t.track = std::move(tracks[i]);
    t.udp_port = trackPort(static_cast<int>(i));
  }
  if (auto written = writeIndex(directory, index); !written) return fail(fd, written.error());

  std::unique_ptr<Recorder> recorder(new Recorder(directory, std::move(index), fd, options));
  recorder->bytes_written_.store(header.size());
  Recorder* self = recorder.get();
  recorder->writer_ = std::jthread([self] { self->run(); });
  pthread_setname_np(recorder->writer_.native_handle(), "throng-record");
  return recorder;
}

Recorder::Recorder(std::filesystem::path directory, RecordingIndex index, int fd,
                   RecorderOptions options)
    : directory_(std::move(directory)), options_(options), fd_(fd), index_(std::move(index)) {
  // Both buffers are reserved at the bound, so write() never reallocates (and copies megabytes)
  // under the mutex. Untouched capacity is address space, not memory: pages are faulted in as
  // the traffic reaches them, once.
  queue_.reserve(options_.max_queued_bytes);
}

Recorder::~Recorder() {
  stop();
}

void Recorder::write(int track, std::span<const std::uint8_t> rtp,
                     std::chrono::system_clock::time_point arrival) {
  if (track < 0 || static_cast<std::size_t>(track) >= index_.tracks.size() ||
      rtp.size() < kRtpHeaderBytes || rtp.size() > kMaxUdpPayloadBytes) {
    packets_dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::size_t record_bytes = kPcapPacketOverhead + rtp.size();
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    const std::size_t before = queue_.size();
    if (stopping_ || before + record_bytes > options_.max_queued_bytes) {
      packets_dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    IndexedTrack& t = index_.tracks[static_cast<std::size_t>(track)];
    if (!t.ssrc) {
      t.ssrc = static_cast<std::uint32_t>(rtp[8]) << 24 | static_cast<std::uint32_t>(rtp[9]) << 16 |
               static_cast<std::uint32_t>(rtp[10]) << 8 | rtp[11];
    }
    appendPcapPacket(queue_, arrival, t.udp_port, rtp);
    ++queued_packets_;
    // Only the write that crosses the mark wakes the writer: no wake-up per packet.
    wake = before < options_.wake_bytes && queue_.size() >= options_.wake_bytes;
  }
  if (wake) wake_.notify_one();
}

void Recorder::run() {
  std::unique_lock lock(mutex_);
  std::vector<std::uint8_t> writing;
  writing.reserve(queue_.capacity());
  for (;;) {
    wake_.wait_for(lock, options_.flush_interval,
                   [this] { return stopping_ || queue_.size() >= options_.wake_bytes; });
    const bool last = stopping_;
    // Swap, so that write() fills the other buffer while this one goes to the kernel.
    queue_.swap(writing);
    const std::uint64_t packets = std::exchange(queued_packets_, 0);
    lock.unlock();
    if (!writing.empty()) {
      if (writeOut(writing)) {
        packets_written_.fetch_add(packets, std::memory_order_relaxed);
        bytes_written_.fetch_add(writing.size(), std::memory_order_relaxed);
        flushes_.fetch_add(1, std::memory_order_relaxed);
      } else {
        packets_dropped_.fetch_add(packets, std::memory_order_relaxed);
      }
      writing.clear();
    }
    if (last) return;
    lock.lock();
  }
}

bool Recorder::writeOut(const std::vector<std::uint8_t>& bytes) {
  // After an error (a full disk) the file may end inside a record; writing more after it would
  // put whole records behind a broken one, so the rest is dropped.
  if (write_errors_.load(std::memory_order_relaxed) > 0) return false;
  auto written = writeFully(fd_, bytes.data(), bytes.size());
  if (written) return true;
  write_errors_.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("recording {}: cannot write {}: {}; dropping the rest of it", index_.slug,
                (directory_ / kMediaFileName).string(), written.error().message);
  return false;
}

void Recorder::stop() {
  std::lock_guard once(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();

  const auto media = directory_ / kMediaFileName;
  if (options_.sync_on_stop && ::fdatasync(fd_) != 0) {
    spdlog::warn("recording {}: fdatasync {}: {}", index_.slug, media.string(),
                 std::strerror(errno));
  }
  if (::close(fd_) != 0) {
    spdlog::warn("recording {}: close {}: {}", index_.slug, media.string(), std::strerror(errno));
  }
  fd_ = -1;

  const Stats s = stats();
  RecordingIndex final_index;
  {
    std::lock_guard lock(mutex_);
    final_index = index_;
  }
  final_index.stopped = std::chrono::system_clock::now();
  final_index.stats =
      RecordingStats{s.packets_written, s.bytes_written, s.packets_dropped, s.flushes};
  if (auto written = writeIndex(directory_, final_index); !written) {
    spdlog::error("recording {}: {}", index_.slug, written.error().message);
  }
}

Recorder::Stats Recorder::stats() const {
  Stats s;
  s.packets_written = packets_written_.load(std::memory_order_relaxed);
  s.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  s.packets_dropped = packets_dropped_.load(std::memory_order_relaxed);
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.write_errors = write_errors_.load(std::memory_order_relaxed);
  return s;
}

std::uint16_t Recorder::udpPort(int track) const {
  return trackPort(track);
}

}  // namespace throng::record
