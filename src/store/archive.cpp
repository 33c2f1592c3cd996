#include "store/archive.h"

#include "base/utf8.h"
#include "store/sqlite.h"

#include <algorithm>

namespace throng::store {
namespace {

constexpr std::size_t kMaxRoomBytes = 256;        // as rooms.name (rooms.cpp)
constexpr std::size_t kMaxStanzaIdBytes = 128;    // the room makes them; XEP-0359 ids are short
constexpr std::size_t kMaxNickBytes = 1023;       // RFC 7622 §3.4.1 resourcepart
constexpr std::size_t kMaxOccupantIdBytes = 128;
constexpr std::size_t kMaxStanzaBytes = 256 * 1024;  // above the largest stanza a client may send
constexpr std::size_t kMaxIdsPerQuery = 1000;

constexpr std::string_view kColumns =
    "seq, room, stanza_id, at_us, visible_at_us, nick, occupant_id, stanza, retracted";

Status checkSize(std::string_view field, std::string_view value, std::size_t min, std::size_t max) {
  if (value.size() < min || value.size() > max) {
    return makeError(std::string(field) + ": must be " + std::to_string(min) + ".." +
                     std::to_string(max) + " bytes");
  }
  if (!isValidUtf8(value)) return makeError(std::string(field) + ": not valid UTF-8");
  return {};
}

ArchiveRow readRow(const Statement& stmt) {
  ArchiveRow row;
  row.seq = stmt.columnInt64(0);
  row.room = std::string(stmt.columnText(1));
  row.stanza_id = std::string(stmt.columnText(2));
  row.at_us = stmt.columnInt64(3);
  row.visible_at_us = stmt.columnInt64(4);
  row.nick = std::string(stmt.columnText(5));
  row.occupant_id = std::string(stmt.columnText(6));
  row.stanza = std::string(stmt.columnText(7));
  row.retracted = stmt.columnInt64(8) != 0;
  return row;
}

Result<std::vector<ArchiveRow>> readAll(Statement& stmt) {
  std::vector<ArchiveRow> rows;
  while (true) {
    auto more = stmt.step();
    if (!more) return more.error();
    if (!*more) break;
    rows.push_back(readRow(stmt));
  }
  return rows;
}

// The seq of a room's message, for paging by id.
Result<std::optional<std::int64_t>> seqOf(Database& db, std::string_view room,
                                          std::string_view stanza_id) {
  auto stmt = db.cached("SELECT seq FROM muc_archive WHERE room = ? AND stanza_id = ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  for (Status s : {(*stmt)->bind(1, room), (*stmt)->bind(2, stanza_id)}) {
    if (!s) return s.error();
  }
  auto row = (*stmt)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*stmt)->columnInt64(0));
}

}  // namespace

