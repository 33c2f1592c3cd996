// ViewerSession: one WHEP viewer on the worker that owns it (PeerSession: ICE, DTLS, SRTP,
// consent) — its feedback (NACK, PLI/FIR, receiver reports), its sender reports and its copy of
// each media packet.
//
// Thread: the owning worker only (style.md rule 2). Created and destroyed by RtcShard.
#pragma once

#include "base/token_bucket.h"
#include "rtc/layer_chooser.h"
#include "rtc/layer_forwarder.h"
#include "rtc/peer_session.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace throng::rtc {

struct MediaPacket;
class SendBatch;

class ViewerSession final : public PeerSession {
 public:
  ViewerSession(std::unique_ptr<SessionPlan> plan, RtcShard& shard, Clock::time_point now);
  ~ViewerSession() override;

  void onSrtcp(std::uint8_t* packet, std::size_t length, Clock::time_point now) override;
  // A WHEP viewer only receives (the answer says sendonly): false, its media is not wanted.
  bool onSrtp(std::uint8_t*, std::size_t, Clock::time_point, std::vector<std::string>&) override {
    return false;
  }

  // The fan-out: copies `packet` into the batch's next slot with the viewer's payload type
  // (and, for a video layer, its numbering: LayerForwarder), protects it and queues it. A video
  // track starts at a keyframe of the layer chosen for the viewer.
  void sendMedia(const MediaPacket& packet, SendBatch& batch);

  // Simulcast (RFC 8853). The layer this viewer's video aims for (0 without simulcast).
  int wantedLayer() const;
  // The viewer's own choice, by rid; nothing = automatic (LayerChooser). False: the stream
  // has no layer of that name.
  bool pinLayer(std::optional<std::string> rid, Clock::time_point now);
  struct LayerState {
    bool pinned = false;
    std::string current, target;  // rids; empty = none yet
    std::vector<LayerView> layers;
  };
  LayerState layerState(Clock::time_point now) const;

  // The shard's bookkeeping: index in its stream's fan-out list, -1 if not attached.
  int fanout_index = -1;

  struct Stats {
    std::uint64_t packets_sent = 0;
    std::uint64_t retransmitted = 0;
    std::uint64_t nacks = 0;
    std::uint64_t keyframe_requests = 0;
    std::uint8_t last_fraction_lost = 0;  // video, from the latest receiver report (/256)
    std::int32_t cumulative_lost = 0;
    std::uint64_t remb_bps = 0;  // the latest REMB, 0 = none
    std::uint64_t layer_switches = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  // About once a second: sender reports.
  CloseReason connectedTick(Clock::time_point now, std::vector<std::string>& out) override;
  bool protectAndQueue(const MediaPacket& packet, int payload_type, SendBatch& batch,
                       const LayerForwarder::Rewrite& rewrite = {});
  // About twice a second: the layer the chooser wants, and a keyframe of it while switching.
  void chooseLayer(Clock::time_point now);
  void appendSenderReports(Clock::time_point now, std::vector<std::string>& out);
  void onNack(std::span<const std::uint8_t> rtcp, Clock::time_point now);

  std::vector<std::optional<LayerForwarder>> forwarders_;  // per stream track: video only
  LayerChooser chooser_;
  Clock::time_point last_layer_check_{};
  Clock::time_point last_switch_request_{};
  struct Sent {  // per stream track, for sender reports (RFC 3550 §6.4.1)
    std::uint32_t packets = 0;  // modulo 2^32, as the SR carries them
    std::uint32_t octets = 0;   // payload octets
  };
  std::vector<Sent> sent_;
  Clock::time_point last_sender_report_{};
  TokenBucket retransmit_budget_;
  Stats stats_;
};

}  // namespace throng::rtc
