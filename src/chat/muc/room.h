// Room: one multi-user chat room (XEP-0045), living on its home worker. Every stanza for the
// room is handled here, in arrival order: the home worker is what orders a room's messages
// (design.md §4). A message is serialized once (RoutedStanza) and handed to every worker's
// fan-out through the RoomEnvironment; the room never touches a socket.
//
// Built for one room with a crowd:
//  - presence is broadcast only for the roles in muc#roomconfig_presencebroadcast, so in an
//    event room (visitors not broadcast) a viewer's join or leave costs O(1) stanzas to others;
//  - each occupant's presence is kept pre-serialized, so a join replays the broadcast
//    occupants' presences, the history ring and the subject without serializing anything;
//  - the occupant count is pushed at most every 2 s (pushOccupantCount(), docs/muc.md) rather
//    than implied by N presences;
//  - bodyless groupchat (chat states) is dropped above a size limit.
//
// Archive and moderation (room_messages.cpp, docs/muc.md): a message with a body is committed
// to the archive (XEP-0313) before it is broadcast, so what anyone saw is never lost; the
// newest part of the archive is kept in memory (RecentArchive) for joiners' MAM queries.
// Moderators retract messages (XEP-0425), authors retract (XEP-0424) and correct (XEP-0308)
// their own; slow mode (XEP-0500), a word filter and a moderation delay are room options.
#pragma once

#include "chat/muc/history.h"
#include "chat/muc/recent_archive.h"
#include "chat/muc/muc_policy.h"
#include "chat/muc/room_config.h"
#include "chat/muc/room_environment.h"
#include "proto/jid.h"
#include "proto/xml_element.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

namespace throng::chat::muc {

// Who sent a stanza to the room.
struct Sender {
  StreamAddress address;
  proto::Jid jid;               // the real full JID
  bool anonymous_user = false;  // authenticated with SASL ANONYMOUS
  std::string remote_address;   // the client's IP address as the server saw it
};

class WordFilter;

// The recent message ids of each author, so that a correction (XEP-0308) or a retraction
// (XEP-0424) naming one is accepted only from the occupant who sent it (same XEP-0421
// occupant id), without a disk read. A bounded FIFO over the room's last messages.
class SentIds {
 public:
  explicit SentIds(std::size_t capacity) : capacity_(capacity) {}
  void add(const std::string& occupant_id, const std::string& client_id, const std::string& stanza_id);
  // The stanza id of `occupant_id`'s message whose client id or stanza id is `id`.
  std::optional<std::string> find(const std::string& occupant_id, const std::string& id) const;

 private:
  static std::string key(const std::string& occupant_id, const std::string& id);
  std::size_t capacity_;
  std::deque<std::string> order_;                         // keys, oldest first
  std::unordered_map<std::string, std::string> stanza_ids_;  // key → stanza id
};

class Room {
 public:
  // `jid` is the room's bare JID (name@service). Non-owning: env and policy outlive the room.
  Room(std::string name, proto::Jid jid, RoomConfig config, RoomEnvironment& env,
       const MucPolicy& policy);

  // A room that starts locked (XEP-0045 §10.1.2) until its owner configures it.
  void lockForCreation(const std::string& owner_bare_jid);
  // Restores persisted state (startup).
  void restore(std::string subject, std::string subject_by,
               std::map<std::string, std::pair<Affiliation, std::string>> affiliations,
               std::map<std::string, std::string> address_bans,
               std::vector<ArchivedMessage> recent, bool recent_holds_everything);

  // Stanzas from clients. `nick` is the resource of the 'to' (empty: the room itself).
  void onPresence(const Sender& sender, const proto::XmlElement& presence, const std::string& nick);
  void onMessage(const Sender& sender, const proto::XmlElement& message, const std::string& nick);
  void onIq(const Sender& sender, const proto::XmlElement& iq, const std::string& nick);
  // The stream left without unavailable presence (disconnect, stream error).
  void onStreamGone(const StreamAddress& address);

