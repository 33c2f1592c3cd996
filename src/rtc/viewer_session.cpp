#include "rtc/viewer_session.h"

#include "rtc/dtls.h"
#include "rtc/media_stream.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/send_batch.h"
#include "rtc/srtp.h"
#include "rtc/stun.h"

#include <cstring>

namespace throng::rtc {

namespace {

// A viewer may be reached over a few candidate pairs (RFC 8445 §6.1.2); more is an attack.
constexpr std::size_t kMaxEndpoints = 8;
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

const char* closeReasonText(CloseReason reason) {
  switch (reason) {
    case CloseReason::kNone: return "open";
    case CloseReason::kSetupTimeout: return "ICE and DTLS did not finish in time";
    case CloseReason::kConsentExpired: return "consent expired (RFC 7675)";
    case CloseReason::kDtlsFailed: return "DTLS handshake failed";
    case CloseReason::kClosedByViewer: return "closed by the viewer";
    case CloseReason::kDeleted: return "WHEP DELETE";
    case CloseReason::kStreamEnded: return "the stream ended";
    case CloseReason::kShutdown: return "server shutdown";
  }
  return "?";
}

ViewerSession::ViewerSession(std::unique_ptr<SessionPlan> plan, RtcShard& shard,
                             Clock::time_point now)
    : plan_(std::move(plan)),
      shard_(shard),
      created_(plan_->created),
      last_consent_(now),
      retransmit_budget_(shard.service().options().nacks_per_second, kRetransmitBurst, now) {
  const auto& tracks = plan_->stream->tracks();
  waiting_for_keyframe_.resize(tracks.size());
  sent_.resize(tracks.size());
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    waiting_for_keyframe_[i] = tracks[i].kind == MediaKind::kVideo;
  }
  dtls_ = std::make_unique<DtlsSession>(shard.service().dtlsContext(), plan_->remote_fingerprint);
}

ViewerSession::~ViewerSession() = default;

std::string ViewerSession::onBindingRequest(const StunMessage& request,
                                            const boost::asio::ip::udp::endpoint& from,
                                            Clock::time_point now) {
  last_consent_ = now;
  bool known = false;
  for (const auto& endpoint : endpoints_) known = known || endpoint == from;
  if (!known && endpoints_.size() < kMaxEndpoints) endpoints_.push_back(from);
  // ICE-lite (RFC 8445 §7.3.1.5): the controlling agent's USE-CANDIDATE nominates the pair;
  // until then media would go to the first pair that checked.
  if (request.use_candidate || (!nominated_ && endpoints_.size() == 1)) {
    media_endpoint_ = from;
    nominated_ = nominated_ || request.use_candidate;
  }
  if (phase_ == Phase::kIce) phase_ = Phase::kDtls;
  return buildBindingSuccess(request, from, plan_->local_pwd);
}

bool ViewerSession::onDtls(std::span<const std::uint8_t> datagram,
                           std::vector<std::string>& out) {
  if (phase_ == Phase::kClosed || phase_ == Phase::kIce) return false;
  const bool was_connected = dtls_->state() == DtlsSession::State::kConnected;
  dtls_->onDatagram(datagram, out);
  if (was_connected || dtls_->state() != DtlsSession::State::kConnected) return false;
  auto srtp = makeSrtpSession(shard_.service().srtpImplementation(), dtls_->localKeys(),
                              dtls_->remoteKeys());
  if (!srtp) return false;  // tick() closes the session: it never reaches kConnected
  srtp_ = std::move(srtp.value());
  phase_ = Phase::kConnected;
  return true;
}

void ViewerSession::sendMedia(const MediaPacket& packet, SendBatch& batch) {
  if (phase_ != Phase::kConnected) return;
  const auto track = static_cast<std::size_t>(packet.track);
  const int payload_type = plan_->payload_types[track];
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
  batch.commit(length, media_endpoint_);
  auto& sent = sent_[static_cast<std::size_t>(packet.track)];
  ++sent.packets;
  sent.octets += static_cast<std::uint32_t>(size - kRtpFixedHeaderSize);
  return true;
}

void ViewerSession::onSrtcp(std::uint8_t* packet, std::size_t length, Clock::time_point now) {
  auto& counters = shard_.counters();
  if (phase_ != Phase::kConnected || !srtp_->unprotectRtcp(packet, length)) {
    RtcCounters::add(counters.srtcp_rejected);
    return;
  }
  auto& stream = *plan_->stream;
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
  const int track = plan_->stream->trackOfSsrc(nack->media_ssrc);
  if (track < 0) return;
  const int payload_type = plan_->payload_types[static_cast<std::size_t>(track)];
  if (payload_type < 0) return;
  auto& batch = shard_.batch();
  for (const auto sequence : nack->sequences) {
    const MediaPacket* packet = shard_.findPacket(*plan_->stream, track, sequence);
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

CloseReason ViewerSession::tick(Clock::time_point now, std::vector<std::string>& out) {
  const auto& options = shard_.service().options();
  if (phase_ != Phase::kConnected) {
    if (dtls_->state() == DtlsSession::State::kFailed) return CloseReason::kDtlsFailed;
    if (now - created_ > options.setup_timeout) return CloseReason::kSetupTimeout;
    if (auto timeout = dtls_->nextTimeout(); timeout && timeout->count() <= 0) {
      dtls_->onTimeout(out);
    }
  } else if (dtls_->state() == DtlsSession::State::kClosed) {
    return CloseReason::kClosedByViewer;
  } else {
    appendSenderReports(now, out);
  }
  if (now - last_consent_ > options.consent_timeout) return CloseReason::kConsentExpired;
  return CloseReason::kNone;
}

// One compound SRTCP packet per track that has sent something: SR + SDES CNAME (RFC 3550
// §6.1: every compound packet carries a CNAME). The RTP time is the stream's clock at this
// instant, so the player maps both tracks onto one timeline (lip sync).
void ViewerSession::appendSenderReports(Clock::time_point now, std::vector<std::string>& out) {
  if (now - last_sender_report_ < kSenderReportInterval) return;
  last_sender_report_ = now;
  const std::uint64_t ntp = ntpTime(std::chrono::system_clock::now());
  const auto& stream = *plan_->stream;
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
    std::size_t length = packet.size();
    packet.resize(length + kSrtpMaxOverhead);
    if (!srtp_->protectRtcp(reinterpret_cast<std::uint8_t*>(packet.data()), length)) continue;
    packet.resize(length);
    out.push_back(std::move(packet));
  }
}

void ViewerSession::close(std::vector<std::string>& out) {
  if (phase_ == Phase::kClosed) return;
  if (dtls_ && dtls_->state() == DtlsSession::State::kConnected) dtls_->close(out);
  phase_ = Phase::kClosed;
}

}  // namespace throng::rtc
