#include "chat/muc/muc_shard.h"

#include "chat/chat_service.h"
#include "chat/muc/room_persistence.h"
#include "chat/xmpp_namespaces.h"
#include "net/worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace throng::chat::muc {
namespace {

// The occupant count is pushed at most this often (docs/muc.md).
constexpr auto kOccupantCountPeriod = std::chrono::seconds(2);
// disco#items on the service lists at most this many public rooms (XEP-0045 §6.3 allows
// RSM paging; a live-event server has few rooms, so a bound is enough).
constexpr std::size_t kMaxListedRooms = 200;
// Rooms one stream may be in at once.
constexpr std::size_t kMaxRoomsPerStream = 32;

proto::XmlElement el(std::string_view name, std::string_view ns) {
  return proto::XmlElement(std::string(name), std::string(ns));
}

bool isErrorOrResult(const proto::XmlElement& stanza) {
  const auto type = stanza.attributeOr("type", "");
  return type == "error" || (stanza.name() == "iq" && type == "result");
}

proto::XmlElement errorFor(const proto::XmlElement& stanza, std::string_view type,
                           std::string_view condition, std::string_view text = {}) {
  auto reply = el(stanza.name(), kClientNs);
  reply.setAttribute("type", "error");
  if (const auto* id = stanza.attribute("id")) reply.setAttribute("id", *id);
  if (const auto* to = stanza.attribute("to")) reply.setAttribute("from", *to);
  auto error = el("error", kClientNs);
  error.setAttribute("type", std::string(type));
  error.addChild(el(condition, kStanzasNs));
  if (!text.empty()) {
    auto t = el("text", kStanzasNs);
    t.addText(std::string(text));
    error.addChild(std::move(t));
  }
  reply.addChild(std::move(error));
  return reply;
}

}  // namespace

MucShard::MucShard(ChatService& service, ChatShard& shard, std::size_t index)
    : service_(service), shard_(shard), index_(index) {}

MucShard::~MucShard() = default;

// ---------------------------------------------------------------------------------------------
// The client's worker

void MucShard::fromClient(ClientStream& stream, std::uint64_t serial, proto::XmlElement stanza,
                          const proto::Jid& to) {
  if (!to.hasLocal()) {
    serviceStanza(stream, stanza);
    return;
  }
  if (stanza.name() == "presence" && stanza.attribute("type") == nullptr) {
    // A bound on what one connection can make the rooms hold for it.
    auto joined = joined_.find(stream.jid().full());
    if (joined != joined_.end() && joined->second.size() >= kMaxRoomsPerStream &&
        std::find(joined->second.begin(), joined->second.end(), to.local()) == joined->second.end()) {
      stream.sendStanza(errorFor(stanza, "wait", "policy-violation", "in too many rooms"));
      return;
    }
  }
  Sender sender{StreamAddress{stream.jid().full(), index_, serial}, stream.jid(), stream.anonymous(),
                stream.remoteAddress()};
  auto& home = service_.shard(service_.homeShardOf(to.local())).muc();
  // Always posted, even when the home is this worker, so that a room sees its stanzas and
  // sends its fan-out in one order (room_environment.h).
  service_.shard(service_.homeShardOf(to.local())).worker().post(
      [&home, sender = std::move(sender), stanza = std::move(stanza), to]() mutable {
        home.roomStanza(std::move(sender), std::move(stanza), to);
      });
}

void MucShard::streamGone(const std::string& full_jid, std::uint64_t serial) {
  auto it = joined_.find(full_jid);
  if (it == joined_.end()) return;
  const auto rooms = std::move(it->second);
  joined_.erase(it);
  for (const auto& room : rooms) {
    removeLocal(room, full_jid);
    auto& home_shard = service_.shard(service_.homeShardOf(room));
    auto& home = home_shard.muc();
    home_shard.worker().post([&home, room, who = StreamAddress{full_jid, index_, serial}] {
      home.roomStreamGone(room, who);
    });
  }
}

