// How `throng bench chat` shows its results: a live progress line, a readable summary and one
// JSON object. Pure formatting: numbers in, text out.
#pragma once

#include "bench/chat_bench.h"
#include "bench/chat_bench_options.h"
#include "bench/process_sampler.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace throng::bench {

// The shards' counters summed, as the coordinator sees them while the run goes.
struct LiveTotals {
  std::uint64_t connected = 0;
  std::uint64_t joined = 0;
  std::uint64_t failed = 0;
  std::uint64_t dropped = 0;
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t closed = 0;
};

// e.g. "[talk] joined 10000/10000 failed 0 | sent 1200 delivered 12.0M | server 98% 410 MB |
// tool 120%"
std::string formatProgressLine(std::string_view phase, const LiveTotals& totals, int clients,
                               const std::optional<ProcessSample>& server,
                               const std::optional<ProcessSample>& tool);

std::string formatChatBenchReport(const ChatBenchOptions& options, const ChatBenchReport& report);
nlohmann::json chatBenchReportJson(const ChatBenchOptions& options, const ChatBenchReport& report);

}  // namespace throng::bench
