// LayerChooser: which simulcast layer one viewer should get, from what its own feedback says
// about its downlink (design.md §5: one slow viewer must not lower the picture for everyone —
// with simulcast it gets a smaller encoding instead).
//
// throng sends no probing traffic, so a viewer's REMB (draft-alvestrand-rmcat-remb-03) can say
// "less" but never "more": a receiver's estimate stays near what it receives. The rules:
// - A pinned layer (the viewer chose it) is kept while it is active; if it stops, the nearest
//   active one below it (else above) stands in until it returns.
// - Down one layer when a receiver report says more than 10 % was lost (RFC 8836's high-loss
//   regime), or when the REMB falls (by 5 % or more) to under 3/4 of the current layer's
//   bitrate: the receiver's delay-based estimator saw its queue grow. A REMB that is low but
//   rising is the estimator catching up after a step up, not congestion.
// - Up one layer after a quiet hold: no report above 2 % loss and no falling REMB. The
//   hold starts at 4 s and doubles (up to 64 s) each time a step up was followed by a step
//   down within twice its length, so a link that cannot take the higher layer is not made to
//   drop packets every few seconds; it shrinks back to 4 s after a long quiet spell.
// - The first layer is the best one under 1.5 Mbps (a quick first keyframe, and a size most
//   downlinks carry), or the lowest.
// - A layer that went idle (the publisher stopped sending it) is never chosen.
//
// Thread: the viewer's worker. Pure apart from the clock values passed in.
#pragma once

#include "rtc/media_stream.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

namespace throng::rtc {

class LayerChooser {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kHighLoss = 0.10;
  static constexpr double kLowLoss = 0.02;
  static constexpr double kRembShortfall = 0.75;
  static constexpr std::uint64_t kStartBudgetBps = 1'500'000;
  static constexpr std::chrono::seconds kMinHold{4};
  static constexpr std::chrono::seconds kMaxHold{64};

  explicit LayerChooser(Clock::time_point now) : quiet_since_(now), last_change_(now) {}

  // The viewer's choice: a layer index of the stream, or nothing (automatic).
  void pin(std::optional<int> layer) { pinned_ = layer; }
  std::optional<int> pinned() const { return pinned_; }

  // Feedback as it arrives (video only).
  void onReceiverReport(std::uint8_t fraction_lost, Clock::time_point now);
  void onRemb(std::uint64_t bitrate_bps, Clock::time_point now);

  // The layer to aim for now, given the stream's layers (lowest quality first, as
  // MediaStream::layers gives them) and the one the viewer is on (-1: none yet). Nothing
  // when there is no layer to choose (no simulcast, or every layer idle).
  std::optional<int> choose(std::span<const LayerView> layers, int current, Clock::time_point now);

  Clock::duration hold() const { return hold_; }

 private:
  std::optional<int> pinned_;
  // Set by feedback, consumed by choose(): a step down is due.
  bool congested_ = false;
  std::optional<std::uint64_t> last_remb_bps_;
  std::uint64_t current_bitrate_bps_ = 0;  // the bitrate of the layer last chosen
  Clock::time_point quiet_since_;   // no sign of congestion since
  Clock::time_point last_change_;
  Clock::time_point last_step_up_{};
  Clock::duration hold_ = kMinHold;
};

}  // namespace throng::rtc
