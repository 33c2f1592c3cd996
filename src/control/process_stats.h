// Resource usage of this process, read from procfs (Linux only), for /metrics and the dashboard.
// Reading does file I/O: call it on the control-plane thread, never on a worker.
#pragma once

#include "base/metrics.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace throng::control {

struct ProcessStats {
  double cpu_seconds = 0;          // user + system
  std::uint64_t rss_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;       // soft RLIMIT_NOFILE; UINT64_MAX when unlimited
  std::uint64_t threads = 0;
  double start_time_seconds = 0;   // Unix time
};

// Fields that come from /proc/<pid>/stat (proc(5)), kept in clock ticks as the kernel gives them.
struct ProcStatFields {
  std::uint64_t utime_ticks = 0;      // field 14
  std::uint64_t stime_ticks = 0;      // field 15
  std::uint64_t num_threads = 0;      // field 20
  std::uint64_t starttime_ticks = 0;  // field 22, since boot
};

// Pure parser for the text of /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'. Returns nothing on malformed input.
std::optional<ProcStatFields> parseProcStat(std::string_view text);

// Reads /proc/self/stat, /proc/self/statm, /proc/stat (boot time), /proc/self/fd and
// getrlimit. A field that cannot be read is left 0: metrics must not take the server down.
ProcessStats readProcessStats();

// Emits the standard process_* names (as client_golang's process collector does) plus
// throng_process_threads.
void writeProcessMetrics(PromWriter& out, const ProcessStats& stats);

// CPU use between successive readings, in percent of one core (200 = two cores busy).
// Single-threaded: owned by whoever samples (the control-plane thread).
class CpuPercent {
 public:
  using Clock = std::chrono::steady_clock;

  // Returns the CPU % since the previous reading, or nothing for the first reading and when the
  // wall clock did not advance. A CPU time that went backwards counts as 0.
  std::optional<double> update(double cpu_seconds, Clock::time_point now);

 private:
  std::optional<double> last_cpu_seconds_;
  Clock::time_point last_wall_{};
};

}  // namespace throng::control
