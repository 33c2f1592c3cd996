// ChatClient: one XMPP client of `throng bench chat` — connect, log in, join the room, then
// receive (and, for a talker, send) timestamped groupchat messages.
//
// The c2s sequence is RFC 6120's, with SASL ANONYMOUS (RFC 4505) or PLAIN (RFC 4616):
//   stream header (§4.2) → features → <auth/> (§6.4.2) → <success/> → stream restart (§4.3.3)
//   → features → resource bind (§7) → MUC join presence (XEP-0045 §7.2)
// and the join is complete when the self-presence arrives: a presence from room@service/nick
// carrying <status code='110'/> (XEP-0045 §7.2.2).
//
// Reading is two-level: the transport hands over raw depth-1 elements; only the handshake,
// stream errors and the client's own presence are parsed in full (proto::XmlStreamParser).
// Other presences are counted, and groupchat messages are recognised by their body marker
// (`tb <talker> <seq> <send time ns>`) so that a delivery costs a substring search, not a parse
// — the tool must stay cheaper than the server it measures.
//
// Threading: a client lives on one Shard thread (chat_bench.cpp) for its whole life; every
// method runs there. Owned by its shard, destroyed after the shard's thread has stopped.
#pragma once

#include "bench/chat_bench_options.h"
#include "bench/chat_transport.h"
#include "bench/latency_histogram.h"
#include "bench/talker_schedule.h"
#include "proto/xml_stream.h"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace throng::bench {

// What every client of one run shares; read-only while the run goes.
struct ChatRunPlan {
  const ChatBenchOptions* options = nullptr;  // owned by the caller of runChatBench
  boost::asio::ip::tcp::endpoint target;
  std::string room_jid;   // room@service
  std::string stream_to;  // the account or anonymous domain
};

// Counters of one shard: written by its thread, read by the coordinator for the progress line
// (relaxed atomics, one cache line per shard so the threads do not share one).
struct alignas(64) ShardCounters {
  std::atomic<std::uint64_t> connected{0};
  std::atomic<std::uint64_t> joined{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> dropped{0};     // joined, then lost the stream
  std::atomic<std::uint64_t> sent{0};        // talker messages
  std::atomic<std::uint64_t> delivered{0};   // talker messages received
  std::atomic<std::uint64_t> closed{0};      // sockets closed, for any reason
};

class ChatClient final : public TransportListener, public proto::XmlStreamListener {
 public:
  enum class State { kIdle, kConnecting, kFeatures, kAuth, kRestart, kBind, kJoin, kJoined,
                     kClosing, kDone };

  // `plan`, `counters` and `latency` outlive the client (the run and its shard own them);
  // `latency` is this shard's delivery-latency histogram.
  ChatClient(boost::asio::io_context& io, const ChatRunPlan& plan, ShardCounters& counters,
             LatencyHistogram& latency, int index);
  ~ChatClient() override;

  void start(const boost::asio::ip::address_v4& source);
  // The join phase is over: a client that has not joined fails with the step it was at.
  void expire();
  // The talk phase: send this talker's messages of `schedule` at their times from `phase_start`.
  void startTalking(const TalkerSchedule& schedule, int talker,
                    std::chrono::steady_clock::time_point phase_start);
  // Stops sending (the talk phase's bound has passed).
  void stopTalking();
  // Close phase: RFC 6120 §4.4 — end our stream, wait for the server's, then close.
  void close();

  bool joined() const { return joined_at_.has_value(); }
  bool connectedAndJoined() const { return joined() && state_ == State::kJoined; }
  bool droppedAfterJoin() const { return dropped_after_join_; }
  bool closedCleanly() const { return closed_cleanly_; }
  const std::string& failure() const { return failure_; }
  std::optional<double> joinMillis() const;           // join presence sent → self-presence
  std::optional<double> connectToJoinedMillis() const;  // connect started → self-presence
  std::uint64_t stanzas() const { return stanzas_; }
  std::uint64_t stanzasInJoinPhase() const { return stanzas_join_phase_; }
  std::uint64_t presences() const { return presences_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t bytes() const;
  const std::string& lossReason() const { return loss_reason_; }

 private:
  // TransportListener
  void onTransportConnected() override;
  void onTransportElement(std::string_view name, std::string_view raw) override;
  void onTransportStreamClosed() override;
  void onTransportLost(std::string reason) override;
  // XmlStreamListener: the elements inspect() parses in full.
  void onStreamOpen(const proto::XmlElement&) override {}
  void onStreamClose() override {}
  void onStanza(proto::XmlElement stanza) override;

  void onGroupchat(std::string_view raw);
  void onPresence(const proto::XmlElement& presence);
  void inspect(std::string_view raw);
  void sendNext();
  const char* stateWaitingFor() const;
  void fail(std::string reason);
  void lost(std::string reason);
  void finish();

  const ChatRunPlan& plan_;
  ShardCounters& counters_;
  LatencyHistogram& latency_;
  const int index_;
  const std::string nick_;
  const std::string occupant_jid_;  // room@service/nick: where the self-presence comes from
  std::unique_ptr<ClientTransport> transport_;
  proto::XmlStreamParser parser_;  // only the elements inspect() passes on
  boost::asio::steady_timer talk_timer_;
  State state_ = State::kIdle;
  bool settled_ = false;
  bool dropped_after_join_ = false;
  bool closed_cleanly_ = false;
  std::string failure_;
  std::string loss_reason_;
  std::chrono::steady_clock::time_point connect_started_{};
  std::chrono::steady_clock::time_point join_sent_{};
  std::optional<std::chrono::steady_clock::time_point> joined_at_;
  std::uint64_t stanzas_ = 0;
  std::uint64_t stanzas_join_phase_ = 0;
  std::uint64_t presences_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t sent_ = 0;
  // Talking: this talker's next message k of `schedule_` (null when not a talker).
  const TalkerSchedule* schedule_ = nullptr;  // owned by the run
  int talker_ = 0;
  std::uint64_t next_k_ = 0;
  std::chrono::steady_clock::time_point phase_start_{};
};

// The marker a talker's body starts with, and the parser a receiver uses on a raw message.
struct BenchBody {
  int talker = 0;
  std::uint64_t seq = 0;
  std::int64_t sent_ns = 0;  // steady_clock, same process
};
std::string formatBenchBody(const BenchBody& body);
// Finds `<body>tb ...</body>` in a raw message; nullopt when it is not one of ours.
std::optional<BenchBody> findBenchBody(std::string_view raw_message);

}  // namespace throng::bench