void MucShard::serviceStanza(ClientStream& stream, const proto::XmlElement& stanza) {
  if (stanza.name() != "iq" || isErrorOrResult(stanza)) return;
  const auto type = stanza.attributeOr("type", "");
  auto result = el("iq", kClientNs);
  result.setAttribute("type", "result");
  if (const auto* id = stanza.attribute("id")) result.setAttribute("id", *id);
  result.setAttribute("from", service_.options().muc_domain);
  if (type == "get" && stanza.child("query", kDiscoInfoNs) != nullptr) {
    // XEP-0045 §6.2.
    auto query = el("query", kDiscoInfoNs);
    auto identity = el("identity", kDiscoInfoNs);
    identity.setAttribute("category", "conference");
    identity.setAttribute("type", "text");
    identity.setAttribute("name", "Chat rooms");
    query.addChild(std::move(identity));
    for (std::string_view feature : {kMucNs, kDiscoInfoNs, kDiscoItemsNs, kPingNs}) {
      auto f = el("feature", kDiscoInfoNs);
      f.setAttribute("var", std::string(feature));
      query.addChild(std::move(f));
    }
    result.addChild(std::move(query));
  } else if (type == "get" && stanza.child("query", kDiscoItemsNs) != nullptr) {
    // XEP-0045 §6.3: the public rooms.
    auto query = el("query", kDiscoItemsNs);
    for (const auto& [name, title] : service_.publicRooms(kMaxListedRooms)) {
      auto item = el("item", kDiscoItemsNs);
      item.setAttribute("jid", name + "@" + service_.options().muc_domain);
      item.setAttribute("name", title.empty() ? name : title);
      query.addChild(std::move(item));
    }
    result.addChild(std::move(query));
  } else if (type == "get" && stanza.child("ping", kPingNs) != nullptr) {
    // XEP-0199: the answer is the empty result.
  } else {
    stream.sendStanza(errorFor(stanza, "cancel", "service-unavailable"));
    return;
  }
  stream.sendStanza(result);
}

// ---------------------------------------------------------------------------------------------
// The home worker

Room* MucShard::findRoom(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

void MucShard::roomStanza(Sender sender, proto::XmlElement stanza, const proto::Jid& to) {
  const std::string& name = to.local();
  Room* room = findRoom(name);
  if (room == nullptr) {
    const bool join = stanza.name() == "presence" && !stanza.attribute("type") && to.hasResource();
    if (!join) {
      // XEP-0045 §6.4 / §7.4: nothing by that name.
      if (!isErrorOrResult(stanza) && stanza.attributeOr("type", "") != "unavailable") {
        stanza.removeAttribute("from");
        auto error = errorFor(stanza, "cancel", "item-not-found", "no such room");
        deliver(sender.address, {RoutedStanza::make(error, Delivery::kEssential)});
      }
      return;
    }
    // XEP-0045 §10.1: joining a room that does not exist creates it, locked, for its owner.
    if (sender.anonymous_user && !service_.options().muc.anonymous_may_create) {
      stanza.removeAttribute("from");
      auto error = errorFor(stanza, "cancel", "not-allowed", "anonymous users may not create rooms");
      deliver(sender.address, {RoutedStanza::make(error, Delivery::kEssential)});
      return;
    }
    auto created = std::make_unique<Room>(name, to.bare(), RoomConfig{}, *this,
                                          service_.options().muc);
    created->lockForCreation(sender.jid.bareString());
    room = created.get();
    rooms_.emplace(name, std::move(created));
    spdlog::info("muc: room {} created by {}", to.bareString(), sender.jid.bareString());
  }
  const std::string nick = to.resource();
  stanza.removeAttribute("from");
  if (stanza.name() == "presence") {
    room->onPresence(sender, stanza, nick);
  } else if (stanza.name() == "message") {
    room->onMessage(sender, stanza, nick);
  } else if (stanza.name() == "iq") {
    room->onIq(sender, stanza, nick);
  }
  service_.setPublicRoom(name, room->config().name,
                         room->config().public_room && !room->locked() && !room->finished());
  removeFinishedRoom(name);
}

void MucShard::roomStreamGone(const std::string& room_name, const StreamAddress& who) {
  if (Room* room = findRoom(room_name)) {
    room->onStreamGone(who);
    removeFinishedRoom(room_name);
  }
}

void MucShard::removeFinishedRoom(const std::string& name) {
  auto it = rooms_.find(name);
  if (it == rooms_.end() || !it->second->finished()) return;
  spdlog::info("muc: room {} closed", it->second->jid().bareString());
  service_.setPublicRoom(name, "", false);
  rooms_.erase(it);
}

void MucShard::ensureEventRoom(const std::string& name, const std::string& title) {
  if (findRoom(name) != nullptr) return;
  auto jid = proto::Jid::make(name, service_.options().muc_domain, "");
  if (!jid) {
    spdlog::warn("muc: event slug '{}' is not a valid room name", name);
    return;
  }
  auto room = std::make_unique<Room>(
      name, *jid, RoomConfig::forEvent(title, service_.options().muc.event_presence_broadcast),
      *this, service_.options().muc);
  room->save();
  service_.setPublicRoom(name, title, true);
  rooms_.emplace(name, std::move(room));
}

void MucShard::restoreRoom(const LoadedRoom& loaded) {
  auto jid = proto::Jid::make(loaded.room.name, service_.options().muc_domain, "");
  auto config = configFromJson(loaded.room.config_json);
  if (!jid || !config) {
    spdlog::warn("muc: stored room '{}' is unreadable and was skipped", loaded.room.name);
    return;
  }
  auto room = std::make_unique<Room>(loaded.room.name, *jid, std::move(*config), *this,
                                     service_.options().muc);
  room->restore(loaded.room.subject, loaded.room.subject_by, loaded.affiliations,
                loaded.address_bans, loaded.recent, loaded.recent_holds_everything);
  service_.setPublicRoom(loaded.room.name, room->config().name, room->config().public_room);
  rooms_[loaded.room.name] = std::move(room);
}

void MucShard::start() {
  count_timer_ = std::make_unique<boost::asio::steady_timer>(shard_.worker().context());
  wake_timer_ = std::make_unique<boost::asio::steady_timer>(shard_.worker().context());
  armTimer();
  armWakeTimer();
}

void MucShard::stop() {
  if (count_timer_) count_timer_->cancel();
  if (wake_timer_) wake_timer_->cancel();
  wakes_.clear();
}

void MucShard::armTimer() {
  count_timer_->expires_after(kOccupantCountPeriod);
  count_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    std::uint64_t occupants = 0;
    for (auto& [name, room] : rooms_) {
      room->pushOccupantCount();
      occupants += room->occupantCount();
    }
    shard_.counters().muc_occupants.store(occupants, std::memory_order_relaxed);
    armTimer();
  });
}

