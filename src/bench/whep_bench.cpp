#include "bench/whep_bench.h"

#include "bench/process_sampler.h"
#include "bench/whep_viewer.h"
#include "rtc/dtls.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <sys/resource.h>

#include <algorithm>
#include <future>
#include <map>
#include <thread>

namespace throng::bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

nlohmann::json percentiles(std::vector<double> values) {
  if (values.empty()) return {{"count", 0}};
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    return values[std::min(values.size() - 1, static_cast<std::size_t>(q * values.size()))];
  };
  return {{"count", values.size()}, {"p50_ms", at(0.5)}, {"p95_ms", at(0.95)},
          {"p99_ms", at(0.99)}, {"max_ms", values.back()}};
}

}  // namespace

Status validateWhepBenchOptions(const WhepBenchOptions& o) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec || !address.is_v4() || !address.is_loopback()) {
    return makeError("--host: load goes to 127.0.0.0/8 only, got '" + o.host + "'");
  }
  if (o.viewers < 1 || o.viewers > 100000) return makeError("--viewers: 1..100000");
  if (o.rate <= 0) return makeError("--rate: must be positive");
  if (o.threads < 1 || o.threads > 64) return makeError("--threads: 1..64");
  if (o.codec != "VP8" && o.codec != "H264") return makeError("--codec: VP8 or H264");
  return {};
}

