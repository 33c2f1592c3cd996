#include "rtc/layer_chooser.h"

#include <algorithm>

namespace throng::rtc {

void LayerChooser::onReceiverReport(std::uint8_t fraction_lost, Clock::time_point now) {
  const double loss = fraction_lost / 256.0;
  if (loss > kHighLoss) congested_ = true;
  if (loss > kLowLoss) quiet_since_ = now;
}

void LayerChooser::onRemb(std::uint64_t bitrate_bps, Clock::time_point now) {
  const bool falling =
      last_remb_bps_ && static_cast<double>(bitrate_bps) < 0.95 * static_cast<double>(*last_remb_bps_);
  last_remb_bps_ = bitrate_bps;
  const bool short_of_layer =
      current_bitrate_bps_ > 0 &&
      static_cast<double>(bitrate_bps) < kRembShortfall * static_cast<double>(current_bitrate_bps_);
  if (falling && short_of_layer) {
    quiet_since_ = now;
    congested_ = true;
  }
}

std::optional<int> LayerChooser::choose(std::span<const LayerView> layers, int current,
                                        Clock::time_point now) {
  // Positions in `layers` (quality order) of the active ones.
  std::vector<std::size_t> active;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].active) active.push_back(i);
  }
  if (active.empty()) return std::nullopt;
  auto positionOf = [&](int layer) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (layers[active[i]].layer == layer) return i;
    }
    return std::nullopt;
  };
  auto pick = [&](std::size_t position) {
    const auto& view = layers[active[position]];
    if (view.layer != current) last_change_ = now;
    current_bitrate_bps_ = view.bitrate_bps;
    return view.layer;
  };

  if (pinned_) {
    congested_ = false;
    if (auto at = positionOf(*pinned_)) return pick(*at);
    // The pinned layer is idle: the nearest active one of lower quality, else the lowest.
    std::size_t wanted = 0;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (layers[i].layer == *pinned_) wanted = i;
    }
    std::size_t best = 0;
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (active[i] <= wanted) best = i;
    }
    return pick(best);
  }

  const auto at = current >= 0 ? positionOf(current) : std::nullopt;
  if (!at) {
    // First layer, or the current one went idle: the best under the start budget.
    std::size_t start = 0;
    for (std::size_t i = 0; i < active.size(); ++i) {
      const auto bitrate = layers[active[i]].bitrate_bps;
      if (bitrate <= kStartBudgetBps) start = i;
    }
    if (current >= 0) {
      // An idle layer's viewers take the best active one below it where there is one.
      for (std::size_t i = 0; i < layers.size(); ++i) {
        if (layers[i].layer != current) continue;
        for (std::size_t a = 0; a < active.size(); ++a) {
          if (active[a] < i) start = a;
        }
      }
    }
    congested_ = false;
    quiet_since_ = now;
    return pick(start);
  }

  if (congested_) {
    congested_ = false;
    quiet_since_ = now;
    // A step up that failed soon after: wait longer before the next try.
    if (last_step_up_ != Clock::time_point{} && now - last_step_up_ < 2 * hold_) {
      hold_ = std::min<Clock::duration>(hold_ * 2, kMaxHold);
    }
    if (*at > 0 && now - last_change_ >= std::chrono::seconds(1)) return pick(*at - 1);
    return pick(*at);
  }
  if (now - quiet_since_ >= hold_ && *at + 1 < active.size()) {
    last_step_up_ = now;
    quiet_since_ = now;
    return pick(*at + 1);
  }
  if (now - quiet_since_ >= 4 * kMaxHold) hold_ = kMinHold;  // a long quiet spell
  return pick(*at);
}

}  // namespace throng::rtc
