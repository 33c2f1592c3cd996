// srtp_bench: nanoseconds per packet for protectRtp and unprotectRtp, throng's OpenSSL SRTP
// against libsrtp2, for each profile at 1200- and 200-byte payloads (design.md §5: "Debian's
// libsrtp2 is built on NSS: measure it"). Run from a release build on a quiet machine:
//   build/release/bench/srtp_bench [--packets N] [--repeats R]
// Each figure is the best of R runs of N packets (other work on the machine only adds time), in
// batches of 256 packets protected and then unprotected in place, as a worker does with a batch
// of received or outgoing packets. It also counts OpenSSL heap allocations per packet.
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "rtc/srtp.h"

namespace {

using throng::rtc::SrtpImplementation;
using throng::rtc::SrtpKeys;
using throng::rtc::SrtpProfile;
using Clock = std::chrono::steady_clock;

// OpenSSL's allocations, counted (CRYPTO_set_mem_functions must run before OpenSSL allocates).
std::atomic<std::uint64_t> g_openssl_allocations{0};
void* countingMalloc(std::size_t n, const char*, int) {
  g_openssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* countingRealloc(void* p, std::size_t n, const char*, int) {
  g_openssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void countingFree(void* p, const char*, int) {
  std::free(p);
}

constexpr std::size_t kBatch = 256;
constexpr std::size_t kHeader = 12;

SrtpKeys keysFor(SrtpProfile profile, char seed) {
  SrtpKeys keys;
  keys.profile = profile;
  keys.master_key.assign(throng::rtc::srtpMasterKeyLength(profile), seed);
  keys.master_salt.assign(throng::rtc::srtpMasterSaltLength(profile), static_cast<char>(~seed));
  return keys;
}

struct Figures {
  double protect_ns = 1e300;
  double unprotect_ns = 1e300;
  double protect_allocations = 0;  // OpenSSL heap allocations per packet
  double unprotect_allocations = 0;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "srtp_bench: %s\n", what.c_str());
  std::exit(1);
}

Figures measure(SrtpImplementation implementation, SrtpProfile profile, std::size_t payload,
                std::size_t packets, int repeats) {
  auto sender =
      throng::rtc::makeSrtpSession(implementation, keysFor(profile, 1), keysFor(profile, 2));
  auto receiver =
      throng::rtc::makeSrtpSession(implementation, keysFor(profile, 2), keysFor(profile, 1));
  if (!sender || !receiver) die("cannot make a session");

  // Unprotect restores each payload in place, so only the sequence number changes per round.
  std::vector<std::vector<std::uint8_t>> batch(kBatch);
  std::array<std::size_t, kBatch> lengths{};
  for (auto& packet : batch) {
    packet.assign(kHeader + payload + throng::rtc::kSrtpMaxOverhead, 0);
    const std::uint8_t header[kHeader] = {0x80, 0x60, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
    std::memcpy(packet.data(), header, kHeader);
    for (std::size_t i = 0; i < payload; ++i) packet[kHeader + i] = static_cast<std::uint8_t>(i);
  }
  std::uint16_t seq = 0;
  double protect_total = 0;
  double unprotect_total = 0;
  std::uint64_t protect_allocations = 0;
  std::uint64_t unprotect_allocations = 0;
  auto round = [&] {
    for (std::size_t i = 0; i < kBatch; ++i) {
      batch[i][2] = static_cast<std::uint8_t>(seq >> 8);
      batch[i][3] = static_cast<std::uint8_t>(seq);
      ++seq;
      lengths[i] = kHeader + payload;
    }
    std::uint64_t before = g_openssl_allocations.load(std::memory_order_relaxed);
    auto start = Clock::now();
    for (std::size_t i = 0; i < kBatch; ++i) {
      if (!(*sender)->protectRtp(batch[i].data(), lengths[i])) die("protect refused");
    }
    auto middle = Clock::now();
    std::uint64_t between = g_openssl_allocations.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < kBatch; ++i) {
      if (!(*receiver)->unprotectRtp(batch[i].data(), lengths[i])) die("unprotect refused");
    }
    auto end = Clock::now();
    protect_allocations += between - before;
    unprotect_allocations += g_openssl_allocations.load(std::memory_order_relaxed) - between;
    protect_total += std::chrono::duration<double, std::nano>(middle - start).count();
    unprotect_total += std::chrono::duration<double, std::nano>(end - middle).count();
  };

  const std::size_t rounds = std::max<std::size_t>(1, packets / kBatch);
  for (std::size_t i = 0; i < rounds / 10 + 1; ++i) round();  // warm-up: caches, key schedules
  Figures figures;
  for (int r = 0; r < repeats; ++r) {
    protect_total = unprotect_total = 0;
    protect_allocations = unprotect_allocations = 0;
    for (std::size_t i = 0; i < rounds; ++i) round();
    const double n = static_cast<double>(rounds * kBatch);
    figures.protect_ns = std::min(figures.protect_ns, protect_total / n);
    figures.unprotect_ns = std::min(figures.unprotect_ns, unprotect_total / n);
    figures.protect_allocations = static_cast<double>(protect_allocations) / n;
    figures.unprotect_allocations = static_cast<double>(unprotect_allocations) / n;
  }
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  if (CRYPTO_set_mem_functions(countingMalloc, countingRealloc, countingFree) != 1) {
    std::fprintf(stderr, "srtp_bench: OpenSSL allocated before main; allocations not counted\n");
  }
  std::size_t packets = 200'000;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--packets") {
      packets = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else {
      die("usage: srtp_bench [--packets N] [--repeats R]");
    }
  }

  std::printf(
      "SRTP ns per packet, best of %d runs of %zu packets (RTP header 12 bytes + payload)\n",
      repeats, packets);
  std::printf("%-8s %-24s %-10s %12s %12s %16s %14s\n", "payload", "profile", "operation",
              "openssl ns", "libsrtp ns", "openssl/libsrtp", "openssl allocs");
  double log_ratio_sum = 0;
  int rows = 0;
  int openssl_wins = 0;
  for (std::size_t payload : {std::size_t{1200}, std::size_t{200}}) {
    for (SrtpProfile profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm,
                                SrtpProfile::kAes128CmHmacSha1_80}) {
      const Figures ours =
          measure(SrtpImplementation::kOpenSsl, profile, payload, packets, repeats);
      const Figures theirs =
          measure(SrtpImplementation::kLibSrtp, profile, payload, packets, repeats);
      const struct {
        const char* name;
        double ours_ns, theirs_ns, allocations;
      } lines[] = {
          {"protect", ours.protect_ns, theirs.protect_ns, ours.protect_allocations},
          {"unprotect", ours.unprotect_ns, theirs.unprotect_ns, ours.unprotect_allocations},
      };
      for (const auto& line : lines) {
        const double ratio = line.ours_ns / line.theirs_ns;
        log_ratio_sum += std::log(ratio);
        ++rows;
        if (ratio < 1) ++openssl_wins;
        std::printf("%-8zu %-24s %-10s %12.1f %12.1f %16.2f %14.2f\n", payload,
                    throng::rtc::srtpProfileName(profile), line.name, line.ours_ns, line.theirs_ns,
                    ratio, line.allocations);
      }
    }
  }
  const double mean_ratio = std::exp(log_ratio_sum / rows);
  const bool openssl_faster = mean_ratio < 1;
  std::printf(
      "\nFaster: %s (OpenSSL faster in %d of %d rows; geometric mean OpenSSL/libsrtp = "
      "%.2f, i.e. %s is %.1fx faster)\n",
      openssl_faster ? "openssl" : "libsrtp", openssl_wins, rows, mean_ratio,
      openssl_faster ? "openssl" : "libsrtp", openssl_faster ? 1 / mean_ratio : mean_ratio);
  std::printf("Default implementation in this build: %s\n",
              throng::rtc::srtpImplementationName(throng::rtc::defaultSrtpImplementation()));
  return 0;
}