  // Sends the occupant count to everyone if it changed since the last push (timer, ≤ 1/2 s).
  void pushOccupantCount();
  // The time asked for with RoomEnvironment::wakeAt has come: releases held messages.
  void onWake(std::chrono::system_clock::time_point now);

  const std::string& name() const { return name_; }
  const proto::Jid& jid() const { return jid_; }
  const RoomConfig& config() const { return config_; }
  std::size_t occupantCount() const { return occupants_.size(); }
  bool locked() const { return locked_; }
  // A temporary room with nobody left, or a destroyed room: the owner of rooms may delete it.
  bool finished() const { return destroyed_ || (!config_.persistent && occupants_.empty()); }
  // Persists the room now (used when an event's room is created).
  void save();

 private:
  struct Occupant {
    std::string nick;
    StreamAddress address;
    std::string bare_jid;
    std::string remote_address;
    bool anonymous_user = false;
    bool voice_revoked = false;  // muted by a moderator
    Role role = Role::kNone;
    Affiliation affiliation = Affiliation::kNone;
    std::string occupant_id;
    std::vector<proto::XmlElement> status;  // <show/>, <status/> etc. from the client's presence
    RoutedStanza presence;           // as the occupants without real-JID rights see it
    RoutedStanza presence_with_jid;  // as moderators (or everyone, whois=anyone) see it
  };

  // Presence handling.
  void join(const Sender& sender, const proto::XmlElement& presence, const std::string& nick);
  void updatePresence(Occupant& occupant, const proto::XmlElement& presence);
  void changeNick(Occupant& occupant, const proto::XmlElement& presence, const std::string& nick);
  void leave(Occupant& occupant, const proto::XmlElement* presence);
  // Removes an occupant the room throws out (kick, ban, destroy...), with these status codes.
  void expel(const std::string& nick, std::vector<int> codes, const std::string& actor,
             const std::string& reason, const proto::XmlElement* destroy = nullptr);

