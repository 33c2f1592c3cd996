#include "bench/chat_bench_options.h"

#include <fmt/format.h>

namespace throng::bench {

Result<boost::asio::ip::address_v4> validateChatBenchOptions(const ChatBenchOptions& o) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(o.host, ec);
  if (ec) return makeError("--host: an IPv4 address is required (no name lookup): " + o.host);
  // Load tests send traffic to this machine only.
  if ((address.to_uint() >> 24) != 127) {
    return makeError("--host: load goes to loopback (127.0.0.0/8) only, not " + o.host);
  }
  if (o.port == 0) return makeError("--port: 1 to 65535");
  if (o.clients < 1 || o.clients > 1'000'000) return makeError("--clients: 1 to 1000000");
  if (!(o.join_rate > 0) || o.join_rate > 1'000'000) {
    return makeError("--join-rate: above 0, at most 1000000/s");
  }
  if (o.join_timeout.count() < 1 || o.join_timeout.count() > 86'400) {
    return makeError("--join-timeout: 1 to 86400 s");
  }
  if (o.talkers < 0 || o.talkers > o.clients) return makeError("--talkers: 0 to --clients");
  if (o.message_rate < 0 || o.message_rate > 1'000'000) {
    return makeError("--message-rate: 0 to 1000000/s");
  }
  if (o.duration.count() < 0 || o.duration > std::chrono::hours(24)) {
    return makeError("--duration: 0 to 86400 s");
  }
  if (o.drain.count() < 0 || o.drain.count() > 3600) return makeError("--drain: 0 to 3600 s");
  if (o.threads < 1 || o.threads > 64) return makeError("--threads: 1 to 64");
  if (o.source_addresses < 0 || o.source_addresses > 65'000) {
    return makeError("--source-addresses: 0 to 65000");
  }
  if (o.history < 0) return makeError("--history: not negative");
  if (o.sample_interval.count() < 10) return makeError("--sample-interval: at least 10 ms");
  if (o.room.empty() || o.muc_domain.empty() || o.anon_domain.empty() || o.domain.empty()) {
    return makeError("room, domains and MUC service must not be empty");
  }
  if (!o.account_prefix.empty() && o.password.empty()) {
    return makeError("--accounts needs --password");
  }
  return address;
}

std::chrono::seconds chatBenchTimeBound(const ChatBenchOptions& o) {
  using std::chrono::ceil;
  using std::chrono::seconds;
  constexpr seconds kCloseGrace{5};  // chat_bench.cpp
  return o.join_timeout + ceil<seconds>(o.settle) + ceil<seconds>(o.duration) + o.drain +
         kCloseGrace;
}

}  // namespace throng::bench
