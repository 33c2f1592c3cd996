#include "store/rooms.h"

#include "store/field_rules.h"
#include "store/sqlite.h"

#include <array>
#include <cstdint>

namespace throng::store {
namespace {

// Subjects are free text shown to every occupant; the bound keeps one row, and the presence
// or message that carries it, small.
constexpr std::size_t kMaxSubjectBytes = 4096;

// The affiliations a row can hold (XEP-0045 §5.2); "none" is the absence of a row.
constexpr std::array<std::string_view, 4> kAffiliations = {"owner", "admin", "member", "outcast"};

bool isStoredAffiliation(std::string_view affiliation) {
  for (const std::string_view a : kAffiliations) {
    if (a == affiliation) return true;
  }
  return false;
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
  if (Status s = validateBareJid("jid", jid); !s) return s;
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

Result<bool> roomExists(Database& db, std::string_view name) {
  auto stmt = db.cached("SELECT 1 FROM rooms WHERE name = ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  if (Status s = (*stmt)->bind(1, name); !s) return s.error();
  return (*stmt)->step();
}

Result<std::optional<std::string>> findRoomAffiliation(Database& db, std::string_view room,
                                                       std::string_view jid) {
  auto stmt = db.cached("SELECT affiliation FROM room_affiliations WHERE room = ? AND jid = ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  for (Status s : {(*stmt)->bind(1, room), (*stmt)->bind(2, jid)}) {
    if (!s) return s.error();
  }
  auto row = (*stmt)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(std::string((*stmt)->columnText(0)));
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
