// Persistent chat rooms (tables rooms and room_affiliations): XEP-0045 §4.2 persistent rooms
// outlive their last occupant, so their configuration, subject and affiliations (§5.2) are
// kept here across restarts. Roles and occupants last one visit and are never stored. The
// configuration is serialized by the chat layer; the store keeps it opaque and does not depend
// on chat.
// Runs on the storage thread only.
#pragma once

#include "base/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::store {

class Database;

struct RoomRecord {
  std::string name;         // room localpart: 1..256 bytes, no '@', '/', or whitespace
  std::string config_json;  // opaque to the store
  std::string subject;      // at most 4096 bytes
  std::string subject_by;
  std::int64_t created_at_ms = 0;
};

struct RoomAffiliationRecord {
  std::string room;
  std::string jid;          // bare JID, 1..3071 bytes
  std::string affiliation;  // "owner", "admin", "member" or "outcast"
  std::string reason;       // at most 1024 bytes
};

// A ban of anonymous users by network address (table room_ip_bans).
struct RoomAddressBanRecord {
  std::string room;
  std::string address;  // textual IPv4 or IPv6 address, 1..45 bytes
  std::string reason;   // at most 1024 bytes
  std::int64_t created_at_ms = 0;
};

// Errors from these functions name the field whose rule was broken ("name: ...", "jid: ...").

// Inserts the room or replaces its config and subject (created_at_ms kept from the first save).
Status saveRoom(Database& db, const RoomRecord& room);
// false when no such room; its affiliations go with it.
Result<bool> deleteRoom(Database& db, std::string_view name);
// Sets one affiliation; "none" removes the row. Error when the room does not exist or a
// field breaks its rule (the message names the field).
Status setRoomAffiliation(Database& db, std::string_view room, std::string_view jid,
                          std::string_view affiliation, std::string_view reason);
// Whether a persistent room of that name is stored.
Result<bool> roomExists(Database& db, std::string_view name);
// The stored affiliation of `jid` (a bare JID) in `room`: "owner", "admin", "member" or
// "outcast"; nullopt for none (no row, or no such room).
Result<std::optional<std::string>> findRoomAffiliation(Database& db, std::string_view room,
                                                       std::string_view jid);
// Every room, sorted by name.
Result<std::vector<RoomRecord>> listRooms(Database& db);
// Every affiliation of every room, sorted by room then jid.
Result<std::vector<RoomAffiliationRecord>> listRoomAffiliations(Database& db);
// Adds or replaces a ban by address; error when the room does not exist.
Status setRoomAddressBan(Database& db, const RoomAddressBanRecord& ban);
// false when there was no such ban.
Result<bool> deleteRoomAddressBan(Database& db, std::string_view room, std::string_view address);
// Every ban by address of every room, sorted by room then address.
Result<std::vector<RoomAddressBanRecord>> listRoomAddressBans(Database& db);

}  // namespace throng::store