Result<std::int64_t> appendArchived(Database& db, const ArchiveRow& row) {
  if (Status s = checkSize("room", row.room, 1, kMaxRoomBytes); !s) return s.error();
  if (Status s = checkSize("stanza_id", row.stanza_id, 1, kMaxStanzaIdBytes); !s) return s.error();
  if (Status s = checkSize("nick", row.nick, 0, kMaxNickBytes); !s) return s.error();
  if (Status s = checkSize("occupant_id", row.occupant_id, 0, kMaxOccupantIdBytes); !s) return s.error();
  if (Status s = checkSize("stanza", row.stanza, 1, kMaxStanzaBytes); !s) return s.error();
  auto stmt = db.cached(
      "INSERT INTO muc_archive (room, stanza_id, at_us, visible_at_us, nick, occupant_id,"
      " stanza, retracted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return stmt.error();
  Statement& insert = **stmt;
  for (Status s : {insert.bind(1, row.room), insert.bind(2, row.stanza_id), insert.bind(3, row.at_us),
                   insert.bind(4, row.visible_at_us), insert.bind(5, row.nick),
                   insert.bind(6, row.occupant_id), insert.bind(7, row.stanza),
                   insert.bind(8, row.retracted ? 1 : 0)}) {
    if (!s) return s.error();
  }
  if (auto done = insert.step(); !done) return done.error();
  return db.lastInsertRowId();
}

Result<std::optional<ArchiveRow>> findArchived(Database& db, std::string_view room,
                                               std::string_view stanza_id) {
  auto stmt = db.cached(std::string("SELECT ") + std::string(kColumns) +
                        " FROM muc_archive WHERE room = ? AND stanza_id = ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  for (Status s : {(*stmt)->bind(1, room), (*stmt)->bind(2, stanza_id)}) {
    if (!s) return s.error();
  }
  auto row = (*stmt)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<ArchiveRow>();
  return std::optional<ArchiveRow>(readRow(**stmt));
}

Result<bool> retractArchived(Database& db, std::string_view room, std::string_view stanza_id,
                             std::string_view tombstone) {
  if (Status s = checkSize("tombstone", tombstone, 1, kMaxStanzaBytes); !s) return s.error();
  auto stmt = db.cached(
      "UPDATE muc_archive SET stanza = ?, retracted = 1 WHERE room = ? AND stanza_id = ?");
  if (!stmt) return stmt.error();
  for (Status s : {(*stmt)->bind(1, tombstone), (*stmt)->bind(2, room), (*stmt)->bind(3, stanza_id)}) {
    if (!s) return s.error();
  }
  if (auto done = (*stmt)->step(); !done) return done.error();
  return db.changes() > 0;
}

Result<ArchivePage> queryArchive(Database& db, const ArchiveQuery& query) {
  if (query.ids.size() > kMaxIdsPerQuery) return makeError("ids: more than 1000");
  ArchivePage page;
  std::optional<std::int64_t> lower_seq;
  std::optional<std::int64_t> upper_seq;
  for (auto [id, bound] : {std::pair{&query.after_id, &lower_seq}, std::pair{&query.before_id, &upper_seq}}) {
    if (!*id) continue;
    auto seq = seqOf(db, query.room, **id);
    if (!seq) return seq.error();
    if (!*seq) {
      page.unknown_id = true;
      return page;
    }
    *bound = **seq;
  }

  // The filters present make the SQL; the statement cache keeps one per shape (a few dozen).
  std::string sql = std::string("SELECT ") + std::string(kColumns) + " FROM muc_archive WHERE room = ?";
  if (query.with_nick) sql += " AND nick = ?";
  if (query.start_us) sql += " AND at_us >= ?";
  if (query.end_us) sql += " AND at_us <= ?";
  if (query.visible_at_most_us) sql += " AND visible_at_us <= ?";
  if (lower_seq) sql += " AND seq > ?";
  if (upper_seq) sql += " AND seq < ?";
  if (!query.ids.empty()) {
    sql += " AND stanza_id IN (?";
    for (std::size_t i = 1; i < query.ids.size(); ++i) sql += ",?";
    sql += ")";
  }
  // Backwards (RSM <before/>) reads the newest rows first; either way one row more than the
  // page tells whether the page is the last one in that direction.
  const bool backwards = query.from_end;
  sql += backwards ? " ORDER BY seq DESC LIMIT ?" : " ORDER BY seq ASC LIMIT ?";

  std::unique_ptr<Statement> owned;
  Statement* stmt = nullptr;
  if (query.ids.empty()) {
    auto cached = db.cached(sql);
    if (!cached) return cached.error();
    stmt = *cached;
  } else {
    auto prepared = db.prepare(sql);  // one shape per id count: not worth caching
    if (!prepared) return prepared.error();
    owned = std::move(*prepared);
    stmt = owned.get();
  }
  ResetOnExit reset(*stmt);
  int index = 1;
  auto bind = [&](auto value) -> Status { return stmt->bind(index++, value); };
  if (Status s = bind(std::string_view(query.room)); !s) return s.error();
  if (query.with_nick) {
    if (Status s = bind(std::string_view(*query.with_nick)); !s) return s.error();
  }
  for (const auto& bound : {query.start_us, query.end_us, query.visible_at_most_us, lower_seq, upper_seq}) {
    if (!bound) continue;
    if (Status s = bind(*bound); !s) return s.error();
  }
  for (const auto& id : query.ids) {
    if (Status s = bind(std::string_view(id)); !s) return s.error();
  }
  if (Status s = bind(static_cast<std::int64_t>(query.max) + 1); !s) return s.error();
  auto rows = readAll(*stmt);
  if (!rows) return rows.error();
  page.complete = rows->size() <= query.max;
  if (!page.complete) rows->pop_back();
  if (backwards) std::reverse(rows->begin(), rows->end());
  page.rows = std::move(*rows);
  return page;
}

Result<std::vector<ArchiveRow>> latestArchived(Database& db, std::string_view room, std::size_t limit) {
  auto stmt = db.cached(std::string("SELECT ") + std::string(kColumns) +
                        " FROM muc_archive WHERE room = ? ORDER BY seq DESC LIMIT ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  for (Status s : {(*stmt)->bind(1, room), (*stmt)->bind(2, static_cast<std::int64_t>(limit))}) {
    if (!s) return s.error();
  }
  auto rows = readAll(**stmt);
  if (!rows) return rows.error();
  std::reverse(rows->begin(), rows->end());
  return rows;
}

Result<std::int64_t> pruneArchive(Database& db, std::int64_t before_us, std::size_t limit) {
  auto stmt = db.cached(
      "DELETE FROM muc_archive WHERE seq IN"
      " (SELECT seq FROM muc_archive WHERE at_us < ? ORDER BY at_us LIMIT ?)");
  if (!stmt) return stmt.error();
  for (Status s : {(*stmt)->bind(1, before_us), (*stmt)->bind(2, static_cast<std::int64_t>(limit))}) {
    if (!s) return s.error();
  }
  if (auto done = (*stmt)->step(); !done) return done.error();
  return db.changes();
}

Result<std::vector<ArchiveRow>> listArchived(Database& db, std::string_view room, std::size_t limit) {
  auto stmt = db.cached(std::string("SELECT ") + std::string(kColumns) +
                        " FROM muc_archive WHERE room = ? ORDER BY seq ASC LIMIT ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  for (Status s : {(*stmt)->bind(1, room), (*stmt)->bind(2, static_cast<std::int64_t>(limit))}) {
    if (!s) return s.error();
  }
  return readAll(**stmt);
}

}  // namespace throng::store
