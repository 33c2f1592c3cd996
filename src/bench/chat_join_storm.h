// Chat join storm: N XMPP clients over TCP join one MUC room at a fixed rate, and the tool
// reports how long the joins took and how much the server sent to each client.
//
// Each client runs the fixed c2s sequence of RFC 6120 with SASL ANONYMOUS (RFC 4505):
//   stream header (§4.2) → features → <auth mechanism='ANONYMOUS'/> (§6.4.2) → <success/> →
//   stream restart (§4.3.3) → features → resource bind (§7) → MUC join presence (XEP-0045 §7.2)
// and counts the join as complete when the self-presence arrives: a presence from
// room@service/nick carrying <status code='110'/> (XEP-0045 §7.2.2). Join latency runs from
// sending the join presence to that moment; connect→joined from the TCP connect.
//
// Clients start at `rate` per second (a timer per thread, not a burst), stay connected until
// every client has joined or failed (bounded by `timeout`), optionally each send `messages`
// groupchat messages and wait (bounded) for the room to deliver them, then close their streams
// (`</stream:stream>`, RFC 6120 §4.4).
//
// Threading: `threads` Asio threads, each with its own io_context; client i lives on thread
// i % threads for its whole life. The calling thread only coordinates the phases.
#pragma once

#include "base/result.h"
#include "bench/summary.h"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace throng::bench {

struct ChatJoinOptions {
  std::string host = "127.0.0.1";  // an IP literal: the tool connects to this address only
  std::uint16_t port = 5222;
  std::string anon_domain = "anon.localhost";  // the stream's 'to' (SASL ANONYMOUS host)
  std::string muc_domain = "rooms.localhost";
  std::string room = "demo";
  std::string nick_prefix = "bench";  // nick = prefix + client index: unique within the run
  int clients = 2000;
  double rate = 200;                  // client starts per second
  std::chrono::seconds timeout{120};  // the join phase, from the first start
  int messages = 0;                   // groupchat messages per client once all have joined
  int history = 20;                   // <history maxstanzas=.../> in the join presence
  int threads = 2;
};

struct ChatJoinReport {
  int clients = 0;
  int joined = 0;
  int failed = 0;
  int dropped_after_join = 0;       // joined, then lost the stream before the close phase
  Summary join_ms;                  // join presence sent → self-presence received
  Summary connect_to_joined_ms;     // TCP connect started → self-presence received
  std::uint64_t stanzas_received = 0;    // every depth-1 element, all clients, whole session
  std::uint64_t stanzas_received_join_phase = 0;  // of which before the join phase ended
  std::uint64_t presences_received = 0;  // of which <presence/>
  std::uint64_t groupchat_received = 0;  // live groupchat messages (not history)
  std::uint64_t bytes_received = 0;
  std::uint64_t messages_sent = 0;
  int message_deliveries_complete = 0;   // clients that received every live message
  int closed_cleanly = 0;                // the server answered our </stream:stream>
  double join_phase_s = 0;               // first start → last client joined or failed
  double message_phase_s = 0;
  double wall_s = 0;
  double client_loop_lag_max_ms = 0;     // how late the tool's own timers fired: high = the
                                         // load generator, not the server, was the bottleneck
  std::map<std::string, int> failures;   // reason → clients
};

// Runs the storm. Blocks until every client is closed (bounded: timeout + the message drain +
// the close grace). An Error for options it cannot run (not an IP literal, fd limit too low).
Result<ChatJoinReport> runChatJoinStorm(const ChatJoinOptions& options);

std::string formatReport(const ChatJoinOptions& options, const ChatJoinReport& report);
nlohmann::json reportJson(const ChatJoinOptions& options, const ChatJoinReport& report);

}  // namespace throng::bench
