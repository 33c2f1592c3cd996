#include "rtc/layer_forwarder.h"

#include "rtc/rtp.h"

namespace throng::rtc {

namespace {

// RFC 7741 §4.2: a 15-bit picture id wraps at 2^15, a 7-bit one at 2^7.
std::uint16_t pictureIdMask(bool long_id) { return long_id ? 0x7fff : 0x7f; }

// `a` after `b` within half the 15-bit space.
bool pictureIdNewer(std::uint16_t a, std::uint16_t b) {
  const auto delta = static_cast<std::uint16_t>((a - b) & 0x7fff);
  return delta != 0 && delta < 0x4000;
}

}  // namespace

std::optional<LayerForwarder::Rewrite> LayerForwarder::forward(const MediaPacket& packet) {
  if (packet.layer == target_ && target_ != current_ && packet.keyframe_start) {
    startLayer(packet);
  }
  if (packet.layer != current_) return std::nullopt;
  if (sequenceNewer(switch_sequence_, packet.sequence)) return std::nullopt;  // before the switch
  const auto viewer_sequence = static_cast<std::uint16_t>(packet.sequence + rewrite_.sequence);
  if (!sent_ || sequenceNewer(viewer_sequence, last_sequence_)) {
    sent_ = true;
    last_sequence_ = viewer_sequence;
    if (const auto& d = packet.vp8) {
      if (d->picture_id) {
        long_picture_id_ = d->long_picture_id;
        const auto id = static_cast<std::uint16_t>((*d->picture_id + rewrite_.picture_id) &
                                                   pictureIdMask(d->long_picture_id));
        if (!last_picture_id_ || pictureIdNewer(id, *last_picture_id_)) last_picture_id_ = id;
      }
      if (d->tl0_pic_idx) {
        last_tl0_pic_idx_ = static_cast<std::uint8_t>(*d->tl0_pic_idx + rewrite_.tl0_pic_idx);
      }
    }
  }
  return rewrite_;
}

void LayerForwarder::startLayer(const MediaPacket& packet) {
  Rewrite rewrite;
  // The first layer keeps the stream's numbers (a viewer of a stream without simulcast sees
  // exactly what the stream sent); later ones continue from the last number sent.
  if (sent_) {
    rewrite.sequence = static_cast<std::uint16_t>(last_sequence_ + 1 - packet.sequence);
    if (const auto& d = packet.vp8) {
      if (d->picture_id && last_picture_id_) {
        rewrite.picture_id = static_cast<std::uint16_t>(
            (*last_picture_id_ + 1 - *d->picture_id) & pictureIdMask(d->long_picture_id));
      }
      if (d->tl0_pic_idx && last_tl0_pic_idx_) {
        rewrite.tl0_pic_idx = static_cast<std::uint8_t>(*last_tl0_pic_idx_ + 1 - *d->tl0_pic_idx);
      }
    }
    ++switches_;
  }
  current_ = packet.layer;
  rewrite_ = rewrite;
  switch_sequence_ = packet.sequence;
  auto& segment = segments_[next_segment_];
  next_segment_ = (next_segment_ + 1) % segments_.size();
  segment.used = true;
  segment.first = static_cast<std::uint16_t>(packet.sequence + rewrite.sequence);
  segment.layer = current_;
  segment.rewrite = rewrite;
}

std::optional<LayerForwarder::Source> LayerForwarder::sourceOf(
    std::uint16_t viewer_sequence) const {
  // The newest segment that starts at or before the number holds it.
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const auto& segment =
        segments_[(next_segment_ + segments_.size() - 1 - i) % segments_.size()];
    if (!segment.used) break;
    if (segment.first == viewer_sequence || sequenceNewer(viewer_sequence, segment.first)) {
      Source source;
      source.layer = segment.layer;
      source.sequence = static_cast<std::uint16_t>(viewer_sequence - segment.rewrite.sequence);
      source.rewrite = segment.rewrite;
      return source;
    }
  }
  return std::nullopt;
}

}  // namespace throng::rtc
