#include "chat/chat_service.h"

#include "base/base64.h"
#include "base/random.h"
#include "chat/muc/room_persistence.h"
#include "chat/xmpp_namespaces.h"
#include "net/worker.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <functional>

namespace throng::chat {
namespace {


proto::XmlElement element(std::string_view name, std::string_view ns) {
  return proto::XmlElement(std::string(name), std::string(ns));
}

// An error answer to `stanza` (RFC 6120 §8.3): addresses swapped, the original id kept.
proto::XmlElement errorReply(const proto::XmlElement& stanza, std::string_view type,
                             std::string_view condition) {
  proto::XmlElement reply(stanza.name(), std::string(kClientNs));
  reply.setAttribute("type", "error");
  if (const auto* id = stanza.attribute("id")) reply.setAttribute("id", *id);
  if (const auto* to = stanza.attribute("to")) reply.setAttribute("from", *to);
  if (const auto* from = stanza.attribute("from")) reply.setAttribute("to", *from);
  auto error = element("error", kClientNs);
  error.setAttribute("type", std::string(type));
  error.addChild(element(condition, kStanzasNs));
  reply.addChild(std::move(error));
  return reply;
}

proto::XmlElement iqResult(const proto::XmlElement& iq, std::string_view from) {
  proto::XmlElement reply("iq", std::string(kClientNs));
  reply.setAttribute("type", "result");
  if (const auto* id = iq.attribute("id")) reply.setAttribute("id", *id);
  reply.setAttribute("from", std::string(from));
  if (const auto* to = iq.attribute("from")) reply.setAttribute("to", *to);
  return reply;
}

bool isErrorOrResult(const proto::XmlElement& stanza) {
  const auto type = stanza.attributeOr("type", "");
  return type == "error" || (stanza.name() == "iq" && type == "result");
}

}  // namespace

ChatService::ChatService(ChatOptions options, std::vector<net::Worker*> workers)
    : options_(std::move(options)),
      occupant_id_secret_(options_.occupant_id_secret.empty() ? randomHexToken(32)
                                                              : options_.occupant_id_secret) {
  for (auto* worker : workers) {
    shards_.push_back(std::make_unique<ChatShard>(*this, *worker, shards_.size()));
  }
}

std::size_t ChatService::homeShardOf(std::string_view room) const {
  return std::hash<std::string_view>{}(room) % shards_.size();
}

void ChatService::startRooms() {
  for (auto& shard : shards_) {
    ChatShard* s = shard.get();
    s->worker().post([s] { s->muc().start(); });
  }
}

void ChatService::stopRooms() {
  for (auto& shard : shards_) {
    ChatShard* s = shard.get();
    s->worker().post([s] { s->muc().stop(); });
  }
}

void ChatService::releaseWorkerResources() {
  for (auto& shard : shards_) shard->muc().releaseTimer();
}

void ChatService::ensureEventRoom(const std::string& name, const std::string& title) {
  auto& home = shard(homeShardOf(name));
  home.worker().post([&home, name, title] { home.muc().ensureEventRoom(name, title); });
}

Status ChatService::restoreRooms(muc::RoomPersistence& persistence) {
  room_persistence_ = &persistence;
  auto rooms = persistence.loadAll(muc::kRecentArchiveSize);
  if (!rooms) return rooms.error();
  for (auto& loaded : *rooms) {
    auto& home = shard(homeShardOf(loaded.room.name));
    home.worker().post([&home, loaded = std::move(loaded)] { home.muc().restoreRoom(loaded); });
  }
  return {};
}

std::string ChatService::occupantId(std::string_view room, std::string_view bare_jid) const {
  std::string input;
  input.reserve(room.size() + 1 + bare_jid.size());
  input.append(room).push_back('\0');
  input.append(bare_jid);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), occupant_id_secret_.data(), static_cast<int>(occupant_id_secret_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
  // 128 bits are plenty to keep occupants apart and reveal nothing of the JID.
  return base64Encode(std::string_view(reinterpret_cast<const char*>(mac), 16));
}

void ChatService::setPublicRoom(const std::string& name, const std::string& title, bool listed) {
  std::lock_guard lock(public_rooms_mutex_);
  if (listed) {
    public_rooms_[name] = title;
  } else {
    public_rooms_.erase(name);
  }
}

std::vector<std::pair<std::string, std::string>> ChatService::publicRooms(std::size_t limit) const {
  std::lock_guard lock(public_rooms_mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : public_rooms_) {
    if (out.size() == limit) break;
    out.emplace_back(entry);
  }
  return out;
}

std::string ChatService::randomId() { return randomHexToken(16); }

ChatShard& ChatService::currentShard() {
  auto* current = net::Worker::current();
  for (auto& shard : shards_) {
    if (&shard->worker() == current) return *shard;
  }
  // Only workers create chat connections; anything else is a wiring bug.
  assert(false && "ChatService::currentShard called off the workers");
  return *shards_.front();
}

std::size_t ChatService::shardIndexOf(const ChatShard& shard) const {
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (shards_[i].get() == &shard) return i;
  }
  return 0;
}

