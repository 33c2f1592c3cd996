#include "bench/talker_schedule.h"

#include <algorithm>
#include <cmath>

namespace throng::bench {

TalkerSchedule::TalkerSchedule(int talkers, double rate, std::chrono::milliseconds duration)
    : talkers_(std::max(talkers, 1)),
      rate_(rate),
      total_(talkers > 0 && rate > 0 && duration.count() > 0
                 ? static_cast<std::uint64_t>(
                       std::floor(rate * static_cast<double>(duration.count()) / 1000.0))
                 : 0) {}

TalkerSchedule::Duration TalkerSchedule::offsetOf(std::uint64_t i) const {
  return std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(static_cast<double>(i) / rate_));
}

std::optional<std::uint64_t> TalkerSchedule::nextFor(int talker, std::uint64_t k) const {
  if (talker < 0 || talker >= talkers_) return std::nullopt;
  const auto i = k * static_cast<std::uint64_t>(talkers_) + static_cast<std::uint64_t>(talker);
  if (i >= total_) return std::nullopt;
  return i;
}

std::uint64_t TalkerSchedule::countFor(int talker) const {
  if (talker < 0 || talker >= talkers_) return 0;
  const auto k = static_cast<std::uint64_t>(talkers_);
  const auto t = static_cast<std::uint64_t>(talker);
  return total_ > t ? (total_ - t + k - 1) / k : 0;
}

}  // namespace throng::bench
