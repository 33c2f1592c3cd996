#include "rtc/viewer_session.h"

#include "media/payload_inspect.h"
#include "rtc/media_stream.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/send_batch.h"
#include "rtc/srtp.h"

#include <algorithm>
#include <cstring>

namespace throng::rtc {

namespace {

// Retransmissions: a burst covers a lost run of a keyframe (about 150 packets at 2.5 Mbps).
constexpr double kRetransmitBurst = 200;
// Sender reports: RFC 3550 §6.2 would allow a few per second at this bandwidth; one a second
// lets a player synchronize audio and video within a second of joining.
constexpr auto kSenderReportInterval = std::chrono::seconds(1);
// How often the layer choice is revisited, and a keyframe of the wanted layer asked for again
// while a switch waits for one (the stream debounces what many viewers ask).
constexpr auto kLayerCheckInterval = std::chrono::milliseconds(500);
constexpr auto kSwitchKeyframeInterval = std::chrono::seconds(1);

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
      chooser_(now),
      retransmit_budget_(shard.service().options().nacks_per_second, kRetransmitBurst, now) {
  const auto& tracks = stream().tracks();
  forwarders_.resize(tracks.size());
  sent_.resize(tracks.size());
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    if (tracks[i].kind == MediaKind::kVideo) forwarders_[i].emplace();
  }
  chooseLayer(now);
}

ViewerSession::~ViewerSession() = default;

void ViewerSession::sendMedia(const MediaPacket& packet, SendBatch& batch) {
  if (phase() != Phase::kConnected) return;
  const auto track = static_cast<std::size_t>(packet.track);
  const int payload_type = plan().payload_types[track];
  if (payload_type < 0) return;
  auto& forwarder = forwarders_[track];
  if (!forwarder) {  // audio: one layer, sent as the stream numbered it
    if (protectAndQueue(packet, payload_type, batch)) ++stats_.packets_sent;
    return;
  }
  const auto rewrite = forwarder->forward(packet);
  if (!rewrite) return;
  stats_.layer_switches = forwarder->switches();
  if (protectAndQueue(packet, payload_type, batch, *rewrite)) ++stats_.packets_sent;
}

bool ViewerSession::protectAndQueue(const MediaPacket& packet, int payload_type,
                                    SendBatch& batch, const LayerForwarder::Rewrite& rewrite) {
  const std::size_t size = packet.bytes.size();
  if (size < 12 || size + kSrtpMaxOverhead > SendBatch::kSlotBytes) return false;
  std::uint8_t* slot = batch.next();
  std::memcpy(slot, packet.bytes.data(), size);
  // The viewer's payload type for this codec (its offer chose the number); marker bit kept.
  slot[1] = static_cast<std::uint8_t>((slot[1] & 0x80) | (payload_type & 0x7f));
  if (rewrite.sequence != 0) {
    setRtpSequence(std::span<std::uint8_t>(slot, size),
                   static_cast<std::uint16_t>(packet.sequence + rewrite.sequence));
  }
  if (packet.vp8 && (rewrite.picture_id != 0 || rewrite.tl0_pic_idx != 0)) {
    // At the offsets the stream read once (MediaPacket::vp8), in this viewer's copy.
    const auto& d = *packet.vp8;
    const std::span<std::uint8_t> payload(slot + kRtpFixedHeaderSize, size - kRtpFixedHeaderSize);
    if (d.picture_id) {
      media::writeVp8PictureId(payload, d,
                               static_cast<std::uint16_t>(*d.picture_id + rewrite.picture_id));
    }
    if (d.tl0_pic_idx) {
      media::writeVp8Tl0PicIdx(payload, d,
                               static_cast<std::uint8_t>(*d.tl0_pic_idx + rewrite.tl0_pic_idx));
    }
  }
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
          // PLI (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1): debounced by the stream, for the
          // layer the viewer decodes (or is about to).
          ++stats_.keyframe_requests;
          RtcCounters::add(counters.keyframe_requests);
          stream.requestKeyframe(wantedLayer());
        } else if (view.packet_type == kRtcpPsfb && view.count == 15) {
          if (const auto remb = parseRemb(view)) {
            stats_.remb_bps = remb->bitrate_bps;
            chooser_.onRemb(remb->bitrate_bps, now);
          }
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
            chooser_.onReceiverReport(block.fraction_lost, now);
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
  const auto& forwarder = forwarders_[static_cast<std::size_t>(track)];
  auto& batch = shard_.batch();
  for (const auto sequence : nack->sequences) {
    // The viewer's number names a packet of the layer it was on then.
    LayerForwarder::Source source;
    source.sequence = sequence;
    if (forwarder) {
      const auto found = forwarder->sourceOf(sequence);
      if (!found) {
        RtcCounters::add(counters.retransmit_missing);
        continue;
      }
      source = *found;
    }
    const MediaPacket* packet = shard_.findPacket(stream(), track, source.layer, source.sequence);
    if (!packet) {
      RtcCounters::add(counters.retransmit_missing);
      continue;
    }
    if (!retransmit_budget_.tryTake(1, now)) {
      RtcCounters::add(counters.retransmit_limited);
      continue;
    }
    if (protectAndQueue(*packet, payload_type, batch, source.rewrite)) {
      ++stats_.retransmitted;
      RtcCounters::add(counters.retransmitted);
    }
  }
  batch.flush();
}

CloseReason ViewerSession::connectedTick(Clock::time_point now, std::vector<std::string>& out) {
  appendSenderReports(now, out);
  if (now - last_layer_check_ >= kLayerCheckInterval) chooseLayer(now);
  return CloseReason::kNone;
}

int ViewerSession::wantedLayer() const {
  for (const auto& forwarder : forwarders_) {
    if (forwarder) return forwarder->target();
  }
  return 0;
}

void ViewerSession::chooseLayer(Clock::time_point now) {
  last_layer_check_ = now;
  const auto layers = stream().layers(now);
  for (auto& forwarder : forwarders_) {
    if (!forwarder) continue;
    int wanted = 0;  // without simulcast: the one layer
    if (!layers.empty()) {
      const auto chosen = chooser_.choose(layers, forwarder->current(), now);
      // Every layer idle (offline): a pinned layer is aimed for at once, else stay.
      if (!chosen && !chooser_.pinned()) continue;
      wanted = chosen ? *chosen : *chooser_.pinned();
    }
    if (wanted != forwarder->target()) {
      forwarder->setTarget(wanted);
      last_switch_request_ = {};
    }
    // A switch (or a start) waits for a keyframe of the new layer.
    if (forwarder->switching() && phase() == Phase::kConnected &&
        now - last_switch_request_ >= kSwitchKeyframeInterval) {
      last_switch_request_ = now;
      stream().requestKeyframeForNewViewer(wanted);
    }
  }
}

bool ViewerSession::pinLayer(std::optional<std::string> rid, Clock::time_point now) {
  if (!rid) {
    chooser_.pin(std::nullopt);
  } else {
    const auto layers = stream().layers(now);
    const auto it = std::find_if(layers.begin(), layers.end(),
                                 [&](const LayerView& view) { return view.rid == *rid; });
    if (it == layers.end()) return false;
    chooser_.pin(it->layer);
  }
  chooseLayer(now);
  return true;
}

ViewerSession::LayerState ViewerSession::layerState(Clock::time_point now) const {
  LayerState state;
  state.layers = stream().layers(now);
  state.pinned = chooser_.pinned().has_value();
  auto ridOf = [&](int layer) {
    for (const auto& view : state.layers) {
      if (view.layer == layer) return view.rid;
    }
    return std::string();
  };
  for (const auto& forwarder : forwarders_) {
    if (!forwarder) continue;
    state.current = ridOf(forwarder->current());
    state.target = ridOf(forwarder->target());
    break;
  }
  return state;
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