// ---------------------------------------------------------------------------------------------
// RoomEnvironment: each request is posted to the worker that owns the stream(s)

void MucShard::deliver(const StreamAddress& to, std::vector<RoutedStanza> stanzas) {
  auto& target = service_.shard(to.shard);
  target.worker().post([&muc = target.muc(), to, stanzas = std::move(stanzas)] {
    muc.deliverLocal(to, stanzas);
  });
}

void MucShard::admit(const std::string& room, const StreamAddress& who, bool moderator,
                     std::vector<RoutedStanza> join_sequence) {
  auto& target = service_.shard(who.shard);
  target.worker().post([&muc = target.muc(), room, who, moderator,
                        sequence = std::move(join_sequence)] {
    muc.admitLocal(room, who, moderator, sequence);
  });
}

void MucShard::dismiss(const std::string& room, const StreamAddress& who,
                       std::vector<RoutedStanza> last) {
  auto& target = service_.shard(who.shard);
  target.worker().post([&muc = target.muc(), room, who, last = std::move(last)] {
    muc.dismissLocal(room, who, last);
  });
}

void MucShard::setModerator(const std::string& room, const StreamAddress& who, bool moderator) {
  auto& target = service_.shard(who.shard);
  target.worker().post([&muc = target.muc(), room, who, moderator] {
    muc.setLocalModerator(room, who, moderator);
  });
}

void MucShard::broadcast(const std::string& room, RoutedStanza for_all,
                         std::optional<RoutedStanza> for_moderators,
                         std::optional<StreamAddress> except) {
  // One post per worker; the stanza's bytes are shared, never copied (design.md §4 step 4).
  for (std::size_t i = 0; i < service_.shardCount(); ++i) {
    auto& target = service_.shard(i);
    target.worker().post([&muc = target.muc(), room, for_all, for_moderators, except] {
      muc.fanOut(room, for_all, for_moderators, except, Audience::kEveryone);
    });
  }
}

void MucShard::broadcastTo(const std::string& room, RoutedStanza stanza, Audience audience,
                           std::optional<StreamAddress> except) {
  for (std::size_t i = 0; i < service_.shardCount(); ++i) {
    auto& target = service_.shard(i);
    target.worker().post([&muc = target.muc(), room, stanza, audience, except] {
      muc.fanOut(room, stanza, std::nullopt, except, audience);
    });
  }
}

