#include "bench/chat_join_storm.h"

#include "bench/xml_scanner.h"

#include "net/rlimit.h"
#include "net/worker.h"
#include "proto/xml_element.h"
#include "proto/xml_stream.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace throng::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";     // RFC 6120 §6.4
constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";     // RFC 6120 §7
constexpr std::string_view kMucUserNs = "http://jabber.org/protocol/muc#user";  // XEP-0045
constexpr std::string_view kDelayNs = "urn:xmpp:delay";                      // XEP-0203
constexpr std::string_view kBindId = "b1";

// One read buffer per client. A join storm's messages are small presences; 8 KiB takes many of
// them per read while keeping 2,000 clients at 16 MB.
constexpr std::size_t kReadBufferBytes = 8 * 1024;
// Descriptors kept back for the process itself (stdio, the workers' eventfds and epoll).
constexpr std::uint64_t kSpareFds = 64;
// Once every client has sent its messages, how long they wait for the room to deliver all of
// them; and how long closing streams may take before the remaining sockets are cut.
constexpr std::chrono::seconds kMessageDrain{30};
constexpr std::chrono::seconds kCloseGrace{5};

double millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Counts events reported from the client threads; the coordinating thread waits for a target.
class Countdown {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
    last_ = Clock::now();
    changed_.notify_all();
  }
  // True when `target` was reached before `deadline`.
  bool waitFor(int target, Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return count_ >= target; });
  }
  Clock::time_point last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
  Clock::time_point last_{};
};

// What the clients of one run share; read-only once the run starts, except the countdowns.
struct Plan {
  tcp::endpoint endpoint;
  std::string stream_header;  // RFC 6120 §4.2, also sent again on the restart (§4.3.3)
  std::string room_jid;       // room@service
  int history = 20;
  Countdown settled;     // a client joined or failed
  Countdown delivered;   // a client received every live groupchat message it expects
  Countdown closed;      // a client's socket is closed
};

std::string streamHeader(std::string_view to) {
  std::string header = "<?xml version='1.0'?><stream:stream to='";
  proto::escapeAttribute(header, to);
  header +=
      "' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
  return header;
}

// The first child element of an <error/> (RFC 6120 §4.9.3, §8.3.3) names the condition.
std::string errorCondition(const proto::XmlElement& error) {
  for (const auto& node : error.nodes()) {
    if (const auto* element = std::get_if<proto::XmlElement>(&node)) {
      if (element->name() != "text") return element->name();
    }
  }
  return "unknown";
}

// One XMPP client. Lives on one worker thread from start() to the end of the run; every method
// runs there. Owned by its Shard, which is destroyed only after the worker has stopped.
//
// Reading is two-level: an XmlScanner splits the byte stream into depth-1 elements and counts
// them; only the elements the client must understand (the handshake, its own presence, stream
// errors) go to a full parser, fed as the children of a synthetic stream. In a storm where every
// join is broadcast each client receives O(N) presences of others, and skipping their parse keeps
// the load generator's CPU well below the server's.
class JoinClient final : public XmlScannerListener, public proto::XmlStreamListener {
 public:
  enum class State { kIdle, kConnecting, kFeatures, kAuth, kRestart, kBind, kJoin, kJoined,
                     kClosing, kDone };

  JoinClient(asio::io_context& io, Plan& plan, std::string nick)
      : plan_(plan),
        nick_(std::move(nick)),
        occupant_jid_(plan.room_jid + "/" + nick_),
        socket_(io),
        scanner_(*this),
        parser_(proto::XmlStreamParser::Mode::kStream, proto::XmlLimits{}, *this) {
    // The parser sees one endless stream: the server's restart is handled by the scanner.
    static constexpr std::string_view kSyntheticHeader =
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    [[maybe_unused]] auto error = parser_.feed(kSyntheticHeader);
    assert(!error);
  }

  void start() {
    state_ = State::kConnecting;
    connect_started_ = Clock::now();
    socket_.async_connect(plan_.endpoint, [this](const boost::system::error_code& ec) {
      if (state_ != State::kConnecting) return;  // expired meanwhile
      if (ec) return fail("connect: " + ec.message());
      boost::system::error_code ignored;
      socket_.set_option(tcp::no_delay(true), ignored);  // small stanzas, latency measured
      state_ = State::kFeatures;
      send(plan_.stream_header);
      read();
    });
  }

