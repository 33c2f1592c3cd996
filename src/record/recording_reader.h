// RecordingReader: a recording (index.json + media.pcap) read back as frames. Packets are
// matched to tracks by UDP port, kept to the track's first SSRC and payload type, put back in
// sequence order (ReorderBuffer) and depacketized; each frame gets a presentation time in its
// track's clock, the RTP timestamps unwrapped past 32 bits. Tracks are aligned by arrival: a
// track's first frame is placed at the time its first packet arrived after the recording's
// first packet (the recorder has no RTCP sender reports to do better). Frames come out roughly
// in arrival order, as the packets were recorded.
#pragma once

#include "base/result.h"
#include "record/depacketizer.h"
#include "record/pcap_reader.h"
#include "record/recording_index.h"
#include "record/reorder_buffer.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

namespace throng::record {

struct TrackFrame {
  int track = 0;
  std::int64_t pts = 0;  // in the track's clock (1 / clock_rate), 0 at the recording's start
  MediaFrame frame;
};

struct TrackReadStats {
  std::uint64_t packets = 0;       // accepted into the track
  std::uint64_t malformed = 0;     // not RTP
  std::uint64_t other_stream = 0;  // another SSRC or payload type (RTX, a second sender)
  std::uint64_t late = 0;
  std::uint64_t duplicates = 0;
  Depacketizer::Stats frames;
};

class RecordingReader {
 public:
  // Packets held per track to undo reordering; 256 is a second of 2.5 Mbit/s video, far more
  // than any reordering a network shows.
  static constexpr std::size_t kDefaultReorderWindow = 256;

  // Reads <directory>/index.json and opens <directory>/media.pcap. Errors name the file.
  static Result<RecordingReader> open(const std::filesystem::path& directory,
                                      std::size_t reorder_window = kDefaultReorderWindow);

  const RecordingIndex& index() const { return index_; }
  // Whether track `track` has a codec this reader can depacketize (VP8, H264, opus).
  bool readable(int track) const;

  // The next frame of any readable track; nullopt once the recording is read.
  std::optional<TrackFrame> next();

  TrackReadStats trackStats(int track) const;  // precondition: a track of the index
  const PcapReader& pcap() const { return pcap_; }
  std::uint64_t unmatchedPackets() const { return unmatched_; }  // on no track's port

 private:
  struct Track {
    std::unique_ptr<Depacketizer> depacketizer;  // null: codec not readable
    ReorderBuffer reorder;
    std::optional<std::uint32_t> ssrc;
    TrackReadStats stats;
    // Timestamp unwrapping and placement.
    bool anchored = false;
    std::int64_t anchor_pts = 0;
    std::int64_t first_extended = 0;
    std::int64_t last_extended = 0;
    std::uint32_t last_timestamp = 0;
  };

  RecordingReader(RecordingIndex index, PcapReader pcap, std::size_t reorder_window);
  void accept(const PcapPacket& packet);
  void depacketize(int track, std::vector<SequencedPacket>& packets);
  void emit(int track, std::vector<MediaFrame>& frames);

  RecordingIndex index_;
  PcapReader pcap_;
  std::vector<Track> tracks_;
  std::deque<TrackFrame> ready_;
  std::optional<std::chrono::system_clock::time_point> origin_;  // first packet of any track
  std::uint64_t unmatched_ = 0;
  bool ended_ = false;
  // Scratch, reused for every packet.
  std::vector<SequencedPacket> released_;
  std::vector<MediaFrame> frames_;
};

}  // namespace throng::record
