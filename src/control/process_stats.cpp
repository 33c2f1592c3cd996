#include "control/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <system_error>

namespace throng::control {

namespace {

std::string readFile(const char* path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// Splits off the next space-separated token of `text`.
std::string_view nextToken(std::string_view& text) {
  const auto start = text.find_first_not_of(" \n");
  if (start == std::string_view::npos) {
    text = {};
    return {};
  }
  text.remove_prefix(start);
  const auto end = text.find_first_of(" \n");
  const std::string_view token = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  return token;
}

std::optional<std::uint64_t> parseUint(std::string_view token) {
  std::uint64_t v = 0;
  const auto res = std::from_chars(token.data(), token.data() + token.size(), v);
  if (res.ec != std::errc{} || res.ptr != token.data() + token.size()) return std::nullopt;
  return v;
}

// "btime <seconds>" from /proc/stat: the boot time that starttime counts from.
std::optional<std::uint64_t> readBootTime() {
  const std::string text = readFile("/proc/stat");
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    if (line.starts_with("btime ")) {
      line.remove_prefix(6);
      return parseUint(nextToken(line));
    }
  }
  return std::nullopt;
}

std::uint64_t countOpenFds() {
  // The iterator's own descriptor is counted too, as client_golang's count is.
  std::error_code ec;
  std::uint64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

std::optional<ProcStatFields> parseProcStat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos || text.find('(') > close) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Fields after the name start at 3 (state); proc(5) numbers them from 1.
  ProcStatFields out;
  for (int field = 3; field <= 22; ++field) {
    const std::string_view token = nextToken(rest);
    if (token.empty()) return std::nullopt;
    std::uint64_t* target = nullptr;
    switch (field) {
      case 14: target = &out.utime_ticks; break;
      case 15: target = &out.stime_ticks; break;
      case 20: target = &out.num_threads; break;
      case 22: target = &out.starttime_ticks; break;
      default: break;
    }
    if (target == nullptr) continue;
    const auto value = parseUint(token);
    if (!value) return std::nullopt;
    *target = *value;
  }
  return out;
}

ProcessStats readProcessStats() {
  ProcessStats stats;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);

  if (const auto fields = parseProcStat(readFile("/proc/self/stat")); fields && ticks > 0) {
    const auto tps = static_cast<double>(ticks);
    stats.cpu_seconds = static_cast<double>(fields->utime_ticks + fields->stime_ticks) / tps;
    stats.threads = fields->num_threads;
    if (const auto boot = readBootTime()) {
      stats.start_time_seconds =
          static_cast<double>(*boot) + static_cast<double>(fields->starttime_ticks) / tps;
    }
  }

  // statm (proc(5)): "size resident shared text lib data dt", in pages.
  const std::string statm = readFile("/proc/self/statm");
  std::string_view rest = statm;
  const auto size_pages = parseUint(nextToken(rest));
  const auto resident_pages = parseUint(nextToken(rest));
  if (page > 0) {
    const auto page_bytes = static_cast<std::uint64_t>(page);
    if (size_pages) stats.virtual_bytes = *size_pages * page_bytes;
    if (resident_pages) stats.rss_bytes = *resident_pages * page_bytes;
  }

  stats.open_fds = countOpenFds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats.max_fds = limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<std::uint64_t>::max()
                                                    : static_cast<std::uint64_t>(limit.rlim_cur);
  }
  return stats;
}

void writeProcessMetrics(PromWriter& out, const ProcessStats& stats) {
  // Names and help texts follow client_golang's process collector so stock dashboards work.
  out.single("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", stats.cpu_seconds);
  out.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", stats.rss_bytes);
  out.single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", stats.virtual_bytes);
  out.single("process_open_fds", "gauge", "Number of open file descriptors.", stats.open_fds);
  out.single("process_max_fds", "gauge", "Maximum number of open file descriptors.", stats.max_fds);
  out.single("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", stats.start_time_seconds);
  out.single("throng_process_threads", "gauge", "Number of OS threads in the process.", stats.threads);
}

std::optional<double> CpuPercent::update(double cpu_seconds, Clock::time_point now) {
  std::optional<double> percent;
  if (last_cpu_seconds_ && now > last_wall_) {
    const double wall = std::chrono::duration<double>(now - last_wall_).count();
    const double cpu = cpu_seconds - *last_cpu_seconds_;
    percent = cpu > 0 ? 100.0 * cpu / wall : 0.0;
  }
  // A reading where the wall clock did not advance keeps the old baseline, so the next
  // interval is measured from a real instant rather than a duplicate one.
  if (!last_cpu_seconds_ || now > last_wall_) {
    last_cpu_seconds_ = cpu_seconds;
    last_wall_ = now;
  }
  return percent;
}

}  // namespace throng::control