  // The join phase is over: a client that has not settled fails with the step it was at.
  // A connected client keeps its stream open so that the close phase ends it cleanly.
  void expire() {
    stanzas_join_phase_ = stanzas_;
    if (settled_) return;
    auto reason = fmt::format("timeout: {}", stateWaitingFor());
    if (state_ == State::kIdle || state_ == State::kConnecting) return fail(std::move(reason));
    failure_ = std::move(reason);
    settle();
  }

  // Message phase: `count` groupchat messages to the room; the client then expects
  // `expected_live` live groupchat messages in all (every joined client's, its own included:
  // XEP-0045 §7.4 reflects a message to every occupant).
  void sendMessages(int count, std::uint64_t expected_live) {
    if (state_ != State::kJoined) return;
    expected_live_ = expected_live;
    for (int k = 0; k < count; ++k) {
      std::string message = "<message to='";
      proto::escapeAttribute(message, plan_.room_jid);
      message += fmt::format("' type='groupchat' id='m{}'><body>", k);
      proto::escapeText(message, fmt::format("{} says {}", nick_, k));
      message += "</body></message>";
      send(std::move(message));
      ++messages_sent_;
    }
    checkDelivered();
  }

  // Close phase: RFC 6120 §4.4 — send </stream:stream>, wait for the server's, then close.
  void close() {
    if (state_ == State::kDone) return;
    if (state_ == State::kIdle) return finish();
    if (!socket_.is_open() || state_ == State::kConnecting) return finish();
    state_ = State::kClosing;
    send("</stream:stream>");
  }

  bool joined() const { return joined_at_.has_value(); }
  bool droppedAfterJoin() const { return dropped_after_join_; }
  bool closedCleanly() const { return closed_cleanly_; }
  bool deliveredAll() const { return delivered_all_; }
  const std::string& failure() const { return failure_; }
  std::optional<double> joinMillis() const {
    if (!joined_at_) return std::nullopt;
    return millis(*joined_at_ - join_sent_);
  }
  std::optional<double> connectToJoinedMillis() const {
    if (!joined_at_) return std::nullopt;
    return millis(*joined_at_ - connect_started_);
  }
  std::uint64_t stanzas() const { return stanzas_; }
  std::uint64_t stanzasInJoinPhase() const { return stanzas_join_phase_; }
  std::uint64_t presences() const { return presences_; }
  std::uint64_t groupchat() const { return groupchat_; }
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t messagesSent() const { return messages_sent_; }

 private:
  // XmlScannerListener (synchronously inside scanner_.feed(), on this client's thread).
  void onScanOpen() override {}

  void onScanElement(std::string_view name, std::string_view raw) override {
    ++stanzas_;
    if (name == "presence") {
      ++presences_;
      // Only our own occupant's presence matters: the join, or a removal.
      if ((state_ == State::kJoin || state_ == State::kJoined) &&
          startTagAttribute(raw, "from") == occupant_jid_) {
        inspect(raw);
      }
      return;
    }
    if (name == "message") {
      // Live chat only: not history (<delay/>, XEP-0203) and not the bodyless occupant-count
      // push (urn:throng:muc:occupants:0, docs/muc.md). Substring checks suffice: the tool
      // sends every body itself.
      if (startTagAttribute(raw, "type") == "groupchat" &&
          raw.find("<body") != std::string_view::npos &&
          raw.find(kDelayNs) == std::string_view::npos) {
        ++groupchat_;
        checkDelivered();
      }
      return;
    }
    if (state_ < State::kJoined || name == "stream:error") inspect(raw);
  }

  void onScanClose() override {
    if (state_ == State::kClosing) {
      closed_cleanly_ = true;
      return finish();
    }
    lost("server closed the stream");
  }

  void inspect(std::string_view raw) {
    if (auto error = parser_.feed(raw)) {
      lost(fmt::format("xml: {}", proto::xmlErrorCondition(error->kind)));
    }
  }

  // XmlStreamListener: the inspected elements (synchronously inside parser_.feed()).
  void onStreamOpen(const proto::XmlElement&) override {}
  void onStreamClose() override {}

