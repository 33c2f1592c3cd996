// ProcessSampler: CPU time and resident memory of a process, read from /proc/<pid>/stat
// (proc(5)), for the load generator's report — the server's, given its PID, and the tool's own,
// so a run where the tool was the bottleneck is visible.
//
// parseProcStat() is pure (the file's text in, numbers out) and unit-tested; ProcessSampler
// only adds the read and the clock. Used on the tool's coordinating thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace throng::bench {

struct ProcStat {
  std::uint64_t cpu_ticks = 0;  // utime + stime (fields 14 and 15), in clock ticks
  std::uint64_t rss_pages = 0;  // field 24
};

// Parses the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// itself hold spaces and ')', so fields are counted from the last ')'. nullopt if malformed.
std::optional<ProcStat> parseProcStat(std::string_view text);

struct ProcessSample {
  double t_s = 0;        // since the sampler was made
  double cpu_s = 0;      // cumulative CPU seconds of the process
  double cpu_pct = 0;    // over the interval since the previous sample (100 = one core)
  std::uint64_t rss_bytes = 0;
};

class ProcessSampler {
 public:
  // pid 0 samples this process (/proc/self).
  explicit ProcessSampler(int pid);

  // Reads the process now; nullopt once it has gone (or /proc is not readable).
  std::optional<ProcessSample> sample();
  // Every successful sample() so far, in order.
  const std::vector<ProcessSample>& history() const { return history_; }
  std::uint64_t peakRssBytes() const { return peak_rss_; }

 private:
  int pid_;
  std::chrono::steady_clock::time_point started_;
  std::vector<ProcessSample> history_;
  std::uint64_t peak_rss_ = 0;
};

}  // namespace throng::bench
