// IngestTrack: one incoming RTP source of a WHIP publisher, as a receiver keeps it (RFC 3550
// Appendix A): the highest sequence number and the losses below it, which are asked for again
// with NACKs (RFC 4585 §6.2.1) until they arrive or are too old; the counts and interarrival
// jitter its receiver reports carry (§6.4.1, A.3, A.8); the received bitrate; and the mapping
// of the publisher's sequence numbers and timestamps onto the stream's, chosen when the track
// starts so that the stream continues where the previous publisher left it.
//
// Thread: the publisher session's worker. Pure apart from the clock values passed in.
#pragma once

#include "rtc/rtcp.h"
#include "rtc/rtp.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace throng::rtc {

class IngestTrack {
 public:
  using Clock = std::chrono::steady_clock;

  // Bounds on what a publisher's losses can cost us: sequences waited for at once, how often
  // each is asked for, and how long (a retransmission later than this is useless to viewers,
  // whose own jitter buffers wait less).
  static constexpr std::size_t kMaxMissing = 512;
  static constexpr int kNackTries = 3;
  static constexpr auto kNackRetryInterval = std::chrono::milliseconds(100);
  static constexpr auto kNackGiveUp = std::chrono::milliseconds(1000);
  // A jump this far ahead or behind is a new numbering (a restarted sender), not a loss or a
  // late packet: the track starts over from it and keeps the stream's numbering continuous.
  static constexpr std::int64_t kMaxGap = 3000;

  explicit IngestTrack(std::uint32_t clock_rate);

  enum class Disposition {
    kForward,    // new: publish it
    kRecovered,  // a loss that was waited for (a retransmission): publish it
    kDuplicate,  // already received, or given up on
  };
  Disposition onPacket(const RtpHeader& header, std::size_t bytes, Clock::time_point arrival);

  bool started() const { return started_; }
  std::uint32_t ssrc() const { return ssrc_; }

  // The sequence numbers to ask for now: a new gap at once, then every kNackRetryInterval, at
  // most kNackTries times each; those waited for longer than kNackGiveUp are dropped.
  std::vector<std::uint16_t> nacksDue(Clock::time_point now);

  // The report block for this source at `now` (RFC 3550 §6.4.1), counting since the last one.
  RtcpReportBlock reportBlock(Clock::time_point now);
  // The publisher's sender report for this source arrived: LSR/DLSR of the next report.
  void onSenderReport(std::uint64_t ntp_time, Clock::time_point arrival);

  // The stream's numbering: set once, before the first packet is published.
  void mapOnto(std::uint16_t stream_sequence, std::uint32_t stream_timestamp,
               const RtpHeader& first);
  bool mapped() const { return mapped_; }
  // A packet from before the last insertion (a late retransmission) keeps the offset it had.
  std::uint16_t streamSequence(std::uint16_t sequence) const {
    const bool before_insert = inserted_ && sequenceNewer(inserted_before_, sequence);
    return static_cast<std::uint16_t>(sequence +
                                      (before_insert ? offset_before_insert_ : sequence_offset_));
  }
  std::uint32_t streamTimestamp(std::uint32_t timestamp) const {
    return timestamp + timestamp_offset_;
  }
  // One packet of our own goes in before the publisher's `sequence` (the parameter sets a
  // keyframe lacked): it takes that packet's number, which moves up by one, as do the later.
  void insertOnePacketBefore(std::uint16_t sequence) {
    inserted_ = true;
    inserted_before_ = sequence;
    offset_before_insert_ = sequence_offset_;
    ++sequence_offset_;
  }

  struct Stats {
    std::uint64_t packets = 0, bytes = 0, duplicates = 0, nacks_sent = 0, recovered = 0,
                  given_up = 0;
    double bitrate_bps = 0;  // over the last report interval
  };
  const Stats& stats() const { return stats_; }

 private:
  std::int64_t extend(std::uint16_t sequence) const;
  void restart(const RtpHeader& header, Clock::time_point arrival);

  const std::uint32_t clock_rate_;
  bool started_ = false;
  std::uint32_t ssrc_ = 0;
  std::int64_t base_ = 0;     // extended sequence of the first packet
  std::int64_t highest_ = 0;  // extended highest sequence received
  std::uint32_t highest_timestamp_ = 0;  // that packet's RTP timestamp and arrival
  Clock::time_point highest_arrival_{};
  std::uint64_t received_ = 0;

  struct Missing {
    Clock::time_point noticed;
    Clock::time_point last_asked{};
    int tries = 0;
  };
  std::map<std::int64_t, Missing> missing_;  // by extended sequence

  // RFC 3550 A.3: counts at the previous report, for the fraction lost in the interval.
  std::int64_t expected_prior_ = 0;
  std::uint64_t received_prior_ = 0;
  std::uint64_t bytes_prior_ = 0;
  Clock::time_point last_report_{};
  // A.8: jitter in timestamp units (the floating-point form, J += (|D| - J) / 16, unscaled).
  double jitter_ = 0;
  double last_transit_ = 0;
  bool have_transit_ = false;
  Clock::time_point epoch_{};
  // The last sender report: the middle 32 bits of its NTP time, and when it came.
  std::uint32_t last_sr_ = 0;
  Clock::time_point last_sr_arrival_{};

  bool mapped_ = false;
  std::uint16_t sequence_offset_ = 0;
  bool inserted_ = false;
  std::uint16_t inserted_before_ = 0;
  std::uint16_t offset_before_insert_ = 0;
  std::uint32_t timestamp_offset_ = 0;
  Stats stats_;
};

}  // namespace throng::rtc