  void onStanza(proto::XmlElement stanza) override {
    const auto& name = stanza.name();
    if (name == "presence") return onPresence(stanza);
    if (name == "features" && stanza.xmlns() == proto::kStreamsNs) {
      if (state_ == State::kFeatures) {
        state_ = State::kAuth;
        send(fmt::format("<auth xmlns='{}' mechanism='ANONYMOUS'/>", kSaslNs));
      } else if (state_ == State::kRestart) {
        state_ = State::kBind;
        send(fmt::format("<iq type='set' id='{}'><bind xmlns='{}'/></iq>", kBindId, kBindNs));
      }
      return;
    }
    if (name == "error" && stanza.xmlns() == proto::kStreamsNs) {
      return lost("stream error: " + errorCondition(stanza));
    }
    if (stanza.xmlns() == kSaslNs && state_ == State::kAuth) {
      if (name == "success") {
        // RFC 6120 §6.4.6: both sides restart the stream; a new document follows.
        scanner_.reset();
        state_ = State::kRestart;
        send(plan_.stream_header);
      } else if (name == "failure") {
        fail("sasl failure: " + errorCondition(stanza));
      }
      return;
    }
    if (name == "iq" && state_ == State::kBind && stanza.attributeOr("id", "") == kBindId) {
      if (stanza.attributeOr("type", "") != "result") {
        const auto* error = stanza.child("error");
        return fail("bind: " + (error ? errorCondition(*error) : std::string("no result")));
      }
      state_ = State::kJoin;
      join_sent_ = Clock::now();
      send(joinPresence());
    }
  }

  void onPresence(const proto::XmlElement& presence) {
    if (presence.attributeOr("from", "") != occupant_jid_) return;
    const auto type = presence.attributeOr("type", "");
    if (state_ == State::kJoin) {
      if (settled_) return;  // timed out already: a late self-presence does not count
      if (type == "error") {
        const auto* error = presence.child("error");
        return fail("join: " + (error ? errorCondition(*error) : std::string("error")));
      }
      // XEP-0045 §7.2.2: the self-presence carries status code 110.
      const auto* x = presence.child("x", kMucUserNs);
      if (!x) return;
      for (const auto* status : x->children("status", kMucUserNs)) {
        if (status->attributeOr("code", "") == "110") {
          joined_at_ = Clock::now();
          state_ = State::kJoined;
          settle();
          return;
        }
      }
    } else if (state_ == State::kJoined && type == "unavailable") {
      lost("removed from the room");
    }
  }

  std::string joinPresence() const {
    std::string presence = "<presence to='";
    proto::escapeAttribute(presence, occupant_jid_);
    presence += fmt::format(
        "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='{}'/></x></presence>",
        plan_.history);
    return presence;
  }

  const char* stateWaitingFor() const {
    switch (state_) {
      case State::kIdle: return "not started";
      case State::kConnecting: return "connecting";
      case State::kFeatures: return "waiting for stream features";
      case State::kAuth: return "waiting for SASL success";
      case State::kRestart: return "waiting for features after restart";
      case State::kBind: return "waiting for the bind result";
      case State::kJoin: return "waiting for the self-presence";
      case State::kJoined: return "joined";
      case State::kClosing: return "closing";
      case State::kDone: return "done";
    }
    return "?";
  }

  void read() {
    socket_.async_read_some(
        asio::buffer(buffer_), [this](const boost::system::error_code& ec, std::size_t n) {
          if (state_ == State::kDone) return;
          if (ec) {
            if (state_ == State::kClosing) return finish();  // the server closed first
            return lost(ec == asio::error::eof ? std::string("connection closed by the server")
                                               : "read: " + ec.message());
          }
          bytes_ += n;
          if (auto error = scanner_.feed(std::string_view(buffer_.data(), n))) {
            return lost("xml: " + *error);
          }
          if (state_ != State::kDone) read();
        });
  }

  // Writes go out one at a time, in order. At most a few are queued: the fixed handshake steps
  // and the message phase's `messages`.
  void send(std::string bytes) {
    out_.push_back(std::move(bytes));
    if (out_.size() == 1) writeNext();
  }

