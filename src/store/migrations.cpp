#include "store/migrations.h"

#include "store/sqlite.h"

#include <chrono>
#include <string>

namespace throng::store {
namespace {

// Migration 1: the first schema.
constexpr std::string_view kSchemaV1 = R"sql(
-- One row per live event: its watch page (/e/<slug>), chat room and stream.
CREATE TABLE events (
  id            INTEGER PRIMARY KEY,
  slug          TEXT NOT NULL UNIQUE,    -- URL name, [a-z0-9-]{1,64}; validated in events.cpp
  title         TEXT NOT NULL,           -- 1..200 bytes of UTF-8
  description   TEXT NOT NULL DEFAULT '',-- 0..4000 bytes of UTF-8
  created_at_ms INTEGER NOT NULL,        -- Unix time, milliseconds
  stream_key    TEXT NOT NULL            -- ingest secret (hex); never logged
);

-- Metrics history for the dashboard graphs: one row per series per sampling tick. Pruned by
-- age (pruneSamplesBefore), so reads and deletes both go by time.
CREATE TABLE metric_samples (
  ts_ms INTEGER NOT NULL,  -- Unix time, milliseconds
  name  TEXT NOT NULL,     -- series name, e.g. "cpu_percent"
  value REAL NOT NULL
);
CREATE INDEX metric_samples_ts ON metric_samples (ts_ms);
)sql";

// Migration 2: chat accounts.
constexpr std::string_view kSchemaV2 = R"sql(
-- One row per chat account (XMPP localpart). No passwords: only SCRAM credentials (RFC 5802),
-- each serialized as "iterations:base64(salt):base64(StoredKey):base64(ServerKey)" by
-- src/chat/sasl/scram.cpp. Validated in accounts.cpp.
CREATE TABLE accounts (
  username      TEXT PRIMARY KEY,  -- [a-z0-9._-]{1,64}
  scram_sha1    TEXT NOT NULL,     -- SCRAM-SHA-1 credentials; secret, never logged
  scram_sha256  TEXT NOT NULL,     -- SCRAM-SHA-256 credentials (also checks PLAIN); secret
  created_at_ms INTEGER NOT NULL   -- Unix time, milliseconds
);
)sql";

// Migration 3: persistent chat rooms (XEP-0045 §4.2: a persistent room outlives its last
// occupant, so its configuration, subject and affiliations must survive a restart).
constexpr std::string_view kSchemaV3 = R"sql(
-- One row per persistent room. Validated in rooms.cpp.
CREATE TABLE rooms (
  name          TEXT PRIMARY KEY,          -- the room's XMPP localpart, 1..256 bytes
  config_json   TEXT NOT NULL,             -- room configuration, serialized by the chat layer;
                                           -- opaque to the store
  subject       TEXT NOT NULL DEFAULT '',  -- 0..4096 bytes of UTF-8 (XEP-0045 §8.1)
  subject_by    TEXT NOT NULL DEFAULT '',  -- nick of the occupant who set the subject
  created_at_ms INTEGER NOT NULL           -- Unix time, milliseconds; kept on every save
);

-- Affiliations (XEP-0045 §5.2) are long-lived, so they are stored; roles last one visit and
-- are not. "none" is the absence of a row. The cascade needs PRAGMA foreign_keys=ON (set by
-- Storage::open); rooms.cpp also deletes the rows itself so as not to depend on it.
CREATE TABLE room_affiliations (
  room        TEXT NOT NULL REFERENCES rooms (name) ON DELETE CASCADE,
  jid         TEXT NOT NULL,  -- bare JID, 1..3071 bytes
  affiliation TEXT NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast')),
  reason      TEXT NOT NULL DEFAULT '',  -- 0..1024 bytes of UTF-8
  PRIMARY KEY (room, jid)
);
)sql";

// Migration 4: the room archive (XEP-0313), the moderation audit log and IP bans.
constexpr std::string_view kSchemaV4 = R"sql(
-- Every groupchat message a room broadcast, committed before the broadcast (chat/muc/
-- archive.h). A retracted or moderated message keeps its row with the stanza replaced by a
-- tombstone (XEP-0424 §5.2, XEP-0425 §5). Pruned by age (retention).
CREATE TABLE muc_archive (
  seq           INTEGER PRIMARY KEY,  -- archive order: the room's broadcast order
  room          TEXT NOT NULL,        -- room localpart
  stanza_id     TEXT NOT NULL,        -- XEP-0359 id the room gave it; the MAM result id
  at_us         INTEGER NOT NULL,     -- Unix time, microseconds
  visible_at_us INTEGER NOT NULL,     -- when non-moderators may see it (moderation delay)
  nick          TEXT NOT NULL,        -- sender's nick: MAM 'with' matches room@service/nick
  occupant_id   TEXT NOT NULL,        -- XEP-0421 id of the sender
  stanza        TEXT NOT NULL,        -- the message as broadcast, without 'to'
  retracted     INTEGER NOT NULL DEFAULT 0  -- 1 once stanza holds a tombstone
);
CREATE UNIQUE INDEX muc_archive_room_id ON muc_archive (room, stanza_id);
CREATE INDEX muc_archive_room_seq ON muc_archive (room, seq);
CREATE INDEX muc_archive_room_nick ON muc_archive (room, nick, seq);
CREATE INDEX muc_archive_at ON muc_archive (at_us);