template <class F>
void MucShard::postHere(F f) {
  shard_.worker().post(std::move(f));
}

void MucShard::archive(const std::string& room, ArchivedMessage message,
                       std::function<void(Status)> done) {
  shard_.counters().muc_messages.fetch_add(1, std::memory_order_relaxed);
  auto* persistence = service_.roomPersistence();
  if (persistence == nullptr) {
    postHere([done = std::move(done)] { done(Status{}); });  // no storage configured (tests)
    return;
  }
  // The completion runs on the storage thread after the group commit; the room hears of it
  // on its own worker, in commit order (the storage calls completions in submission order,
  // and posts from one thread to one worker keep their order).
  persistence->archive(room, message, [this, done = std::move(done)](Status status) mutable {
    postHere([done = std::move(done), status = std::move(status)]() mutable { done(std::move(status)); });
  });
}

void MucShard::queryArchive(const std::string& room, MamQuery query,
                            std::optional<std::chrono::system_clock::time_point> visible_at_most,
                            std::function<void(Result<ArchivePage>)> done) {
  auto* persistence = service_.roomPersistence();
  if (persistence == nullptr) {
    postHere([done = std::move(done)] { done(ArchivePage{}); });
    return;
  }
  persistence->query(room, query, visible_at_most,
                     [this, done = std::move(done)](Result<ArchivePage> page) mutable {
                       postHere([done = std::move(done), page = std::move(page)]() mutable {
                         done(std::move(page));
                       });
                     });
}

void MucShard::retractArchived(const std::string& room, std::string stanza_id,
                               std::optional<std::string> required_occupant_id,
                               std::function<std::string(const ArchivedMessage& original)> make_tombstone,
                               std::function<void(Result<std::optional<ArchivedMessage>>)> done) {
  auto* persistence = service_.roomPersistence();
  if (persistence == nullptr) {
    postHere([done = std::move(done)] { done(std::optional<ArchivedMessage>()); });
    return;
  }
  persistence->retract(room, stanza_id, std::move(required_occupant_id), std::move(make_tombstone),
                       [this, done = std::move(done)](Result<std::optional<ArchivedMessage>> r) mutable {
                         postHere([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
                       });
}

void MucShard::logModeration(const std::string& room, ModerationRecord record) {
  spdlog::info("muc: room {}: {} by {} on '{}'", room, record.action,
               record.actor.empty() ? std::string("the room") : record.actor, record.target);
  if (auto* persistence = service_.roomPersistence()) persistence->logModeration(room, record);
}

void MucShard::saveAddressBan(const std::string& room, const std::string& address,
                              const std::string& reason) {
  if (auto* persistence = service_.roomPersistence()) persistence->saveAddressBan(room, address, reason);
}

void MucShard::deleteAddressBan(const std::string& room, const std::string& address) {
  if (auto* persistence = service_.roomPersistence()) persistence->deleteAddressBan(room, address);
}

void MucShard::wakeAt(const std::string& room, std::chrono::system_clock::time_point when) {
  const bool earliest = wakes_.empty() || when < wakes_.begin()->first;
  wakes_.emplace(when, room);
  if (earliest) armWakeTimer();
}

void MucShard::armWakeTimer() {
  if (!wake_timer_ || wakes_.empty()) return;
  const auto delay = wakes_.begin()->first - std::chrono::system_clock::now();
  wake_timer_->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::max(delay, std::chrono::system_clock::duration::zero())));
  wake_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // re-armed for an earlier wake, or stopping
    const auto now = std::chrono::system_clock::now();
    while (!wakes_.empty() && wakes_.begin()->first <= now) {
      const std::string room = wakes_.begin()->second;
      wakes_.erase(wakes_.begin());
      if (Room* r = findRoom(room)) r->onWake(now);
    }
    armWakeTimer();
  });
}

void MucShard::saveRoom(const StoredRoom& room) {
  if (auto* persistence = service_.roomPersistence()) persistence->saveRoom(room);
}

void MucShard::saveAffiliation(const std::string& room, const std::string& bare_jid,
                               Affiliation affiliation, const std::string& reason) {
  if (auto* persistence = service_.roomPersistence()) {
    persistence->saveAffiliation(room, bare_jid, affiliation, reason);
  }
}

void MucShard::deleteRoom(const std::string& room) {
  if (auto* persistence = service_.roomPersistence()) persistence->deleteRoom(room);
}