Result<nlohmann::json> runWhepBench(const WhepBenchOptions& o, const WhepProgressFn& progress) {
  if (auto valid = validateWhepBenchOptions(o); !valid) return valid.error();
  // Each bot holds one UDP socket and, briefly, one TCP connection.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  auto certificate = rtc::DtlsCertificate::generate("throng-bench");
  if (!certificate) return certificate.error();
  auto dtls = rtc::DtlsContext::create(certificate.value(), rtc::DtlsRole::kClient);
  if (!dtls) return dtls.error();

  const int addresses =
      o.source_addresses > 0 ? o.source_addresses : std::max(1, (o.viewers + 4999) / 5000);
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    guards.push_back(asio::make_work_guard(*contexts.back()));
  }
  for (int i = 0; i < o.threads; ++i) {
    threads.emplace_back([&io = *contexts[static_cast<std::size_t>(i)]] { io.run(); });
  }

  std::optional<ProcessSampler> server;
  if (o.server_pid > 0) server.emplace(o.server_pid);
  ProcessSampler self(0);
  if (server) server->sample();
  self.sample();

  std::vector<std::shared_ptr<WhepViewer>> bots(static_cast<std::size_t>(o.viewers));
  const auto started = Clock::now();
  auto next_sample = started;
  const auto interval = std::chrono::duration<double>(1.0 / o.rate);
  std::vector<Clock::time_point> arrivals(bots.size());
  for (std::size_t i = 0; i < bots.size(); ++i) {
    const auto due = started + std::chrono::duration_cast<Clock::duration>(interval * double(i));
    std::this_thread::sleep_until(due);
    arrivals[i] = Clock::now();
    WhepViewerOptions options;
    options.host = o.host;
    options.http_port = o.http_port;
    options.event = o.event;
    options.decrypt_every = o.decrypt_every;
    options.offer_codec = o.codec;
    options.gro = o.gro;
    // 127.0.0.2, .3, ...: each address has its own 64k UDP ports.
    options.source_address = asio::ip::address_v4(0x7f000002u + static_cast<unsigned>(i % addresses));
    auto& io = *contexts[i % contexts.size()];
    auto bot = std::make_shared<WhepViewer>(io, options, *dtls.value(),
                                            certificate.value()->fingerprintSha256());
    bots[i] = bot;
    asio::post(io, [bot] { bot->start(); });
    if (Clock::now() >= next_sample) {
      if (server) server->sample();
      self.sample();
      next_sample += o.sample_interval;
      if (progress) progress(fmt::format("{} of {} viewers started", i + 1, bots.size()));
    }
  }
  // Watch: sample while the bots receive.
  const auto watch_until = Clock::now() + o.watch;
  while (Clock::now() < watch_until) {
    std::this_thread::sleep_for(o.sample_interval);
    if (server) server->sample();
    self.sample();
    if (progress) {
      progress(fmt::format("watching: {:.0f} s left",
                           std::chrono::duration<double>(watch_until - Clock::now()).count()));
    }
  }
  // Stop every bot on its own thread, then the threads.
  for (std::size_t i = 0; i < bots.size(); ++i) {
    auto& io = *contexts[i % contexts.size()];
    std::promise<void> stopped;
    auto done = stopped.get_future();
    asio::post(io, [bot = bots[i], &stopped] {
      bot->stop();
      stopped.set_value();
    });
    done.wait();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the DELETEs go out
  for (auto& guard : guards) guard.reset();
  for (auto& context : contexts) context->stop();
  for (auto& thread : threads) thread.join();
  if (server) server->sample();
  self.sample();

  // The report: bots are only read now that their threads are gone.
  std::vector<double> answered, connected, first_rtp, first_keyframe;
  std::map<std::string, int> failures;
  std::uint64_t received = 0, expected = 0, decrypted = 0, decrypt_failures = 0, keyframes = 0;
  std::uint64_t datagrams = 0, reads = 0;
  double worst_loss = 0;
  constexpr int kDeciles = 10;
  std::vector<std::vector<double>> by_decile(kDeciles);
  int ok = 0;
  for (std::size_t i = 0; i < bots.size(); ++i) {
    const auto& bot = *bots[i];
    const auto& t = bot.times();
    if (t.answered) answered.push_back(ms(*t.answered));
    if (t.connected) connected.push_back(ms(*t.connected));
    if (t.first_rtp) first_rtp.push_back(ms(*t.first_rtp));
    if (t.first_keyframe) {
      first_keyframe.push_back(ms(*t.first_keyframe));
      by_decile[i * kDeciles / bots.size()].push_back(ms(*t.first_keyframe));
      ++ok;
    } else {
      failures[bot.failure().empty() ? "no keyframe received" : bot.failure()] += 1;
    }
    const auto c = bot.counts();
    const auto got = c.video_packets + c.audio_packets - std::min(c.out_of_order,
                                                                  c.video_packets + c.audio_packets);
    received += got;
    expected += c.expected;
    decrypted += c.decrypted;
    decrypt_failures += c.decrypt_failures;
    keyframes += c.keyframes;
    datagrams += c.rtp_packets;
    reads += c.reads;
    if (c.expected > 0) {
      worst_loss = std::max(worst_loss, 1.0 - double(std::min(got, c.expected)) / double(c.expected));
    }
  }
  nlohmann::json curve = nlohmann::json::array();
  for (int d = 0; d < kDeciles; ++d) {
    auto p = percentiles(by_decile[static_cast<std::size_t>(d)]);
    p["arrivals"] = fmt::format("{}-{}", d * o.viewers / kDeciles + 1, (d + 1) * o.viewers / kDeciles);
    curve.push_back(p);
  }
  nlohmann::json report = {
      {"viewers", o.viewers},
      {"rate", o.rate},
      {"watch_s", std::chrono::duration<double>(o.watch).count()},
      {"codec", o.codec},
      {"ok", ok},
      {"failures", failures},
      {"setup", {{"answer", percentiles(answered)}, {"connected", percentiles(connected)},
                 {"first_rtp", percentiles(first_rtp)}, {"first_keyframe", percentiles(first_keyframe)}}},
      {"setup_by_arrival", curve},
      {"packets", {{"received", received}, {"expected", expected},
                   {"lost", expected - std::min(received, expected)},
                   {"loss_ratio", expected ? double(expected - std::min(received, expected)) / double(expected) : 0.0},
                   {"worst_viewer_loss_ratio", worst_loss},
                   {"decrypted", decrypted}, {"decrypt_failures", decrypt_failures},
                   {"keyframes", keyframes},
                   {"datagrams_per_read", reads ? double(datagrams) / double(reads) : 0.0}}},
      {"gro", o.gro},
  };
  auto process = [](const ProcessSampler& sampler) {
    double peak_cpu = 0;
    for (const auto& s : sampler.history()) peak_cpu = std::max(peak_cpu, s.cpu_pct);
    const auto& h = sampler.history();
    const double cpu_s = h.size() >= 2 ? h.back().cpu_s - h.front().cpu_s : 0;
    const double wall_s = h.size() >= 2 ? h.back().t_s - h.front().t_s : 0;
    return nlohmann::json{{"cpu_s", cpu_s}, {"mean_cpu_pct", wall_s > 0 ? 100 * cpu_s / wall_s : 0},
                          {"peak_cpu_pct", peak_cpu}, {"peak_rss_mb", sampler.peakRssBytes() / 1e6}};
  };
  if (server) {
    report["server"] = process(*server);
    // The server's whole CPU time over the packets delivered: the figure to hold against a
    // target of packets per second per core.
    const double cpu_s = report["server"]["cpu_s"].get<double>();
    report["server"]["us_per_packet"] = received ? 1e6 * cpu_s / double(received) : 0.0;
    report["server"]["packets_per_cpu_s"] = cpu_s > 0 ? double(received) / cpu_s : 0.0;
  }
  report["tool"] = process(self);
  return report;
}

