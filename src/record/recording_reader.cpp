// Reading a recording back as frames (recording_reader.h).
#include "record/recording_reader.h"

#include "record/rtp_view.h"

#include <utility>

namespace throng::record {

Result<RecordingReader> RecordingReader::open(const std::filesystem::path& directory,
                                              std::size_t reorder_window) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    return makeError(directory.string() + " is not a recording directory (no such directory)");
  }
  auto index = readIndex(directory);
  if (!index) return index.error();
  auto pcap = PcapReader::open(directory / kMediaFileName);
  if (!pcap) return pcap.error();
  return RecordingReader(std::move(index).value(), std::move(pcap).value(), reorder_window);
}

RecordingReader::RecordingReader(RecordingIndex index, PcapReader pcap, std::size_t reorder_window)
    : index_(std::move(index)), pcap_(std::move(pcap)) {
  tracks_.reserve(index_.tracks.size());
  for (const IndexedTrack& t : index_.tracks) {
    tracks_.push_back(Track{makeDepacketizer(t.track.codec, t.track.fmtp),
                            ReorderBuffer(reorder_window == 0 ? 1 : reorder_window),
                            t.ssrc,
                            {}});
  }
}

bool RecordingReader::readable(int track) const {
  return track >= 0 && static_cast<std::size_t>(track) < tracks_.size() &&
         tracks_[static_cast<std::size_t>(track)].depacketizer != nullptr;
}

TrackReadStats RecordingReader::trackStats(int track) const {
  const Track& t = tracks_.at(static_cast<std::size_t>(track));
  TrackReadStats s = t.stats;
  if (t.depacketizer) s.frames = t.depacketizer->stats();
  s.late = t.reorder.late();
  s.duplicates = t.reorder.duplicates();
  return s;
}

std::optional<TrackFrame> RecordingReader::next() {
  while (ready_.empty() && !ended_) {
    auto packet = pcap_.next();
    if (packet) {
      accept(*packet);
      continue;
    }
    // The end: release what the reorder buffers hold and close open frames.
    ended_ = true;
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      if (!tracks_[i].depacketizer) continue;
      released_.clear();
      tracks_[i].reorder.drain(released_);
      depacketize(static_cast<int>(i), released_);
      frames_.clear();
      tracks_[i].depacketizer->finish(frames_);
      emit(static_cast<int>(i), frames_);
    }
  }
  if (ready_.empty()) return std::nullopt;
  TrackFrame f = std::move(ready_.front());
  ready_.pop_front();
  return f;
}

void RecordingReader::accept(const PcapPacket& packet) {
  int track = -1;
  for (std::size_t i = 0; i < index_.tracks.size(); ++i) {
    if (index_.tracks[i].udp_port == packet.udp.destination_port) track = static_cast<int>(i);
  }
  if (track < 0) {
    ++unmatched_;
    return;
  }
  Track& t = tracks_[static_cast<std::size_t>(track)];
  if (!t.depacketizer) return;
  const auto rtp = parseRtpView(packet.udp.payload);
  if (!rtp) {
    ++t.stats.malformed;
    return;
  }
  if (!t.ssrc) t.ssrc = rtp->ssrc;
  const int payload_type = index_.tracks[static_cast<std::size_t>(track)].track.payload_type;
  if (rtp->ssrc != *t.ssrc || rtp->payload_type != payload_type) {
    ++t.stats.other_stream;
    return;
  }
  if (!origin_) origin_ = packet.time;
  ++t.stats.packets;
  released_.clear();
  t.reorder.push(rtp->sequence, packet.udp.payload, packet.time, released_);
  depacketize(track, released_);
}

void RecordingReader::depacketize(int track, std::vector<SequencedPacket>& packets) {
  Track& t = tracks_[static_cast<std::size_t>(track)];
  frames_.clear();
  for (const SequencedPacket& p : packets) {
    const auto rtp = parseRtpView(p.bytes);  // parsed once already; cannot fail
    if (rtp) t.depacketizer->push(*rtp, p.gap_before, p.arrival, frames_);
  }
  emit(track, frames_);
}

void RecordingReader::emit(int track, std::vector<MediaFrame>& frames) {
  Track& t = tracks_[static_cast<std::size_t>(track)];
  const std::int64_t clock_rate = index_.tracks[static_cast<std::size_t>(track)].track.clock_rate;
  for (MediaFrame& f : frames) {
    if (!t.anchored) {
      // The first frame sits where its first packet arrived, counted from the first packet of
      // the recording, in this track's clock.
      const auto since_origin = std::chrono::duration_cast<std::chrono::microseconds>(
          f.arrival - origin_.value_or(f.arrival));
      t.anchor_pts = since_origin.count() * clock_rate / 1'000'000;
      t.first_extended = f.rtp_timestamp;
      t.last_extended = f.rtp_timestamp;
      t.last_timestamp = f.rtp_timestamp;
      t.anchored = true;
    }
    // RTP timestamps wrap at 2^32 (RFC 3550 §5.1): step by the signed 32-bit difference.
    t.last_extended += static_cast<std::int32_t>(f.rtp_timestamp - t.last_timestamp);
    t.last_timestamp = f.rtp_timestamp;
    TrackFrame out;
    out.track = track;
    out.pts = t.anchor_pts + (t.last_extended - t.first_extended);
    out.frame = std::move(f);
    ready_.push_back(std::move(out));
  }
}

}  // namespace throng::record
