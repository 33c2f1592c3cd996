#include "store/events.h"

#include "base/random.h"
#include "base/utf8.h"
#include "store/sqlite.h"

namespace throng::store {
namespace {

// Limits from events.h, in bytes of UTF-8. They bound the row size and what a watch page
// renders; the API checks the same rules through validateNewEvent/validateEventUpdate.
constexpr std::size_t kMaxSlugBytes = 64;
constexpr std::size_t kMaxTitleBytes = 200;
constexpr std::size_t kMaxDescriptionBytes = 4000;
// 24 random bytes = 192 bits, rendered as 48 hex characters: a stream key grants ingest, so
// it gets more than the 128-bit minimum (random.h).
constexpr std::size_t kStreamKeyBytes = 24;

constexpr std::string_view kSelectColumns =
    "SELECT id, slug, title, description, created_at_ms, stream_key, allow_takeover FROM events";

// Titles and descriptions end up in JSON, and a serializer given invalid UTF-8 fails at the
// worst moment: on read. They are checked with isValidUtf8 (base/utf8.h) on the way in.

Status validateTitle(std::string_view title) {
  if (title.empty()) return makeError("title: must not be empty");
  if (title.size() > kMaxTitleBytes) return makeError("title: longer than 200 bytes");
  if (!isValidUtf8(title)) return makeError("title: not valid UTF-8");
  return {};
}

Status validateDescription(std::string_view description) {
  if (description.size() > kMaxDescriptionBytes) {
    return makeError("description: longer than 4000 bytes");
  }
  if (!isValidUtf8(description)) return makeError("description: not valid UTF-8");
  return {};
}

EventRecord readEvent(const Statement& stmt) {
  EventRecord e;
  e.id = stmt.columnInt64(0);
  e.slug = std::string(stmt.columnText(1));
  e.title = std::string(stmt.columnText(2));
  e.description = std::string(stmt.columnText(3));
  e.created_at_ms = stmt.columnInt64(4);
  e.stream_key = std::string(stmt.columnText(5));
  e.allow_takeover = stmt.columnInt64(6) != 0;
  return e;
}

}  // namespace

bool isValidSlug(std::string_view slug) {
  if (slug.empty() || slug.size() > kMaxSlugBytes) return false;
  if (slug.front() == '-' || slug.back() == '-') return false;
  for (const char c : slug) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status validateNewEvent(const NewEvent& event) {
  if (event.slug.empty() || event.slug.size() > kMaxSlugBytes) {
    return makeError("slug: must be 1..64 characters");
  }
  if (!isValidSlug(event.slug)) {
    return makeError("slug: only a-z, 0-9 and '-', not at the start or end");
  }
  if (Status s = validateTitle(event.title); !s) return s;
  return validateDescription(event.description);
}

Status validateEventUpdate(const EventUpdate& update) {
  if (update.title) {
    if (Status s = validateTitle(*update.title); !s) return s;
  }
  if (update.description) return validateDescription(*update.description);
  return {};
}

Result<std::vector<EventRecord>> listEvents(Database& db) {
  auto stmt = db.cached(std::string(kSelectColumns) + " ORDER BY id");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  std::vector<EventRecord> events;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return row.error();
    if (!*row) break;
    events.push_back(readEvent(**stmt));
  }
  return events;
}

Result<std::optional<EventRecord>> findEvent(Database& db, std::string_view slug) {
  auto stmt = db.cached(std::string(kSelectColumns) + " WHERE slug = ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  if (Status s = (*stmt)->bind(1, slug); !s) return s.error();
  auto row = (*stmt)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<EventRecord>();
  return std::optional<EventRecord>(readEvent(**stmt));
}

Result<std::optional<EventRecord>> createEvent(Database& db, const NewEvent& event,
                                               std::int64_t now_ms) {
  if (Status s = validateNewEvent(event); !s) return s.error();
  EventRecord record;
  record.slug = event.slug;
  record.title = event.title;
  record.description = event.description;
  record.created_at_ms = now_ms;
  record.stream_key = randomHexToken(kStreamKeyBytes);
  record.allow_takeover = event.allow_takeover;

  // ON CONFLICT DO NOTHING: a taken slug is an expected answer (nullopt), not an error, and
  // this way it is decided by the UNIQUE index in one statement.
  auto stmt = db.cached(
      "INSERT INTO events (slug, title, description, created_at_ms, stream_key, allow_takeover)"
      " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING");
  if (!stmt) return stmt.error();
  Statement& insert = **stmt;
  for (Status s : {insert.bind(1, record.slug), insert.bind(2, record.title),
                   insert.bind(3, record.description), insert.bind(4, record.created_at_ms),
                   insert.bind(5, record.stream_key),
                   insert.bind(6, std::int64_t{record.allow_takeover ? 1 : 0})}) {
    if (!s) return s.error();
  }
  auto done = insert.step();
  if (!done) return done.error();
  if (db.changes() == 0) return std::optional<EventRecord>();
  record.id = db.lastInsertRowId();
  return std::optional<EventRecord>(std::move(record));
}

Result<std::optional<EventRecord>> updateEvent(Database& db, std::string_view slug,
                                               const EventUpdate& update) {
  if (Status s = validateEventUpdate(update); !s) return s.error();
  // Read, modify, write: safe because only the storage thread writes, inside its transaction.
  auto found = findEvent(db, slug);
  if (!found) return found.error();
  if (!*found) return std::optional<EventRecord>();
  EventRecord record = std::move(**found);
  if (update.title) record.title = *update.title;
  if (update.description) record.description = *update.description;
  if (update.rotate_stream_key) record.stream_key = randomHexToken(kStreamKeyBytes);
  if (update.allow_takeover) record.allow_takeover = *update.allow_takeover;

  auto stmt = db.cached(
      "UPDATE events SET title = ?, description = ?, stream_key = ?, allow_takeover = ?"
      " WHERE id = ?");
  if (!stmt) return stmt.error();
  Statement& set = **stmt;
  for (Status s : {set.bind(1, record.title), set.bind(2, record.description),
                   set.bind(3, record.stream_key),
                   set.bind(4, std::int64_t{record.allow_takeover ? 1 : 0}),
                   set.bind(5, record.id)}) {
    if (!s) return s.error();
  }
  auto done = set.step();
  if (!done) return done.error();
  return std::optional<EventRecord>(std::move(record));
}

Result<bool> deleteEvent(Database& db, std::string_view slug) {
  auto stmt = db.cached("DELETE FROM events WHERE slug = ?");
  if (!stmt) return stmt.error();
  if (Status s = (*stmt)->bind(1, slug); !s) return s.error();
  auto done = (*stmt)->step();
  if (!done) return done.error();
  return db.changes() > 0;
}

}  // namespace throng::store
