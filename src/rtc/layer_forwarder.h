// LayerForwarder: which simulcast layer of a video track one viewer receives, and how its copy
// of each packet is renumbered so that the viewer sees one continuous track whatever layers it
// has been through — one SSRC (the stream's), sequence numbers without a jump (a jump would
// read as loss and bring NACKs for packets that never existed) and, for VP8, picture ids and
// TL0PICIDX without one (RFC 7741 §4.2: each encoding counts its own pictures; a decoder that
// sees the count jump back drops frames as old).
//
// A switch waits for a keyframe of the new layer: until it comes the viewer keeps the old one,
// so the picture never breaks. Packets of the old layer older than the switch point are not
// forwarded after it (their numbers now belong to the new layer).
//
// Thread: the viewer's worker. Pure: packets in, decisions out.
#pragma once

#include "rtc/media_packet.h"

#include <array>
#include <cstdint>
#include <optional>

namespace throng::rtc {

class LayerForwarder {
 public:
  // What to add to a forwarded packet's numbers (modulo each field's width).
  struct Rewrite {
    std::uint16_t sequence = 0;
    std::uint16_t picture_id = 0;
    std::uint8_t tl0_pic_idx = 0;
    bool operator==(const Rewrite&) const = default;
  };


  // The layer wanted; reached at its next keyframe. The first layer is reached the same way
  // (a new viewer starts at a keyframe).
  void setTarget(int layer) { target_ = layer; }
  int target() const { return target_; }
  int current() const { return current_; }  // -1 before the first keyframe
  bool switching() const { return target_ != current_; }

  // For one packet of the stream's track: the rewrite to apply to the viewer's copy, or
  // nothing (another layer, or older than the switch). VP8 picture ids come from packet.vp8.
  std::optional<Rewrite> forward(const MediaPacket& packet);

  // A NACKed sequence number of the viewer's: which layer's packet it was, and that packet's
  // own number and rewrite. Nothing when it is older than the switches remembered.
  struct Source {
    int layer = 0;
    std::uint16_t sequence = 0;
    Rewrite rewrite;
  };
  std::optional<Source> sourceOf(std::uint16_t viewer_sequence) const;

  std::uint64_t switches() const { return switches_; }

 private:
  void startLayer(const MediaPacket& packet);

  int target_ = 0;
  int current_ = -1;
  Rewrite rewrite_;
  std::uint16_t switch_sequence_ = 0;  // the current layer's number where it started
  // The newest numbers sent to the viewer, which the next layer continues from.
  bool sent_ = false;
  std::uint16_t last_sequence_ = 0;
  std::optional<std::uint16_t> last_picture_id_;
  bool long_picture_id_ = true;
  std::optional<std::uint8_t> last_tl0_pic_idx_;
  // The last switches, newest last: from which viewer sequence number a layer and rewrite held.
  struct Segment {
    bool used = false;
    std::uint16_t first = 0;
    int layer = 0;
    Rewrite rewrite;
  };
  std::array<Segment, 4> segments_{};
  std::size_t next_segment_ = 0;
  std::uint64_t switches_ = 0;
};

}  // namespace throng::rtc
