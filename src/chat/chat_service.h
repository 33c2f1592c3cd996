// ChatService: the chat's core. One ChatShard per worker holds that worker's bound streams;
// stanzas from clients arrive here (ClientStreamListener) and are answered or routed.
//
// What it does today: answers the server's own IQs (XEP-0199 ping, XEP-0030 disco, an empty
// RFC 6121 roster, vCard item-not-found), accepts presence without broadcasting it, and
// routes 1:1 messages and IQs between bound users wherever their worker is. Rooms (XEP-0045)
// are not served yet: stanzas to the MUC domain get service-unavailable.
//
// Threading: a shard is touched only on its worker. Routing to another worker is a posted,
// move-only closure. The session directory (full JID → worker) is the one shared structure:
// it changes on bind and unbind only and is read for 1:1 routing, never on a room's fan-out
// path, so a mutex there costs nothing that matters (docs/life-of-a-stanza.md).
#pragma once

#include "chat/account_directory.h"
#include "chat/chat_options.h"
#include "chat/client_stream.h"
#include "chat/stream_counters.h"

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
  ChatShard(ChatService& service, net::Worker& worker) : service_(service), worker_(worker) {}

  void onStreamBound(ClientStream& stream) override;
  void onClientStanza(ClientStream& stream, proto::XmlElement stanza) override;
  void onStreamUnbound(ClientStream& stream) override;

  // Delivers to a local stream by full JID; false if it is not (or no longer) here.
  bool deliver(const std::string& full_jid, const proto::XmlElement& stanza);
  net::Worker& worker() { return worker_; }
  std::size_t boundStreams() const { return streams_.size(); }
  StreamCounters& counters() { return counters_; }

 private:
  void handleServerIq(ClientStream& stream, const proto::XmlElement& iq);
  void route(ClientStream& stream, proto::XmlElement stanza, const proto::Jid& to);

  ChatService& service_;  // owns this
  net::Worker& worker_;   // non-owning: outlives the shard's use
  std::unordered_map<std::string, ClientStream*> streams_;  // full JID → stream (non-owning)
  StreamCounters counters_;
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

 private:
  ChatOptions options_;
  AccountDirectory accounts_;
  std::vector<std::unique_ptr<ChatShard>> shards_;  // allocated by this
  mutable std::mutex directory_mutex_;
  std::unordered_map<std::string, std::size_t> directory_;  // full JID → shard
};

}  // namespace throng::chat