std::chrono::system_clock::time_point MucShard::now() { return std::chrono::system_clock::now(); }

std::string MucShard::occupantId(const std::string& room, const std::string& bare_jid) {
  return service_.occupantId(room, bare_jid);
}

std::string MucShard::randomId() { return ChatService::randomId(); }

std::optional<RoomStreamState> MucShard::streamState(const std::string& room) {
  return service_.streamState(room);
}

// ---------------------------------------------------------------------------------------------
// Fan-out side: this worker's own streams

void MucShard::fanOut(const std::string& room, const RoutedStanza& for_all,
                      const std::optional<RoutedStanza>& for_moderators,
                      const std::optional<StreamAddress>& except, Audience audience) {
  auto it = local_.find(room);
  if (it == local_.end()) return;
  // By index, and with removals of emptied tables deferred: a send that ends a stream
  // synchronously must not invalidate what this loop walks.
  in_fan_out_ = true;
  auto& members = it->second.members;
  std::uint64_t sent = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& member = members[i];
    if (except && except->serial == member.serial && except->shard == index_) continue;
    if ((audience == Audience::kModerators && !member.moderator) ||
        (audience == Audience::kNonModerators && member.moderator)) {
      continue;
    }
    // Fan-out may wait a little to share a write with the next stanzas (write_pacer.h).
    member.stream->sendRouted(member.moderator && for_moderators ? *for_moderators : for_all,
                              Pace::kCoalesced);
    ++sent;
  }
  // One add per fan-out, not per recipient: the counter is shared with the control thread.
  shard_.counters().muc_deliveries.fetch_add(sent, std::memory_order_relaxed);
  in_fan_out_ = false;
  if (members.empty()) local_.erase(it);
}

void MucShard::admitLocal(const std::string& room, const StreamAddress& who, bool moderator,
                          const std::vector<RoutedStanza>& join_sequence) {
  ClientStream* stream = shard_.findStream(who.full_jid, who.serial);
  if (stream == nullptr) {
    // The stream ended while its join was on the way: the room must forget it too.
    auto& home_shard = service_.shard(service_.homeShardOf(room));
    home_shard.worker().post([&home = home_shard.muc(), room, who] { home.roomStreamGone(room, who); });
    return;
  }
  for (const auto& stanza : join_sequence) stream->sendRouted(stanza, Pace::kAtOnce);
  auto& local = local_[room];
  if (local.index.count(who.full_jid) == 0) {
    local.index[who.full_jid] = local.members.size();
    local.members.push_back(LocalMember{stream, who.serial, moderator});
    joined_[who.full_jid].push_back(room);
  }
}

void MucShard::dismissLocal(const std::string& room, const StreamAddress& who,
                            const std::vector<RoutedStanza>& last) {
  removeLocal(room, who.full_jid);
  if (auto it = joined_.find(who.full_jid); it != joined_.end()) {
    std::erase(it->second, room);
    if (it->second.empty()) joined_.erase(it);
  }
  deliverLocal(who, last);
}

void MucShard::removeLocal(const std::string& room, const std::string& full_jid) {
  auto it = local_.find(room);
  if (it == local_.end()) return;
  auto& local = it->second;
  auto pos = local.index.find(full_jid);
  if (pos == local.index.end()) return;
  // Swap-remove: O(1), order among occupants does not matter.
  const std::size_t i = pos->second;
  local.index.erase(pos);
  if (i + 1 != local.members.size()) {
    local.members[i] = local.members.back();
    local.index[local.members[i].stream->jid().full()] = i;
  }
  local.members.pop_back();
  if (local.members.empty() && !in_fan_out_) local_.erase(it);
}

void MucShard::setLocalModerator(const std::string& room, const StreamAddress& who, bool moderator) {
  auto it = local_.find(room);
  if (it == local_.end()) return;
  auto pos = it->second.index.find(who.full_jid);
  if (pos != it->second.index.end()) it->second.members[pos->second].moderator = moderator;
}

void MucShard::deliverLocal(const StreamAddress& to, const std::vector<RoutedStanza>& stanzas) {
  ClientStream* stream = shard_.findStream(to.full_jid, to.serial);
  if (stream == nullptr) return;  // gone: nothing to tell it
  for (const auto& stanza : stanzas) stream->sendRouted(stanza, Pace::kAtOnce);
}

}  // namespace throng::chat::muc
