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
#pragma once

#include "chat/muc/history.h"
#include "chat/muc/muc_policy.h"
#include "chat/muc/room_config.h"
#include "chat/muc/room_environment.h"
#include "proto/jid.h"
#include "proto/xml_element.h"

#include <cstdint>
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
               std::map<std::string, std::pair<Affiliation, std::string>> affiliations);

  // Stanzas from clients. `nick` is the resource of the 'to' (empty: the room itself).
  void onPresence(const Sender& sender, const proto::XmlElement& presence, const std::string& nick);
  void onMessage(const Sender& sender, const proto::XmlElement& message, const std::string& nick);
  void onIq(const Sender& sender, const proto::XmlElement& iq, const std::string& nick);
  // The stream left without unavailable presence (disconnect, stream error).
  void onStreamGone(const StreamAddress& address);

  // Sends the occupant count to everyone if it changed since the last push (timer, ≤ 1/2 s).
  void pushOccupantCount();

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
    bool anonymous_user = false;
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

  // Messages.
  void groupchat(const Sender& sender, Occupant& occupant, const proto::XmlElement& message);
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
  bool locked_ = false;
  bool just_created_ = false;  // the next self-presence carries status 201
  bool destroyed_ = false;
};

}  // namespace throng::chat::muc
