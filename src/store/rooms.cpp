#include "store/rooms.h"

#include "base/utf8.h"
#include "store/sqlite.h"

#include <array>
#include <cstdint>

namespace throng::store {
namespace {

// Limits from rooms.h, in bytes. RFC 7622 §3.3.1 allows localparts up to 1023 bytes; 256 is
// plenty for a room name and keeps room JIDs readable in clients and logs.
constexpr std::size_t kMaxRoomNameBytes = 256;
// Each JID part is at most 1023 bytes (RFC 7622 §3.2.1, §3.3.1, §3.4.1), so no JID is longer
// than 3 * 1023 + 2 separators = 3071 bytes; the exact form is the chat layer's to check.
constexpr std::size_t kMaxJidBytes = 3071;
// Subjects and reasons are free text shown to every occupant; the bounds keep one row, and
// the presence or message that carries it, small.
constexpr std::size_t kMaxSubjectBytes = 4096;
constexpr std::size_t kMaxReasonBytes = 1024;
// The nick is the resourcepart of the occupant JID (XEP-0045 §7.2), at most 1023 bytes
// (RFC 7622 §3.4.1).
constexpr std::size_t kMaxNickBytes = 1023;

// The affiliations a row can hold (XEP-0045 §5.2); "none" is the absence of a row.
constexpr std::array<std::string_view, 4> kAffiliations = {"owner", "admin", "member", "outcast"};

// Unicode White_Space outside ASCII (U+0085 is a C1 control, refused with the others).
bool isNonAsciiSpace(std::uint32_t cp) {
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Room names and JIDs become parts of XMPP addresses and attributes: strict UTF-8 with no
// control character, no whitespace and none of `forbidden`. The store compares them byte for
// byte; the chat layer normalizes them (proto/jid.h) before they get here.
Status validateAddress(std::string_view field, std::string_view value, std::size_t max_bytes,
                       std::string_view forbidden) {
  if (value.empty() || value.size() > max_bytes) {
    return makeError(std::string(field) + ": must be 1.." + std::to_string(max_bytes) + " bytes");
  }
  for (std::size_t i = 0; i < value.size();) {
    const auto cp = nextCodePoint(value, i);
    if (!cp) return makeError(std::string(field) + ": not valid UTF-8");
    if (*cp <= 0x20 || (*cp >= 0x7F && *cp <= 0x9F) || isNonAsciiSpace(*cp)) {
      return makeError(std::string(field) + ": no whitespace or control characters allowed");
    }
    if (*cp < 0x80 && forbidden.find(static_cast<char>(*cp)) != std::string_view::npos) {
      return makeError(std::string(field) + ": must not contain any of \"" +
                       std::string(forbidden) + "\"");
    }
  }
  return {};
}

Status validateRoomName(std::string_view field, std::string_view name) {
  return validateAddress(field, name, kMaxRoomNameBytes, "@/");
}

// A resource ('/') would make it a full JID, and affiliations belong to bare JIDs (§5.2).
Status validateJid(std::string_view jid) {
  return validateAddress("jid", jid, kMaxJidBytes, "/");
}

// Free text that ends up in XML: bounded, strict UTF-8 (a serializer given invalid UTF-8
// fails at the worst moment, on read).
Status validateText(std::string_view field, std::string_view value, std::size_t max_bytes) {
  if (value.size() > max_bytes) {
    return makeError(std::string(field) + ": longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (!isValidUtf8(value)) return makeError(std::string(field) + ": not valid UTF-8");
  return {};
}

bool isStoredAffiliation(std::string_view affiliation) {
  for (const std::string_view a : kAffiliations) {
    if (a == affiliation) return true;
  }
  return false;
}

Result<bool> roomExists(Database& db, std::string_view name) {
  auto stmt = db.cached("SELECT 1 FROM rooms WHERE name = ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  if (Status s = (*stmt)->bind(1, name); !s) return s.error();
  return (*stmt)->step();
}

}  // namespace

Status saveRoom(Database& db, const RoomRecord& room) {
  if (Status s = validateRoomName("name", room.name); !s) return s;
  if (Status s = validateText("subject", room.subject, kMaxSubjectBytes); !s) return s;
  if (Status s = validateText("subject_by", room.subject_by, kMaxNickBytes); !s) return s;
  // An upsert that leaves created_at_ms alone: the room's creation time is the first save,
  // however often its configuration changes afterwards.
  auto stmt = db.cached(
      "INSERT INTO rooms (name, config_json, subject, subject_by, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
      " config_json = excluded.config_json, subject = excluded.subject,"
      " subject_by = excluded.subject_by");
  if (!stmt) return stmt.error();
  Statement& upsert = **stmt;
  for (Status s :
       {upsert.bind(1, room.name), upsert.bind(2, room.config_json), upsert.bind(3, room.subject),
        upsert.bind(4, room.subject_by), upsert.bind(5, room.created_at_ms)}) {
    if (!s) return s;
  }
  if (auto done = upsert.step(); !done) return done.error();
  return {};
}

Result<bool> deleteRoom(Database& db, std::string_view name) {
  // Storage::open turns foreign_keys on, so ON DELETE CASCADE would do this; deleting the
  // affiliations here as well keeps the repository correct on any connection. Under Storage
  // both statements run in the job's SAVEPOINT, so they commit or roll back together.
  auto affiliations = db.cached("DELETE FROM room_affiliations WHERE room = ?");
  if (!affiliations) return affiliations.error();
  if (Status s = (*affiliations)->bind(1, name); !s) return s.error();
  if (auto done = (*affiliations)->step(); !done) return done.error();
  auto bans = db.cached("DELETE FROM room_ip_bans WHERE room = ?");
  if (!bans) return bans.error();
  if (Status s = (*bans)->bind(1, name); !s) return s.error();
  if (auto done = (*bans)->step(); !done) return done.error();

  auto rooms = db.cached("DELETE FROM rooms WHERE name = ?");
  if (!rooms) return rooms.error();
  if (Status s = (*rooms)->bind(1, name); !s) return s.error();
  if (auto done = (*rooms)->step(); !done) return done.error();
  return db.changes() > 0;
}

Status setRoomAffiliation(Database& db, std::string_view room, std::string_view jid,
                          std::string_view affiliation, std::string_view reason) {
  if (Status s = validateRoomName("room", room); !s) return s;
  if (Status s = validateJid(jid); !s) return s;
  const bool remove = affiliation == "none";
  if (!remove && !isStoredAffiliation(affiliation)) {
    return makeError("affiliation: must be owner, admin, member, outcast or none");
  }
  if (Status s = validateText("reason", reason, kMaxReasonBytes); !s) return s;
  // Checked here rather than left to the foreign key, which may be off on this connection and
  // would not apply to a removal anyway.
  auto exists = roomExists(db, room);
  if (!exists) return exists.error();
  if (!*exists) return makeError("room: no such room");

  if (remove) {
    auto stmt = db.cached("DELETE FROM room_affiliations WHERE room = ? AND jid = ?");
    if (!stmt) return stmt.error();
    for (Status s : {(*stmt)->bind(1, room), (*stmt)->bind(2, jid)}) {
      if (!s) return s;
    }
    if (auto done = (*stmt)->step(); !done) return done.error();
    return {};
  }
  auto stmt = db.cached(
      "INSERT INTO room_affiliations (room, jid, affiliation, reason) VALUES (?, ?, ?, ?)"
      " ON CONFLICT (room, jid) DO UPDATE SET"
      " affiliation = excluded.affiliation, reason = excluded.reason");
  if (!stmt) return stmt.error();
  Statement& upsert = **stmt;
  for (Status s : {upsert.bind(1, room), upsert.bind(2, jid), upsert.bind(3, affiliation),
                   upsert.bind(4, reason)}) {
    if (!s) return s;
  }
  if (auto done = upsert.step(); !done) return done.error();
  return {};
}

Result<std::vector<RoomRecord>> listRooms(Database& db) {
  auto stmt = db.cached(
      "SELECT name, config_json, subject, subject_by, created_at_ms FROM rooms ORDER BY name");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  std::vector<RoomRecord> rooms;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return row.error();
    if (!*row) break;
    RoomRecord& room = rooms.emplace_back();
    room.name = std::string((*stmt)->columnText(0));
    room.config_json = std::string((*stmt)->columnText(1));
    room.subject = std::string((*stmt)->columnText(2));
    room.subject_by = std::string((*stmt)->columnText(3));
    room.created_at_ms = (*stmt)->columnInt64(4);
  }
  return rooms;
}

Result<std::vector<RoomAffiliationRecord>> listRoomAffiliations(Database& db) {
  auto stmt =
      db.cached("SELECT room, jid, affiliation, reason FROM room_affiliations ORDER BY room, jid");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  std::vector<RoomAffiliationRecord> affiliations;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return row.error();
    if (!*row) break;
    RoomAffiliationRecord& a = affiliations.emplace_back();
    a.room = std::string((*stmt)->columnText(0));
    a.jid = std::string((*stmt)->columnText(1));
    a.affiliation = std::string((*stmt)->columnText(2));
    a.reason = std::string((*stmt)->columnText(3));
  }
  return affiliations;
}

Status setRoomAddressBan(Database& db, const RoomAddressBanRecord& ban) {
  if (Status s = validateRoomName("room", ban.room); !s) return s;
  // The longest textual IPv6 address (with an embedded IPv4 part) is 45 characters.
  if (Status s = validateAddress("address", ban.address, 45, "/@"); !s) return s;
  if (Status s = validateText("reason", ban.reason, kMaxReasonBytes); !s) return s;
  auto exists = roomExists(db, ban.room);
  if (!exists) return exists.error();
  if (!*exists) return makeError("room: no such room");
  auto stmt = db.cached(
      "INSERT INTO room_ip_bans (room, address, reason, created_at_ms) VALUES (?, ?, ?, ?)"
      " ON CONFLICT (room, address) DO UPDATE SET reason = excluded.reason");
  if (!stmt) return stmt.error();
  for (Status s : {(*stmt)->bind(1, ban.room), (*stmt)->bind(2, ban.address),
                   (*stmt)->bind(3, ban.reason), (*stmt)->bind(4, ban.created_at_ms)}) {
    if (!s) return s;
  }
  if (auto done = (*stmt)->step(); !done) return done.error();
  return {};
}

Result<bool> deleteRoomAddressBan(Database& db, std::string_view room, std::string_view address) {
  auto stmt = db.cached("DELETE FROM room_ip_bans WHERE room = ? AND address = ?");
  if (!stmt) return stmt.error();
  for (Status s : {(*stmt)->bind(1, room), (*stmt)->bind(2, address)}) {
    if (!s) return s.error();
  }
  if (auto done = (*stmt)->step(); !done) return done.error();
  return db.changes() > 0;
}

Result<std::vector<RoomAddressBanRecord>> listRoomAddressBans(Database& db) {
  auto stmt = db.cached(
      "SELECT room, address, reason, created_at_ms FROM room_ip_bans ORDER BY room, address");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  std::vector<RoomAddressBanRecord> out;
  while (true) {
    auto row = (*stmt)->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(RoomAddressBanRecord{std::string((*stmt)->columnText(0)),
                                       std::string((*stmt)->columnText(1)),
                                       std::string((*stmt)->columnText(2)), (*stmt)->columnInt64(3)});
  }
  return out;
}

}  // namespace throng::store