  void writeNext() {
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [this](const boost::system::error_code& ec, std::size_t) {
                        if (state_ == State::kDone) return;
                        if (ec) return lost("write: " + ec.message());
                        out_.pop_front();
                        if (!out_.empty()) writeNext();
                      });
  }

  void checkDelivered() {
    if (!delivered_all_ && expected_live_ > 0 && groupchat_ >= expected_live_) {
      delivered_all_ = true;
      plan_.delivered.add();
    }
  }

  void settle() {
    if (settled_) return;
    settled_ = true;
    plan_.settled.add();
  }

  // Fails the join (first reason wins) and closes.
  void fail(std::string reason) {
    if (failure_.empty() && !joined()) failure_ = std::move(reason);
    settle();
    finish();
  }

  // The stream ended: a failure before the join, a drop after it.
  void lost(std::string reason) {
    if (joined()) {
      dropped_after_join_ = state_ != State::kClosing;
      return finish();
    }
    fail(std::move(reason));
  }

  void finish() {
    if (state_ == State::kDone) return;
    state_ = State::kDone;
    boost::system::error_code ignored;
    socket_.close(ignored);
    plan_.closed.add();
  }

  Plan& plan_;  // owned by runChatJoinStorm, outlives every client
  const std::string nick_;
  const std::string occupant_jid_;  // room@service/nick: where the self-presence comes from
  tcp::socket socket_;
  XmlScanner scanner_;            // every byte received
  proto::XmlStreamParser parser_;  // only the elements inspect() passes on
  std::array<char, kReadBufferBytes> buffer_{};
  std::deque<std::string> out_;
  State state_ = State::kIdle;
  bool settled_ = false;
  bool dropped_after_join_ = false;
  bool closed_cleanly_ = false;
  bool delivered_all_ = false;
  std::string failure_;
  Clock::time_point connect_started_{};
  Clock::time_point join_sent_{};
  std::optional<Clock::time_point> joined_at_;
  std::uint64_t stanzas_ = 0;
  std::uint64_t stanzas_join_phase_ = 0;  // stanzas_ when the join phase ended
  std::uint64_t presences_ = 0;
  std::uint64_t groupchat_ = 0;
  std::uint64_t expected_live_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t messages_sent_ = 0;
};

// One worker thread and the clients that live on it. The clients are started by a pacing timer
// on this thread at their scheduled times (t0 + index / rate), so the global rate holds without
// any cross-thread hand-off.
class Shard {
 public:
  explicit Shard(int id) : worker_(id, fmt::format("bench-w{}", id)), pacer_(worker_.context()) {}

  ~Shard() {
    worker_.stop();  // no handler runs after this; then the clients (sockets) go
    clients_.clear();
  }

  void add(std::unique_ptr<JoinClient> client, Clock::time_point start_at) {
    clients_.push_back(std::move(client));
    start_at_.push_back(start_at);
  }

  void start() {
    worker_.start();
    worker_.post([this] { pace(); });
  }

  // Runs `f(client)` for every client on this shard's thread and counts down `done`.
  template <class F>
  void forEach(F f, std::latch& done) {
    worker_.post([this, f, &done] {
      for (auto& client : clients_) f(*client);
      done.count_down();
    });
  }

  // The join phase is over: no more starts; unsettled clients fail.
  void expire(std::latch& done) {
    worker_.post([this, &done] {
      stopped_ = true;
      pacer_.cancel();
      for (auto& client : clients_) client->expire();
      done.count_down();
    });
  }

  void stop() { worker_.stop(); }
  asio::io_context& context() { return worker_.context(); }
  std::chrono::microseconds maxLoopLag() const { return worker_.peekMaxLag(); }
  const std::vector<std::unique_ptr<JoinClient>>& clients() const { return clients_; }

 private:
  // Starts every client whose time has come, then sleeps until the next one's. Bounded: each
  // client is started once, and expire() ends it.
  void pace() {
    if (stopped_) return;
    const auto now = Clock::now();
    while (next_ < clients_.size() && start_at_[next_] <= now) clients_[next_++]->start();
    if (next_ == clients_.size()) return;
    pacer_.expires_at(start_at_[next_]);
    pacer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) pace();
    });
  }

  net::Worker worker_;
  asio::steady_timer pacer_;
  std::vector<std::unique_ptr<JoinClient>> clients_;
  std::vector<Clock::time_point> start_at_;
  std::size_t next_ = 0;
  bool stopped_ = false;  // on the worker thread only
};

Status validate(const ChatJoinOptions& o) {
  if (o.clients < 1 || o.clients > 1'000'000) return makeError("--clients: 1 to 1000000");
  if (!(o.rate > 0) || o.rate > 1'000'000) return makeError("--rate: above 0, at most 1000000/s");
  if (o.timeout.count() < 1) return makeError("--timeout: at least 1 s");
  if (o.messages < 0 || o.messages > 10'000) return makeError("--messages: 0 to 10000");
  if (o.threads < 1 || o.threads > 64) return makeError("--threads: 1 to 64");
  if (o.history < 0) return makeError("history: not negative");
  if (o.room.empty() || o.muc_domain.empty() || o.anon_domain.empty()) {
    return makeError("room, MUC domain and anonymous domain must not be empty");
  }
  return {};
}

}  // namespace

