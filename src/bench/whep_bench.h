// `throng bench whep`: N WebRTC viewer bots (whep_viewer.h) in one process arrive at a rate,
// watch for a while and leave; the report gives setup times (POST → answer → DTLS connected
// → first RTP → first keyframe) overall and per arrival decile — so a setup time that grows
// with the audience shows as a slope — packets received and lost, SRTP verification failures,
// and the server's and the tool's CPU and memory. Loopback only, bounded in time.
#pragma once

#include "base/result.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace throng::bench {

struct WhepBenchOptions {
  std::string host = "127.0.0.1";  // IPv4 literal in 127.0.0.0/8
  std::uint16_t http_port = 8080;
  std::string event = "demo";
  int viewers = 100;
  double rate = 100;                   // arrivals per second
  std::chrono::milliseconds watch{10000};  // after the last arrival
  std::chrono::seconds setup_timeout{15};
  int threads = 2;
  int decrypt_every = 16;
  int source_addresses = 0;            // 0: one per 5,000 bots (each needs a UDP port)
  std::string codec = "VP8";
  bool gro = true;  // bots read coalesced datagrams (UDP_GRO)
  int server_pid = 0;
  std::chrono::milliseconds sample_interval{500};
};

Status validateWhepBenchOptions(const WhepBenchOptions& options);

using WhepProgressFn = std::function<void(const std::string& line)>;

// Runs the benchmark; the JSON report (also the source of the printed summary). Errors only for
// options that cannot run (validation) — failed viewers are part of the report.
Result<nlohmann::json> runWhepBench(const WhepBenchOptions& options, const WhepProgressFn& progress);

// The human-readable summary of a report.
std::string formatWhepBenchReport(const nlohmann::json& report);

}  // namespace throng::bench
