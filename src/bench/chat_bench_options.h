// What `throng bench chat` runs: N XMPP clients join one MUC room at an arrival rate, then K
// talkers send timestamped groupchat messages at a total rate for a given time (chat_bench.h).
#pragma once

#include "base/result.h"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace throng::bench {

enum class ChatTransport { kTcp, kWebSocket };

struct ChatBenchOptions {
  // Target. Load goes to 127.0.0.0/8 only (validateChatBenchOptions refuses anything else).
  std::string host = "127.0.0.1";  // an IPv4 literal: no name lookup
  std::uint16_t port = 5222;       // XMPP TCP port, or the HTTP port for WebSocket
  ChatTransport transport = ChatTransport::kTcp;
  std::string ws_path = "/xmpp-websocket";  // RFC 7395 endpoint (WebSocket only)
  std::string domain = "localhost";           // account domain (SASL PLAIN)
  std::string anon_domain = "anon.localhost";  // SASL ANONYMOUS host
  std::string muc_domain = "rooms.localhost";
  std::string room = "bench";
  std::string nick_prefix = "bench";  // nick = prefix + client index: unique within the run
  // Empty: SASL ANONYMOUS (RFC 4505). Otherwise SASL PLAIN (RFC 4616) as prefix + index with
  // `password`, on `domain` (accounts made beforehand, e.g. `throng user add`).
  std::string account_prefix;
  std::string password;

  // Join phase.
  int clients = 1000;
  double join_rate = 200;                  // connection starts per second
  std::chrono::seconds join_timeout{60};   // from the first start
  int history = 0;                         // <history maxstanzas/> in the join presence

  // Talk phase (skipped when talkers or message_rate is 0): `talkers` of the joined clients
  // send `message_rate` messages per second in total for `duration`; then up to `drain` for
  // the last deliveries.
  int talkers = 0;
  // Talkers' messages carry <no-store/> (XEP-0334), so an archiving server skips its archive:
  // run with and without to see what archiving adds to delivery latency.
  bool no_store = false;
  double message_rate = 0;
  std::chrono::milliseconds duration{0};
  std::chrono::seconds drain{10};
  // Idle time with everyone joined before the talk phase (lets the server settle after a storm).
  std::chrono::milliseconds settle{500};

  // Load generator.
  int threads = 2;
  int source_addresses = 0;  // 127.0.0.1, .2, ...: 0 = one per 20,000 clients
  int server_pid = 0;        // 0: no server sampling
  std::chrono::milliseconds sample_interval{1000};
  bool progress = false;     // a live line on stderr
};

// Every bound the run needs (counts, rates, times) and the loopback-only rule. Returns the
// parsed target address.
Result<boost::asio::ip::address_v4> validateChatBenchOptions(const ChatBenchOptions& options);

// The total time bound of a run with these options: join timeout + settle + talk + drain +
// close grace. The run stops by itself within it.
std::chrono::seconds chatBenchTimeBound(const ChatBenchOptions& options);

}  // namespace throng::bench
