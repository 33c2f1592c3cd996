// TalkerSchedule: when each talker sends its messages in a fan-out run.
//
// `rate` messages per second in total, spread evenly over `talkers` clients for `duration`:
// message i (0-based, over all talkers) is due at start + i / rate and is sent by talker
// i % talkers, so each talker sends every talkers / rate seconds and the room sees a steady
// stream rather than bursts. The count is fixed up front (floor(rate * duration)), which bounds
// the phase. Pure arithmetic; each talker walks its own messages with nextFor().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace throng::bench {

class TalkerSchedule {
 public:
  using Duration = std::chrono::steady_clock::duration;

  TalkerSchedule(int talkers, double rate, std::chrono::milliseconds duration);

  std::uint64_t total() const { return total_; }
  int talkers() const { return talkers_; }
  // Offset of message i from the phase start.
  Duration offsetOf(std::uint64_t i) const;
  int talkerOf(std::uint64_t i) const { return static_cast<int>(i % static_cast<std::uint64_t>(talkers_)); }
  // The k-th message (0-based) of `talker`, as a global index; nullopt past the end.
  std::optional<std::uint64_t> nextFor(int talker, std::uint64_t k) const;
  // How many messages `talker` sends in all.
  std::uint64_t countFor(int talker) const;

 private:
  int talkers_;
  double rate_;
  std::uint64_t total_;
};

}  // namespace throng::bench