void ChatService::registerStream(const std::string& full_jid, std::size_t shard) {
  std::lock_guard lock(directory_mutex_);
  directory_[full_jid] = shard;
}

void ChatService::unregisterStream(const std::string& full_jid) {
  std::lock_guard lock(directory_mutex_);
  directory_.erase(full_jid);
}

std::vector<std::pair<std::string, std::size_t>> ChatService::findStreams(
    const proto::Jid& to) const {
  std::vector<std::pair<std::string, std::size_t>> out;
  std::lock_guard lock(directory_mutex_);
  if (to.hasResource()) {
    if (auto it = directory_.find(to.full()); it != directory_.end()) out.emplace_back(*it);
    return out;
  }
  // A bare JID reaches every resource of the account (RFC 6121 §8.5.2.1.1, simplified: no
  // priorities yet). The directory is small (bound users), and this is not the room path.
  const std::string prefix = to.bareString() + "/";
  for (const auto& entry : directory_) {
    if (entry.first.starts_with(prefix)) out.emplace_back(entry);
  }
  return out;
}

void ChatShard::onStreamBound(ClientStream& stream) {
  streams_[stream.jid().full()] = LocalStream{&stream, next_serial_++};
  service_.registerStream(stream.jid().full(), service_.shardIndexOf(*this));
}

void ChatShard::onStreamUnbound(ClientStream& stream) {
  const auto full = stream.jid().full();
  if (auto it = streams_.find(full); it != streams_.end() && it->second.stream == &stream) {
    const auto serial = it->second.serial;
    streams_.erase(it);
    service_.unregisterStream(full);
    muc_.streamGone(full, serial);
  }
}

ClientStream* ChatShard::findStream(const std::string& full_jid, std::uint64_t serial) {
  auto it = streams_.find(full_jid);
  if (it == streams_.end() || (serial != 0 && it->second.serial != serial)) return nullptr;
  return it->second.stream;
}

bool ChatShard::deliver(const std::string& full_jid, const proto::XmlElement& stanza) {
  auto* stream = findStream(full_jid);
  if (stream == nullptr) return false;
  stream->sendStanza(stanza);
  return true;
}

void ChatShard::onClientStanza(ClientStream& stream, proto::XmlElement stanza) {
  const auto& options = service_.options();
  const std::string to_text(stanza.attributeOr("to", ""));
  if (to_text.empty()) {
    // No 'to': addressed to the user's own account or the server (RFC 6120 §10.3).
    if (stanza.name() == "iq") handleServerIq(stream, stanza);
    return;  // initial presence and messages to self are accepted and not broadcast (yet)
  }
  auto to = proto::Jid::parse(to_text);
  if (!to) {
    if (!isErrorOrResult(stanza)) stream.sendStanza(errorReply(stanza, "modify", "jid-malformed"));
    return;
  }
  if (!to->hasLocal() && (to->domain() == options.domain || to->domain() == options.anonymous_domain)) {
    if (stanza.name() == "iq") handleServerIq(stream, stanza);
    return;
  }
  if (to->domain() == options.muc_domain) {
    auto it = streams_.find(stream.jid().full());
    if (it == streams_.end()) return;  // unbound meanwhile
    muc_.fromClient(stream, it->second.serial, std::move(stanza), *to);
    return;
  }
  if (to->domain() == options.domain || to->domain() == options.anonymous_domain) {
    if (stanza.name() == "iq" && !to->hasResource()) {
      handleAccountIq(stream, stanza, *to);
      return;
    }
    route(stream, std::move(stanza), *to);
    return;
  }
  // No server-to-server federation: a live event's chat is self-contained.
  if (!isErrorOrResult(stanza)) stream.sendStanza(errorReply(stanza, "cancel", "remote-server-not-found"));
}

