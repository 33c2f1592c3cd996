// The rooms' message archive (table muc_archive): what XEP-0313 (MAM) queries read. Every
// groupchat message a room broadcasts is appended here before the broadcast (chat/muc/
// room_archive.h); a retraction replaces the stored stanza with a tombstone; old rows are
// pruned by age.
//
// The stanza is kept serialized and opaque (the chat layer writes and reads it); the columns
// beside it are what queries filter on. Order is `seq`, the order of appends, which is the
// room's broadcast order because one room appends from one thread and the storage thread
// runs jobs in submission order.
// Runs on the storage thread only.
#pragma once

#include "base/result.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::store {

class Database;

struct ArchiveRow {
  std::int64_t seq = 0;            // set by appendArchived
  std::string room;                // room localpart
  std::string stanza_id;           // XEP-0359 id given by the room, 1..128 bytes
  std::int64_t at_us = 0;          // Unix time, microseconds
  std::int64_t visible_at_us = 0;  // at_us + the room's moderation delay
  std::string nick;                // sender's nick at the time (MAM 'with')
  std::string occupant_id;         // XEP-0421
  std::string stanza;              // serialized <message/> without 'to'; at most 256 KiB
  bool retracted = false;          // the stanza is a tombstone
};

// A query over one room's archive, already validated by the chat layer (XEP-0313 §4.1 and
// XEP-0059 paging). Bounds combine; ids are stanza ids of this room.
struct ArchiveQuery {
  std::string room;
  std::optional<std::string> with_nick;      // MAM 'with' = room@service/nick
  std::optional<std::int64_t> start_us;      // inclusive
  std::optional<std::int64_t> end_us;        // inclusive
  std::optional<std::int64_t> visible_at_most_us;  // hide held messages from non-moderators
  std::optional<std::string> after_id;       // exclusive lower bound (RSM <after/>, after-id)
  std::optional<std::string> before_id;      // exclusive upper bound (RSM <before>id</before>, before-id)
  std::vector<std::string> ids;              // urn:xmpp:mam:2#extended 'ids': only these
  // RSM <before/> (empty or with an id): the page nearest the upper end, else the page
  // nearest the lower end (XEP-0059 §2.5 paging backwards vs §2.2 forwards).
  bool from_end = false;
  std::size_t max = 50;                      // rows in the page
};

struct ArchivePage {
  std::vector<ArchiveRow> rows;  // oldest first
  // XEP-0313 §4.3: the page reaches the end of the result set in the paging direction.
  bool complete = true;
  // An after/before id names no message of this room (XEP-0313 §4.3.3: item-not-found).
  bool unknown_id = false;
};

// Errors name the field whose rule was broken ("stanza_id: ...").
Result<std::int64_t> appendArchived(Database& db, const ArchiveRow& row);
// The row of a message, or nullopt when the room has no message with that id.
Result<std::optional<ArchiveRow>> findArchived(Database& db, std::string_view room,
                                               std::string_view stanza_id);
// Replaces a message's stanza with `tombstone` and marks it retracted. false: no such message.
Result<bool> retractArchived(Database& db, std::string_view room, std::string_view stanza_id,
                             std::string_view tombstone);
Result<ArchivePage> queryArchive(Database& db, const ArchiveQuery& query);
// The newest `limit` rows of a room, oldest first (a room's in-memory page at startup).
Result<std::vector<ArchiveRow>> latestArchived(Database& db, std::string_view room,
                                               std::size_t limit);
// Deletes up to `limit` rows older than `before_us` (any room); returns how many went.
// Bounded so that a prune never holds the write lock for long; call again while it returns
// `limit`.
Result<std::int64_t> pruneArchive(Database& db, std::int64_t before_us, std::size_t limit);
// Every row of a room (tests and export); bounded by `limit`.
Result<std::vector<ArchiveRow>> listArchived(Database& db, std::string_view room, std::size_t limit);

}  // namespace throng::store