-- Moderation actions (who, what, when, to whom), read by room owners and admins through the
-- admin API. Kept for the life of the room; not pruned with the archive.
CREATE TABLE moderation_log (
  id         INTEGER PRIMARY KEY,
  room       TEXT NOT NULL,
  at_ms      INTEGER NOT NULL,       -- Unix time, milliseconds
  actor      TEXT NOT NULL,          -- real bare JID of the moderator ('' for the server)
  actor_nick TEXT NOT NULL DEFAULT '',
  action     TEXT NOT NULL,          -- e.g. kick, ban, mute, retract, config; see moderation_log.h
  target     TEXT NOT NULL DEFAULT '',  -- nick, bare JID, address or stanza id
  reason     TEXT NOT NULL DEFAULT ''   -- 0..1024 bytes of UTF-8
);
CREATE INDEX moderation_log_room ON moderation_log (room, id);

-- Bans of anonymous users by network address (their JIDs are random per session, so a JID
-- ban alone is evaded by reconnecting). Only with the room's IP-ban option on.
CREATE TABLE room_ip_bans (
  room          TEXT NOT NULL REFERENCES rooms (name) ON DELETE CASCADE,
  address       TEXT NOT NULL,       -- textual IPv4 or IPv6 address
  reason        TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (room, address)
);
)sql";

// Migration 5: whether a new WHIP publisher may replace a live one (otherwise it gets 409).
constexpr std::string_view kSchemaV5 = R"sql(
ALTER TABLE events ADD COLUMN allow_takeover INTEGER NOT NULL DEFAULT 0;
)sql";

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status ensureVersionTable(Database& db) {
  // One row per applied migration: the history is useful when reading a user's database.
  return db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INTEGER PRIMARY KEY,"
      " description TEXT NOT NULL,"
      " applied_at_ms INTEGER NOT NULL)");
}

Status applyOne(Database& db, const Migration& m) {
  if (Status s = db.exec(m.sql); !s) return s;
  auto stmt = db.cached(
      "INSERT INTO schema_version (version, description, applied_at_ms) VALUES (?, ?, ?)");
  if (!stmt) return stmt.error();
  Statement& insert = **stmt;
  if (Status s = insert.bind(1, m.version); !s) return s;
  if (Status s = insert.bind(2, m.description); !s) return s;
  if (Status s = insert.bind(3, nowMs()); !s) return s;
  if (auto r = insert.step(); !r) return r.error();
  return {};
}

}  // namespace

const std::vector<Migration>& schemaMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "events and metric_samples", kSchemaV1},
      {2, "accounts", kSchemaV2},
      {3, "rooms and room_affiliations", kSchemaV3},
      {4, "muc_archive, moderation_log and room_ip_bans", kSchemaV4},
      {5, "events.allow_takeover", kSchemaV5},
  };
  return kMigrations;
}

Result<int> schemaVersionOf(Database& db) {
  if (Status s = ensureVersionTable(db); !s) return s.error();
  auto stmt = db.cached("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  auto row = (*stmt)->step();
  if (!row) return row.error();
  if (!*row) return makeError("schema_version: no result");
  return static_cast<int>((*stmt)->columnInt64(0));
}

Result<int> migrate(Database& db, const std::vector<Migration>& migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return makeError("migrations: version " + std::to_string(m.version) + " after " +
                       std::to_string(previous) + " (must be strictly increasing from 1)");
    }
    previous = m.version;
  }
  const int newest = previous;

  auto current = schemaVersionOf(db);
  if (!current) return current.error();
  if (*current > newest) {
    return makeError("database schema version " + std::to_string(*current) +
                     " is newer than this build knows (" + std::to_string(newest) +
                     "); refusing to downgrade");
  }

  int version = *current;
  for (const Migration& m : migrations) {
    if (m.version <= version) continue;
    // IMMEDIATE: take the write lock up front so that a second process fails here rather
    // than half way through.
    if (Status s = db.exec("BEGIN IMMEDIATE"); !s) return s.error();
    if (Status s = applyOne(db, m); !s) {
      (void)db.exec("ROLLBACK");  // the migration's own error is the one worth reporting
      return makeError("migration " + std::to_string(m.version) + " (" +
                       std::string(m.description) + "): " + s.error().message);
    }
    if (Status s = db.exec("COMMIT"); !s) {
      (void)db.exec("ROLLBACK");
      return makeError("migration " + std::to_string(m.version) + " commit: " + s.error().message);
    }
    version = m.version;
  }
  return version;
}

}  // namespace throng::store