Result<ChatJoinReport> runChatJoinStorm(const ChatJoinOptions& options) {
  if (auto valid = validate(options); !valid) return valid.error();
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) return makeError("--host: an IP address is required (no name lookup): " + options.host);

  const auto fds = net::raiseFdLimit();
  if (fds.after < static_cast<std::uint64_t>(options.clients) + kSpareFds) {
    return makeError(fmt::format("RLIMIT_NOFILE is {} (hard {}): too low for {} clients",
                                 fds.after, fds.hard, options.clients));
  }

  Plan plan;
  plan.endpoint = tcp::endpoint(address, options.port);
  plan.stream_header = streamHeader(options.anon_domain);
  plan.room_jid = options.room + "@" + options.muc_domain;
  plan.history = options.history;

  std::vector<std::unique_ptr<Shard>> shards;
  for (int s = 0; s < options.threads; ++s) shards.push_back(std::make_unique<Shard>(s));
  // 20 ms lets every thread arm its pacer before the first start is due.
  const auto t0 = Clock::now() + std::chrono::milliseconds(20);
  const auto interval = std::chrono::duration<double>(1.0 / options.rate);
  for (int i = 0; i < options.clients; ++i) {
    auto& shard = *shards[static_cast<std::size_t>(i % options.threads)];
    const auto start_at = t0 + std::chrono::duration_cast<Clock::duration>(interval * i);
    shard.add(std::make_unique<JoinClient>(shard.context(), plan,
                                           fmt::format("{}{}", options.nick_prefix, i)),
              start_at);
  }

  ChatJoinReport report;
  report.clients = options.clients;
  const auto threads = static_cast<std::ptrdiff_t>(shards.size());

  // Join phase: every client joins or fails, or the timeout ends it.
  for (auto& shard : shards) shard->start();
  plan.settled.waitFor(options.clients, t0 + options.timeout);
  {
    std::latch expired(threads);
    for (auto& shard : shards) shard->expire(expired);
    expired.wait();
  }
  report.join_phase_s = seconds(std::max(plan.settled.last(), t0) - t0);

  // Message phase (optional): every joined client sends, then waits for the room's fan-out.
  std::atomic<int> joined_now{0};  // joined and still connected: they take part in messages
  {
    // Counted on the workers: a client's state belongs to its thread.
    std::latch counted(threads);
    for (auto& shard : shards) {
      shard->forEach(
          [&joined_now](JoinClient& c) {
            if (c.joined() && !c.droppedAfterJoin()) joined_now.fetch_add(1);
          },
          counted);
    }
    counted.wait();
  }
  const int joined = joined_now.load();
  if (options.messages > 0 && joined > 0) {
    const auto started = Clock::now();
    const auto expected = static_cast<std::uint64_t>(joined) * options.messages;
    std::latch sent(threads);
    for (auto& shard : shards) {
      shard->forEach([&](JoinClient& c) { c.sendMessages(options.messages, expected); }, sent);
    }
    sent.wait();
    plan.delivered.waitFor(joined, started + kMessageDrain);
    report.message_phase_s = seconds(Clock::now() - started);
  }

  // Close phase: every stream ends with </stream:stream>; sockets still open after the grace
  // period are cut when the workers stop.
  {
    std::latch closing(threads);
    for (auto& shard : shards) shard->forEach([](JoinClient& c) { c.close(); }, closing);
    closing.wait();
    plan.closed.waitFor(options.clients, Clock::now() + kCloseGrace);
  }
  for (auto& shard : shards) shard->stop();
  report.wall_s = seconds(Clock::now() - t0);

  // The workers have stopped: the clients can be read from this thread.
  std::vector<double> join_ms, connect_ms;
  double max_lag_ms = 0;
  for (const auto& shard : shards) {
    max_lag_ms = std::max(max_lag_ms, shard->maxLoopLag().count() / 1000.0);
    for (const auto& client : shard->clients()) {
      if (auto ms = client->joinMillis()) {
        ++report.joined;
        join_ms.push_back(*ms);
        connect_ms.push_back(*client->connectToJoinedMillis());
      } else {
        ++report.failed;
        ++report.failures[client->failure().empty() ? "unknown" : client->failure()];
      }
      if (client->droppedAfterJoin()) ++report.dropped_after_join;
      if (client->closedCleanly()) ++report.closed_cleanly;
      if (client->deliveredAll()) ++report.message_deliveries_complete;
      report.stanzas_received += client->stanzas();
      report.stanzas_received_join_phase += client->stanzasInJoinPhase();
      report.presences_received += client->presences();
      report.groupchat_received += client->groupchat();
      report.bytes_received += client->bytes();
      report.messages_sent += client->messagesSent();
    }
  }
  report.client_loop_lag_max_ms = max_lag_ms;
  report.join_ms = summarize(std::move(join_ms));
  report.connect_to_joined_ms = summarize(std::move(connect_ms));
  return report;
}