  // Messages (room_messages.cpp).
  // Who is speaking: what a message needs of its author, which may have left by the time the
  // archive answers.
  struct Author {
    Sender sender;
    std::string nick;
    std::string occupant_id;
    bool moderator = false;
  };
  // A message the moderation delay holds back from non-moderators.
  struct Held {
    std::chrono::system_clock::time_point release_at;
    std::string stanza_id;
    RoutedStanza stanza;
    RoutedStanza history_copy;
    StreamAddress author;
  };
  void groupchat(const Sender& sender, Occupant& occupant, const proto::XmlElement& message);
  bool canSpeak(const Occupant& occupant) const;
  // Stamps a client's groupchat with the room's ids and archives, then broadcasts it.
  void publish(const Author& author, const proto::XmlElement& message);
  void onArchived(const Author& author, const std::string& client_id, ArchivedMessage archived,
                  RoutedStanza stanza, RoutedStanza history_copy, Status status);
  void retractByAuthor(const Author& author, const proto::XmlElement& message, const std::string& target_id);
  void moderate(const Sender& sender, const proto::XmlElement& iq, const std::string& stanza_id,
                const std::string& reason);
  // After the archive replaced `stanza_id` with its tombstone: memory follows, and `notice`
  // goes to whoever could see the message.
  void applyRetraction(const std::string& stanza_id, const std::string& tombstone,
                       std::optional<RoutedStanza> notice);
  void mamIq(const Sender& sender, const proto::XmlElement& iq, const proto::XmlElement& query);
  void logModeration(const std::string& actor_bare_jid, const std::string& actor_nick,
                     std::string action, std::string target, std::string reason);
  // Runs `f` only if this room still exists when the archive answers (room_environment.h).
  template <class F>
  auto guarded(F f) {
    return [alive = std::weak_ptr<char>(alive_), f = std::move(f)](auto&&... args) mutable {
      if (alive.expired()) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }
  void rebuildWordFilter();
  void changeSubject(Occupant& occupant, const proto::XmlElement& message);
  void privateMessage(const Sender& sender, const proto::XmlElement& message, const std::string& nick);

  // IQs.
  void roomIq(const Sender& sender, const proto::XmlElement& iq);
  void discoInfo(const Sender& sender, const proto::XmlElement& iq);
  void adminGet(const Sender& sender, const proto::XmlElement& iq, const proto::XmlElement& query);
  void adminSet(const Sender& sender, const proto::XmlElement& iq, const proto::XmlElement& query);
  void ownerIq(const Sender& sender, const proto::XmlElement& iq, const proto::XmlElement& query);
  void destroy(const proto::XmlElement* destroy_element);

  // Roles, affiliations and their effects.
  Affiliation affiliationOf(const std::string& bare_jid) const;
  Role defaultRole(Affiliation affiliation, bool anonymous_user) const;
  void setRole(Occupant& occupant, Role role, const std::string& actor, const std::string& reason);
  // A moderator's role change: mutes and unmutes are remembered across rejoins.
  void setRoleByModerator(Occupant& target, Role role, const Occupant& moderator, const std::string& reason);
  void setAffiliation(const std::string& bare_jid, Affiliation affiliation,
                      const std::string& actor, const std::string& reason);
  bool broadcasts(Role role) const { return config_.presence_broadcast.contains(role); }
  bool seesJids(const Occupant& viewer) const {
    return config_.whois_anyone || viewer.role == Role::kModerator;
  }

  // Stanza building.
  std::string occupantJid(const std::string& nick) const;
  proto::XmlElement occupantPresence(const Occupant& occupant, bool with_jid,
                                     const std::vector<int>& codes, bool unavailable,
                                     const std::string& new_nick = {}) const;
  void rebuildPresence(Occupant& occupant);
  // Sends `occupant`'s current (or unavailable) presence to the others when its role is
  // broadcast, and always the self-presence (status 110 + `codes`) to the occupant itself.
  void announce(Occupant& occupant, bool was_broadcast, const std::vector<int>& codes);
  void broadcastPresence(const proto::XmlElement& for_all, const proto::XmlElement& with_jid);
  void reply(const Sender& sender, proto::XmlElement stanza);
  void replyError(const Sender& sender, const proto::XmlElement& stanza, std::string_view type,
                  std::string_view condition, std::string_view text = {});
  void rebuildSubject();

  Occupant* occupantByJid(const std::string& full_jid);
  void persistIfNeeded();

  std::string name_;
  proto::Jid jid_;
  std::string jid_string_;
  RoomConfig config_;
  RoomEnvironment& env_;
  const MucPolicy& policy_;

  std::unordered_map<std::string, Occupant> occupants_;          // by nick
  std::unordered_map<std::string, std::string> nick_by_jid_;     // real full JID → nick
  std::map<std::string, std::pair<Affiliation, std::string>> affiliations_;  // bare JID → (affiliation, reason)
  HistoryRing history_;
  std::string subject_;
  std::string subject_by_;
  RoutedStanza subject_stanza_;
  std::string stanza_id_prefix_;
  std::uint64_t next_stanza_id_ = 1;
  std::size_t last_pushed_count_ = 0;
  std::optional<RoomStreamState> last_pushed_stream_;
  bool locked_ = false;
  bool just_created_ = false;  // the next self-presence carries status 201
  bool destroyed_ = false;

  RecentArchive recent_{kRecentArchiveSize};
  SentIds sent_ids_{20000};
  std::deque<Held> held_;  // oldest first
  // Slow mode (XEP-0500): when each author (by occupant id, so rejoining does not reset it)
  // last spoke. Entries older than the slow-mode duration are dropped as it grows.
  std::unordered_map<std::string, std::chrono::system_clock::time_point> last_spoke_;
  std::set<std::string> muted_;  // bare JIDs whose voice a moderator revoked
  std::map<std::string, std::string> address_bans_;  // address → reason
  std::shared_ptr<const WordFilter> word_filter_;
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);  // expires with the room
};

}  // namespace throng::chat::muc
