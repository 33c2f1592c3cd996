#include "rtc/viewer_session.h"

#include "rtc/media_stream.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/send_batch.h"
#include "rtc/srtp.h"

#include <cstring>

namespace throng::rtc {

namespace {

// Retransmissions: a burst covers a lost run of a keyframe (about 150 packets at 2.5 Mbps).
constexpr double kRetransmitBurst = 200;
// Sender reports: RFC 3550 §6.2 would allow a few per second at this bandwidth; one a second
// lets a player synchronize audio and video within a second of joining.
constexpr auto kSenderReportInterval = std::chrono::seconds(1);

// RFC 3550 §4: NTP time, seconds since 1900 in the high 32 bits, the fraction in the low.
std::uint64_t ntpTime(std::chrono::system_clock::time_point when) {
  constexpr std::uint64_t kUnixToNtpSeconds = 2208988800ULL;
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  const auto seconds = static_cast<std::uint64_t>(since_epoch / 1'000'000'000);
  const auto nanos = static_cast<std::uint64_t>(since_epoch % 1'000'000'000);
  return ((seconds + kUnixToNtpSeconds) << 32) | ((nanos << 32) / 1'000'000'000);
}

}  // namespace

ViewerSession::ViewerSession(std::unique_ptr<SessionPlan> plan, RtcShard& shard,
                             Clock::time_point now)
    : PeerSession(std::move(plan), shard, now),
      retransmit_budget_(shard.service().options().nacks_per_second, kRetransmitBurst, now) {
  const auto& tracks = stream().tracks();
  waiting_for_keyframe_.resize(tracks.size());
  sent_.resize(tracks.size());
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    waiting_for_keyframe_[i] = tracks[i].kind == MediaKind::kVideo;
  }
}

ViewerSession::~ViewerSession() = default;

void ViewerSession::sendMedia(const MediaPacket& packet, SendBatch& batch) {
  if (phase() != Phase::kConnected) return;
  const auto track = static_cast<std::size_t>(packet.track);
  const int payload_type = plan().payload_types[track];
  if (payload_type < 0) return;
  if (waiting_for_keyframe_[track]) {
    if (!packet.keyframe_start) return;
    waiting_for_keyframe_[track] = false;
  }
  if (protectAndQueue(packet, payload_type, batch)) ++stats_.packets_sent;
}

bool ViewerSession::protectAndQueue(const MediaPacket& packet, int payload_type,
                                    SendBatch& batch) {
  const std::size_t size = packet.bytes.size();
  if (size < 12 || size + kSrtpMaxOverhead > SendBatch::kSlotBytes) return false;
  std::uint8_t* slot = batch.next();
  std::memcpy(slot, packet.bytes.data(), size);
  // The viewer's payload type for this codec (its offer chose the number); marker bit kept.
  slot[1] = static_cast<std::uint8_t>((slot[1] & 0x80) | (payload_type & 0x7f));
  std::size_t length = size;
  if (!srtp_->protectRtp(slot, length)) return false;
  batch.commit(length, mediaEndpoint());
  auto& sent = sent_[static_cast<std::size_t>(packet.track)];
  ++sent.packets;
  sent.octets += static_cast<std::uint32_t>(size - kRtpFixedHeaderSize);
  return true;
}

void ViewerSession::onSrtcp(std::uint8_t* packet, std::size_t length, Clock::time_point now) {
  auto& counters = shard_.counters();
  if (phase() != Phase::kConnected || !srtp_->unprotectRtcp(packet, length)) {
    RtcCounters::add(counters.srtcp_rejected);
    return;
  }
  auto& stream = this->stream();
  const bool well_formed = forEachRtcpPacket(
      std::span<const std::uint8_t>(packet, length), [&](const RtcpPacketView& view) {
        if (view.packet_type == kRtcpRtpfb && view.count == 1) {
          onNack(view.packet, now);
        } else if (view.packet_type == kRtcpPsfb && (view.count == 1 || view.count == 4)) {
          // PLI (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1): debounced by the stream.
          ++stats_.keyframe_requests;
          RtcCounters::add(counters.keyframe_requests);
          stream.requestKeyframe();
        } else if (view.packet_type == kRtcpRr || view.packet_type == kRtcpSr) {
          auto blocks = view.packet_type == kRtcpRr
                            ? [&] {
                                auto rr = parseReceiverReport(view);
                                return rr ? rr->blocks : std::vector<RtcpReportBlock>{};
                              }()
                            : [&] {
                                auto sr = parseSenderReport(view);
                                return sr ? sr->blocks : std::vector<RtcpReportBlock>{};
                              }();
          for (const auto& block : blocks) {
            const int track = stream.trackOfSsrc(block.ssrc);
            if (track < 0 || stream.tracks()[static_cast<std::size_t>(track)].kind !=
                                 MediaKind::kVideo) {
              continue;
            }
            stats_.last_fraction_lost = block.fraction_lost;
            stats_.cumulative_lost = block.cumulative_lost;
          }
        }
      });
  if (!well_formed) RtcCounters::add(counters.srtcp_rejected);
}

void ViewerSession::onNack(std::span<const std::uint8_t> rtcp, Clock::time_point now) {
  RtcpPacketView view;
  view.packet_type = kRtcpRtpfb;
  view.count = 1;
  view.packet = rtcp;
  auto nack = parseNack(view);
  if (!nack) return;
  auto& counters = shard_.counters();
  RtcCounters::add(counters.nacks_received);
  ++stats_.nacks;
  const int track = stream().trackOfSsrc(nack->media_ssrc);
  if (track < 0) return;
  const int payload_type = plan().payload_types[static_cast<std::size_t>(track)];
  if (payload_type < 0) return;
  auto& batch = shard_.batch();
  for (const auto sequence : nack->sequences) {
    const MediaPacket* packet = shard_.findPacket(stream(), track, sequence);
    if (!packet) {
      RtcCounters::add(counters.retransmit_missing);
      continue;
    }
    if (!retransmit_budget_.tryTake(1, now)) {
      RtcCounters::add(counters.retransmit_limited);
      continue;
    }
    if (protectAndQueue(*packet, payload_type, batch)) {
      ++stats_.retransmitted;
      RtcCounters::add(counters.retransmitted);
    }
  }
  batch.flush();
}

CloseReason ViewerSession::connectedTick(Clock::time_point now, std::vector<std::string>& out) {
  appendSenderReports(now, out);
  return CloseReason::kNone;
}

// One compound SRTCP packet per track that has sent something: SR + SDES CNAME (RFC 3550
// §6.1: every compound packet carries a CNAME). The RTP time is the stream's clock at this
// instant, so the player maps both tracks onto one timeline (lip sync).
void ViewerSession::appendSenderReports(Clock::time_point now, std::vector<std::string>& out) {
  if (now - last_sender_report_ < kSenderReportInterval) return;
  last_sender_report_ = now;
  const std::uint64_t ntp = ntpTime(std::chrono::system_clock::now());
  const auto& stream = this->stream();
  for (std::size_t track = 0; track < sent_.size(); ++track) {
    if (sent_[track].packets == 0) continue;
    const auto rtp_time = stream.rtpTimestampAt(static_cast<int>(track), now);
    if (!rtp_time) continue;
    RtcpSenderReport report;
    report.sender_ssrc = stream.ssrc(static_cast<int>(track));
    report.ntp_time = ntp;
    report.rtp_timestamp = *rtp_time;
    report.packet_count = sent_[track].packets;
    report.octet_count = sent_[track].octets;
    std::string packet;
    appendSenderReport(packet, report);
    appendSdesCname(packet, report.sender_ssrc, kStreamCname);
    appendProtectedRtcp(std::move(packet), out);
  }
}

}  // namespace throng::rtc