std::string formatWhepBenchReport(const nlohmann::json& r) {
  std::string out;
  out += fmt::format("throng bench whep: {} viewers at {}/s ({}), {} received a keyframe\n",
                     r["viewers"].get<int>(), r["rate"].get<double>(),
                     r["codec"].get<std::string>(), r["ok"].get<int>());
  for (const auto& [reason, count] : r["failures"].items()) {
    out += fmt::format("  failed: {} × {}\n", count.get<int>(), reason);
  }
  out += "setup from POST            p50 ms    p95 ms    p99 ms    max ms\n";
  for (const char* stage : {"answer", "connected", "first_rtp", "first_keyframe"}) {
    const auto& s = r["setup"][stage];
    if (s["count"].get<int>() == 0) continue;
    out += fmt::format("  {:<22} {:9.1f} {:9.1f} {:9.1f} {:9.1f}\n", stage,
                       s["p50_ms"].get<double>(), s["p95_ms"].get<double>(),
                       s["p99_ms"].get<double>(), s["max_ms"].get<double>());
  }
  out += "first keyframe by arrival order (a slope means setup grows with the audience)\n";
  for (const auto& d : r["setup_by_arrival"]) {
    if (d["count"].get<int>() == 0) continue;
    out += fmt::format("  viewers {:<13} p50 {:8.1f} ms  p99 {:8.1f} ms\n",
                       d["arrivals"].get<std::string>(), d["p50_ms"].get<double>(),
                       d["p99_ms"].get<double>());
  }
  const auto& p = r["packets"];
  out += fmt::format(
      "packets: {} received of {} expected, loss {:.4f}% (worst viewer {:.4f}%); SRTP verified "
      "{}, failed {}\n",
      p["received"].get<std::uint64_t>(), p["expected"].get<std::uint64_t>(),
      100 * p["loss_ratio"].get<double>(), 100 * p["worst_viewer_loss_ratio"].get<double>(),
      p["decrypted"].get<std::uint64_t>(), p["decrypt_failures"].get<std::uint64_t>());
  out += fmt::format("bots read {:.2f} datagrams per read (UDP_GRO {})\n",
                     p["datagrams_per_read"].get<double>(), r["gro"].get<bool>() ? "on" : "off");
  for (const char* who : {"server", "tool"}) {
    if (!r.contains(who)) continue;
    const auto& s = r[who];
    out += fmt::format("{}: CPU {:.1f} s, mean {:.0f}%, peak {:.0f}%; peak RSS {:.0f} MB\n", who,
                       s["cpu_s"].get<double>(), s["mean_cpu_pct"].get<double>(),
                       s["peak_cpu_pct"].get<double>(), s["peak_rss_mb"].get<double>());
    if (s.contains("us_per_packet")) {
      out += fmt::format("  {:.2f} µs of server CPU per packet delivered ({:.0f}k packets per "
                         "CPU-second)\n",
                         s["us_per_packet"].get<double>(),
                         s["packets_per_cpu_s"].get<double>() / 1000);
    }
  }
  return out;
}

}  // namespace throng::bench
