#include "bench/process_sampler.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace throng::bench {

std::optional<ProcStat> parseProcStat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields after ')' start with field 3 (state). utime/stime are 14/15 and rss is 24, i.e.
  // the 12th, 13th and 22nd of the fields that follow (1-based).
  std::string_view rest = text.substr(close + 1);
  std::uint64_t values[22] = {};
  int field = 0;
  std::size_t i = 0;
  while (field < 22) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    if (i >= rest.size()) return std::nullopt;
    const auto start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') ++i;
    const auto token = rest.substr(start, i - start);
    if (field == 11 || field == 12 || field == 21) {
      std::uint64_t v = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
      if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
      values[field] = v;
    }
    ++field;
  }
  return ProcStat{values[11] + values[12], values[21]};
}

ProcessSampler::ProcessSampler(int pid) : pid_(pid), started_(std::chrono::steady_clock::now()) {}

std::optional<ProcessSample> ProcessSampler::sample() {
  const std::string path =
      pid_ == 0 ? std::string("/proc/self/stat") : "/proc/" + std::to_string(pid_) + "/stat";
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const auto stat = parseProcStat(text.str());
  if (!stat) return std::nullopt;
  static const double kTicks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const auto kPage = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  ProcessSample s;
  s.t_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  s.cpu_s = static_cast<double>(stat->cpu_ticks) / kTicks;
  s.rss_bytes = stat->rss_pages * kPage;
  if (!history_.empty()) {
    const auto& last = history_.back();
    const double dt = s.t_s - last.t_s;
    if (dt > 0) s.cpu_pct = 100.0 * (s.cpu_s - last.cpu_s) / dt;
  }
  peak_rss_ = std::max(peak_rss_, s.rss_bytes);
  history_.push_back(s);
  return s;
}

}  // namespace throng::bench