void ChatShard::route(ClientStream& stream, proto::XmlElement stanza, const proto::Jid& to) {
  auto targets = service_.findStreams(to);
  if (targets.empty()) {
    // RFC 6121 §8.5.2.2 / §8.5.3.2: no available resource; throng keeps no offline storage.
    if (!isErrorOrResult(stanza) && stanza.name() != "presence") {
      stream.sendStanza(errorReply(stanza, "cancel", "service-unavailable"));
    }
    return;
  }
  for (auto& [full, shard_index] : targets) {
    auto& target = service_.shard(shard_index);
    if (&target == this) {
      deliver(full, stanza);
      continue;
    }
    // Another worker owns that stream: hand it a copy of the stanza.
    target.worker().post([&target, full = full, copy = stanza] { target.deliver(full, copy); });
  }
}

void ChatShard::handleAccountIq(ClientStream& stream, const proto::XmlElement& iq,
                                const proto::Jid& account) {
  // RFC 6121 §8.5.2.1.3 (and §8.5.2.2.3): an IQ to a bare JID is answered by the server on
  // the account's behalf, never delivered to the account's resources.
  const auto type = iq.attributeOr("type", "");
  if (type == "result" || type == "error") return;
  if (type == "get" && iq.child("query", kDiscoInfoNs) != nullptr) {
    // XEP-0030 §3.1: the account's identity.
    auto reply = iqResult(iq, account.bareString());
    auto query = element("query", kDiscoInfoNs);
    auto identity = element("identity", kDiscoInfoNs);
    identity.setAttribute("category", "account");
    identity.setAttribute("type", account.domain() == service_.options().anonymous_domain
                                      ? "anonymous"
                                      : "registered");
    query.addChild(std::move(identity));
    auto feature = element("feature", kDiscoInfoNs);
    feature.setAttribute("var", std::string(kDiscoInfoNs));
    query.addChild(std::move(feature));
    reply.addChild(std::move(query));
    stream.sendStanza(reply);
    return;
  }
  // No personal storage (PEP, private XML, vCards): nothing answers these.
  stream.sendStanza(errorReply(iq, "cancel", "service-unavailable"));
}

void ChatShard::handleServerIq(ClientStream& stream, const proto::XmlElement& iq) {
  const auto type = iq.attributeOr("type", "");
  if (type == "result" || type == "error") return;
  const std::string server = stream.jid().domain();
  if (type == "get" && iq.child("ping", kPingNs) != nullptr) {
    stream.sendStanza(iqResult(iq, server));  // XEP-0199 §4.2
    return;
  }
  if (type == "set" && iq.child("session", kSessionNs) != nullptr) {
    // RFC 3921 §3 session establishment: a no-op since RFC 6121 (Appendix E), but clients
    // built on Strophe (ConverseJS) send it even when the feature says <optional/>.
    stream.sendStanza(iqResult(iq, server));
    return;
  }
  if (type == "get" && iq.child("query", kDiscoInfoNs) != nullptr) {
    auto reply = iqResult(iq, server);
    auto query = element("query", kDiscoInfoNs);
    auto identity = element("identity", kDiscoInfoNs);
    identity.setAttribute("category", "server");
    identity.setAttribute("type", "im");
    identity.setAttribute("name", "throng");
    query.addChild(std::move(identity));
    for (std::string_view feature : {kDiscoInfoNs, kDiscoItemsNs, kPingNs}) {
      auto f = element("feature", kDiscoInfoNs);
      f.setAttribute("var", std::string(feature));
      query.addChild(std::move(f));
    }
    reply.addChild(std::move(query));
    stream.sendStanza(reply);
    return;
  }
  if (type == "get" && iq.child("query", kDiscoItemsNs) != nullptr) {
    // The MUC service is listed so clients can find it (XEP-0045 §6.1).
    auto reply = iqResult(iq, server);
    auto query = element("query", kDiscoItemsNs);
    auto item = element("item", kDiscoItemsNs);
    item.setAttribute("jid", service_.options().muc_domain);
    item.setAttribute("name", "Chat rooms");
    query.addChild(std::move(item));
    reply.addChild(std::move(query));
    stream.sendStanza(reply);
    return;
  }
  if (type == "get" && iq.child("query", kRosterNs) != nullptr) {
    // No contact lists at a live event: an empty roster (RFC 6121 §2.1.3).
    auto reply = iqResult(iq, server);
    reply.addChild(element("query", kRosterNs));
    stream.sendStanza(reply);
    return;
  }
  if (type == "get" && iq.child("vCard", kVcardNs) != nullptr) {
    // design.md §2: no avatars fetched from the server; the web UI draws initials.
    stream.sendStanza(errorReply(iq, "cancel", "item-not-found"));
    return;
  }
  // RFC 6120 §8.4: an IQ nobody handles.
  stream.sendStanza(errorReply(iq, "cancel", "service-unavailable"));
}

}  // namespace throng::chat