std::string formatReport(const ChatJoinOptions& o, const ChatJoinReport& r) {
  const double n = r.clients > 0 ? r.clients : 1;
  std::string out = fmt::format(
      "chat join storm: {} clients at {}/s to {}:{}, room {}@{}, {} thread(s)\n", r.clients,
      o.rate, o.host, o.port, o.room, o.muc_domain, o.threads);
  out += fmt::format("  clients joined / failed    {} / {}\n", r.joined, r.failed);
  out += fmt::format("  join latency (ms)          p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f}\n",
                     r.join_ms.p50, r.join_ms.p90, r.join_ms.p99, r.join_ms.max);
  out += fmt::format("  connect->joined (ms)       p50 {:.1f}  p99 {:.1f}\n",
                     r.connect_to_joined_ms.p50, r.connect_to_joined_ms.p99);
  out += fmt::format(
      "  received per client (mean) {:.1f} stanzas ({:.1f} presences), {:.0f} bytes; {:.1f} "
      "stanzas by the end of the join phase\n",
      r.stanzas_received / n, r.presences_received / n, r.bytes_received / n,
      r.stanzas_received_join_phase / n);
  if (o.messages > 0) {
    out += fmt::format(
        "  messages                   {} sent, {} live groupchat received, {} of {} clients got "
        "all ({:.2f} s)\n",
        r.messages_sent, r.groupchat_received, r.message_deliveries_complete, r.joined,
        r.message_phase_s);
  }
  out += fmt::format("  wall time                  {:.2f} s (join phase {:.2f} s)\n", r.wall_s,
                     r.join_phase_s);
  out += fmt::format("  closed cleanly             {}; dropped after join {}; client loop lag max "
                     "{:.1f} ms\n",
                     r.closed_cleanly, r.dropped_after_join, r.client_loop_lag_max_ms);
  for (const auto& [reason, count] : r.failures) {
    out += fmt::format("  failed: {} x {}\n", count, reason);
  }
  return out;
}

nlohmann::json reportJson(const ChatJoinOptions& o, const ChatJoinReport& r) {
  const double n = r.clients > 0 ? r.clients : 1;
  auto summary = [](const Summary& s) {
    return nlohmann::json{{"count", s.count}, {"min", s.min},   {"mean", s.mean}, {"p50", s.p50},
                          {"p90", s.p90},     {"p99", s.p99},   {"max", s.max}};
  };
  return nlohmann::json{
      {"options",
       {{"host", o.host},
        {"port", o.port},
        {"anon_domain", o.anon_domain},
        {"muc_domain", o.muc_domain},
        {"room", o.room},
        {"clients", o.clients},
        {"rate", o.rate},
        {"timeout_s", o.timeout.count()},
        {"messages", o.messages},
        {"threads", o.threads}}},
      {"clients", r.clients},
      {"joined", r.joined},
      {"failed", r.failed},
      {"dropped_after_join", r.dropped_after_join},
      {"closed_cleanly", r.closed_cleanly},
      {"join_ms", summary(r.join_ms)},
      {"connect_to_joined_ms", summary(r.connect_to_joined_ms)},
      {"stanzas_received", r.stanzas_received},
      {"stanzas_received_join_phase", r.stanzas_received_join_phase},
      {"presences_received", r.presences_received},
      {"groupchat_received", r.groupchat_received},
      {"bytes_received", r.bytes_received},
      {"stanzas_per_client", r.stanzas_received / n},
      {"bytes_per_client", r.bytes_received / n},
      {"messages_sent", r.messages_sent},
      {"message_deliveries_complete", r.message_deliveries_complete},
      {"join_phase_s", r.join_phase_s},
      {"message_phase_s", r.message_phase_s},
      {"wall_s", r.wall_s},
      {"client_loop_lag_max_ms", r.client_loop_lag_max_ms},
      {"failures", r.failures},
  };
}

}  // namespace throng::bench
