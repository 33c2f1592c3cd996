#include "rtc/ingest_track.h"

#include <algorithm>
#include <cmath>

namespace throng::rtc {

IngestTrack::IngestTrack(std::uint32_t clock_rate) : clock_rate_(clock_rate) {}

std::int64_t IngestTrack::extend(std::uint16_t sequence) const {
  // The extended value nearest the highest seen (RFC 3550 A.1's cycle count, both ways).
  return highest_ + sequenceDelta(sequence, static_cast<std::uint16_t>(highest_));
}

IngestTrack::Disposition IngestTrack::onPacket(const RtpHeader& header, std::size_t bytes,
                                               Clock::time_point arrival) {
  if (!started_) {
    started_ = true;
    ssrc_ = header.ssrc;
    base_ = highest_ = header.sequence;
    highest_timestamp_ = header.timestamp;
    highest_arrival_ = arrival;
    epoch_ = arrival;
    last_report_ = arrival;
    expected_prior_ = 0;
  }
  bool recovered = false;
  if (received_ > 0) {
    const std::int64_t extended = extend(header.sequence);
    if (extended - highest_ > kMaxGap || highest_ - extended > kMaxGap) {
      // A restarted numbering, ahead or behind (a new initial sequence number is random,
      // RFC 3550 §5.1): start over rather than wait for thousands of packets or take the new
      // ones for duplicates of old ones.
      restart(header, arrival);
    } else if (extended > highest_) {
      for (std::int64_t lost = highest_ + 1; lost < extended; ++lost) {
        if (missing_.size() >= kMaxMissing) missing_.erase(missing_.begin());
        missing_.emplace(lost, Missing{arrival});
      }
      highest_ = extended;
      highest_timestamp_ = header.timestamp;
      highest_arrival_ = arrival;
    } else if (auto it = missing_.find(extended); it != missing_.end()) {
      missing_.erase(it);
      ++stats_.recovered;
      recovered = true;
    } else {
      ++stats_.duplicates;
      return Disposition::kDuplicate;
    }
  }
  ++received_;
  ++stats_.packets;
  stats_.bytes += bytes;
  // A.8: the difference in relative transit times, in timestamp units.
  const double arrival_units =
      std::chrono::duration<double>(arrival - epoch_).count() * static_cast<double>(clock_rate_);
  const double transit = arrival_units - static_cast<double>(header.timestamp);
  if (have_transit_) {
    double d = std::fabs(transit - last_transit_);
    // A timestamp wrap (2^32) or a new publisher clock is not jitter.
    if (d < static_cast<double>(clock_rate_) * 10) jitter_ += (d - jitter_) / 16;
  }
  last_transit_ = transit;
  have_transit_ = true;
  return recovered ? Disposition::kRecovered : Disposition::kForward;
}

void IngestTrack::restart(const RtpHeader& header, Clock::time_point arrival) {
  missing_.clear();
  // The counts carry on: as many expected and lost as before, the new number the highest
  // (A.1 without the cycles of the old numbering).
  const std::int64_t lost = highest_ - base_ + 1 - static_cast<std::int64_t>(received_);
  if (mapped_) {
    // The stream goes on where it was: the next number after the last one, and the clock
    // advanced by the time since, so viewers see neither a gap to NACK nor a jump in time.
    const auto next =
        static_cast<std::uint16_t>(streamSequence(static_cast<std::uint16_t>(highest_)) + 1);
    const auto elapsed = std::llround(
        std::chrono::duration<double>(arrival - highest_arrival_).count() * clock_rate_);
    const std::uint32_t now =
        streamTimestamp(highest_timestamp_) + static_cast<std::uint32_t>(elapsed);
    sequence_offset_ = static_cast<std::uint16_t>(next - header.sequence);
    timestamp_offset_ = now - header.timestamp;
  }
  highest_ = header.sequence;
  base_ = highest_ - static_cast<std::int64_t>(received_) - lost;
  highest_timestamp_ = header.timestamp;
  highest_arrival_ = arrival;
  have_transit_ = false;  // a new timestamp base is not jitter
}

std::vector<std::uint16_t> IngestTrack::nacksDue(Clock::time_point now) {
  std::vector<std::uint16_t> due;
  for (auto it = missing_.begin(); it != missing_.end();) {
    Missing& m = it->second;
    if (now - m.noticed > kNackGiveUp) {
      ++stats_.given_up;
      it = missing_.erase(it);
      continue;
    }
    if (m.tries < kNackTries && (m.tries == 0 || now - m.last_asked >= kNackRetryInterval)) {
      ++m.tries;
      m.last_asked = now;
      due.push_back(static_cast<std::uint16_t>(it->first));
    }
    ++it;
  }
  stats_.nacks_sent += due.size();
  return due;
}

RtcpReportBlock IngestTrack::reportBlock(Clock::time_point now) {
  RtcpReportBlock block;
  block.ssrc = ssrc_;
  const std::int64_t expected = highest_ - base_ + 1;
  const std::int64_t lost = expected - static_cast<std::int64_t>(received_);
  // Signed 24 bits (RFC 3550 §6.4.1): clamp rather than wrap.
  block.cumulative_lost =
      static_cast<std::int32_t>(std::clamp<std::int64_t>(lost, -0x800000, 0x7fffff));
  const std::int64_t expected_interval = expected - expected_prior_;
  const auto received_interval = static_cast<std::int64_t>(received_ - received_prior_);
  const std::int64_t lost_interval = expected_interval - received_interval;
  block.fraction_lost = expected_interval <= 0 || lost_interval <= 0
                            ? 0
                            : static_cast<std::uint8_t>(
                                  std::min<std::int64_t>(255, (lost_interval << 8) /
                                                                  expected_interval));
  block.highest_sequence = static_cast<std::uint32_t>(highest_);
  block.jitter = static_cast<std::uint32_t>(jitter_);
  if (last_sr_arrival_ != Clock::time_point{}) {
    block.last_sr = last_sr_;
    // DLSR in units of 1/65536 s.
    block.delay_since_last_sr = static_cast<std::uint32_t>(
        std::chrono::duration<double>(now - last_sr_arrival_).count() * 65536.0);
  }
  const double seconds = std::chrono::duration<double>(now - last_report_).count();
  if (seconds > 0) {
    stats_.bitrate_bps = static_cast<double>(stats_.bytes - bytes_prior_) * 8 / seconds;
  }
  expected_prior_ = expected;
  received_prior_ = received_;
  bytes_prior_ = stats_.bytes;
  last_report_ = now;
  return block;
}

void IngestTrack::onSenderReport(std::uint64_t ntp_time, Clock::time_point arrival) {
  last_sr_ = static_cast<std::uint32_t>(ntp_time >> 16);
  last_sr_arrival_ = arrival;
}

void IngestTrack::mapOnto(std::uint16_t stream_sequence, std::uint32_t stream_timestamp,
                          const RtpHeader& first) {
  sequence_offset_ = static_cast<std::uint16_t>(stream_sequence - first.sequence);
  timestamp_offset_ = stream_timestamp - first.timestamp;
  mapped_ = true;
}

}  // namespace throng::rtc
