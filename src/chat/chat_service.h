// ChatService: the chat's core. One ChatShard per worker holds that worker's bound streams;
// stanzas from clients arrive here (ClientStreamListener) and are answered or routed.
//
// It answers the server's own IQs (XEP-0199 ping, XEP-0030 disco, an empty RFC 6121 roster,
// vCard item-not-found), accepts presence without broadcasting it, routes 1:1 messages and
// IQs between bound users wherever their worker is, and hands stanzas for the MUC domain to
// the rooms (muc/muc_shard.h: each room lives on a home worker chosen by its name's hash).
//
// Threading: a shard is touched only on its worker. Routing to another worker is a posted,
// move-only closure. The session directory (full JID → worker) is the one shared structure:
// it changes on bind and unbind only and is read for 1:1 routing, never on a room's fan-out
// path, so a mutex there costs nothing that matters (docs/life-of-a-stanza.md).
#pragma once

#include "chat/account_directory.h"
#include "chat/chat_options.h"
#include "chat/client_stream.h"
#include "chat/muc/muc_shard.h"
#include "chat/stream_counters.h"

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace throng::net {
class Worker;
}

namespace throng::chat {

class ChatService;

class ChatShard final : public ClientStreamListener {
 public:
  ChatShard(ChatService& service, net::Worker& worker, std::size_t index)
      : service_(service), worker_(worker), muc_(service, *this, index) {}

  void onStreamBound(ClientStream& stream) override;
  void onClientStanza(ClientStream& stream, proto::XmlElement stanza) override;
  void onStreamUnbound(ClientStream& stream) override;

  // Delivers to a local stream by full JID; false if it is not (or no longer) here.
  bool deliver(const std::string& full_jid, const proto::XmlElement& stanza);
  // The local stream bound as `full_jid` with that serial (0: any), or nullptr.
  ClientStream* findStream(const std::string& full_jid, std::uint64_t serial = 0);
  net::Worker& worker() { return worker_; }
  muc::MucShard& muc() { return muc_; }
  std::size_t boundStreams() const { return streams_.size(); }
  StreamCounters& counters() { return counters_; }

 private:
  void handleServerIq(ClientStream& stream, const proto::XmlElement& iq);
  void handleAccountIq(ClientStream& stream, const proto::XmlElement& iq, const proto::Jid& account);
  void route(ClientStream& stream, proto::XmlElement stanza, const proto::Jid& to);

  struct LocalStream {
    ClientStream* stream;  // non-owning: erased when it unbinds
    std::uint64_t serial;  // tells a reconnection that reuses the full JID apart
  };

  ChatService& service_;  // owns this
  net::Worker& worker_;   // non-owning: outlives the shard's use
  std::unordered_map<std::string, LocalStream> streams_;  // full JID → stream
  std::uint64_t next_serial_ = 1;
  StreamCounters counters_;
  muc::MucShard muc_;
};

class ChatService {
 public:
  // One shard per worker, in the order given. Non-owning: workers outlive their use here.
  ChatService(ChatOptions options, std::vector<net::Worker*> workers);

  const ChatOptions& options() const { return options_; }
  AccountDirectory& accounts() { return accounts_; }
  // The shard of the worker running the caller (the one that accepted the connection).
  ChatShard& currentShard();
  ChatShard& shard(std::size_t i) { return *shards_.at(i); }
  std::size_t shardCount() const { return shards_.size(); }

  // Random ids for stream ids, nonces, anonymous names and resources (128 bits, hex).
  static std::string randomId();

  // Directory of bound full JIDs → shard index.
  void registerStream(const std::string& full_jid, std::size_t shard);
  void unregisterStream(const std::string& full_jid);
  std::vector<std::pair<std::string, std::size_t>> findStreams(const proto::Jid& to) const;
  std::size_t shardIndexOf(const ChatShard& shard) const;

  // Rooms (XEP-0045).
  // The worker that is home to the room named `room` (its localpart).
  std::size_t homeShardOf(std::string_view room) const;
  // Where rooms read the state of the event stream named like them (the status push,
  // docs/muc.md). Set before startRooms(); called on the workers, so it must be thread-safe.
  using StreamStateSource =
      std::function<std::optional<muc::RoomStreamState>(const std::string& room)>;
  void setStreamStateSource(StreamStateSource source) { stream_state_ = std::move(source); }
  std::optional<muc::RoomStreamState> streamState(const std::string& room) const {
    return stream_state_ ? stream_state_(room) : std::nullopt;
  }
  // Starts/stops the rooms' timers on every worker (posted; call once workers run).
  void startRooms();
  void stopRooms();
  // Destroys what the rooms hold on the workers' io_contexts (timers). Call after the workers'
  // threads have stopped and before the io_contexts are destroyed.
  void releaseWorkerResources();
  // Creates a live event's room on its home worker unless it exists (any thread).
  void ensureEventRoom(const std::string& name, const std::string& title);
  // Persistent rooms: loads them from, and saves them to, `persistence` (startup; blocking).
  Status restoreRooms(muc::RoomPersistence& persistence);
  muc::RoomPersistence* roomPersistence() { return room_persistence_; }
  // XEP-0421 occupant id: HMAC of the room and real bare JID under a per-process secret.
  std::string occupantId(std::string_view room, std::string_view bare_jid) const;
  // The directory of public rooms for disco#items (any thread; changes are rare).
  void setPublicRoom(const std::string& name, const std::string& title, bool listed);
  std::vector<std::pair<std::string, std::string>> publicRooms(std::size_t limit) const;

 private:
  StreamStateSource stream_state_;
  ChatOptions options_;
  AccountDirectory accounts_;
  std::vector<std::unique_ptr<ChatShard>> shards_;  // allocated by this
  mutable std::mutex directory_mutex_;
  std::unordered_map<std::string, std::size_t> directory_;  // full JID → shard
  muc::RoomPersistence* room_persistence_ = nullptr;  // non-owning; null: rooms not stored
  std::string occupant_id_secret_;
  mutable std::mutex public_rooms_mutex_;
  std::map<std::string, std::string> public_rooms_;  // name → title
};

}  // namespace throng::chat
