#include "store/moderation_log.h"

#include "store/field_rules.h"
#include "store/sqlite.h"

#include <algorithm>

namespace throng::store {

bool isModerationAction(std::string_view action) {
  return std::find(moderation_action::kAll.begin(), moderation_action::kAll.end(), action) !=
         moderation_action::kAll.end();
}

Status validateModerationLogEntry(const ModerationLogEntry& entry) {
  if (Status s = validateRoomName("room", entry.room); !s) return s;
  if (entry.at_ms < 0) return makeError("at_ms: must not be negative");
  // "" is the server itself acting (an automatic action such as a word-filter removal).
  if (!entry.actor.empty()) {
    if (Status s = validateBareJid("actor", entry.actor); !s) return s;
  }
  if (Status s = validateText("actor_nick", entry.actor_nick, kMaxNickBytes); !s) return s;
  if (!isModerationAction(entry.action)) {
    std::string names;
    for (const std::string_view a : moderation_action::kAll) {
      names += names.empty() ? "" : ", ";
      names += a;
    }
    return makeError("action: must be one of " + names);
  }
  // A target is whichever of nick, JID, address or stanza id the action names: the longest
  // of those is a JID.
  if (Status s = validateText("target", entry.target, kMaxJidBytes); !s) return s;
  if (Status s = validateText("reason", entry.reason, kMaxReasonBytes); !s) return s;
  return {};
}

Result<std::int64_t> appendModerationLog(Database& db, const ModerationLogEntry& entry) {
  if (Status s = validateModerationLogEntry(entry); !s) return s.error();
  auto stmt = db.cached(
      "INSERT INTO moderation_log (room, at_ms, actor, actor_nick, action, target, reason)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return stmt.error();
  Statement& insert = **stmt;
  for (Status s :
       {insert.bind(1, entry.room), insert.bind(2, entry.at_ms), insert.bind(3, entry.actor),
        insert.bind(4, entry.actor_nick), insert.bind(5, entry.action),
        insert.bind(6, entry.target), insert.bind(7, entry.reason)}) {
    if (!s) return s.error();
  }
  if (auto done = insert.step(); !done) return done.error();
  return db.lastInsertRowId();
}

Result<ModerationLogPage> listModerationLog(Database& db, std::string_view room,
                                            std::optional<std::int64_t> before_id,
                                            std::size_t limit) {
  if (limit == 0) return makeError("limit: must be at least 1");
  limit = std::min(limit, kMaxModerationLogPage);
  // One row more than asked says whether an older page exists. The (room, id) index serves
  // both the filter and the order, so a page costs `limit` index steps however long the log.
  auto stmt = db.cached(
      "SELECT id, room, at_ms, actor, actor_nick, action, target, reason FROM moderation_log"
      " WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  Statement& select = **stmt;
  for (Status s : {select.bind(1, room), select.bind(2, before_id.value_or(INT64_MAX)),
                   select.bind(3, static_cast<std::int64_t>(limit + 1))}) {
    if (!s) return s.error();
  }
  ModerationLogPage page;
  for (;;) {
    auto row = select.step();
    if (!row) return row.error();
    if (!*row) break;
    if (page.entries.size() == limit) {
      page.next_before = page.entries.back().id;
      break;
    }
    ModerationLogEntry& e = page.entries.emplace_back();
    e.id = select.columnInt64(0);
    e.room = std::string(select.columnText(1));
    e.at_ms = select.columnInt64(2);
    e.actor = std::string(select.columnText(3));
    e.actor_nick = std::string(select.columnText(4));
    e.action = std::string(select.columnText(5));
    e.target = std::string(select.columnText(6));
    e.reason = std::string(select.columnText(7));
  }
  return page;
}

Result<bool> hasModerationLog(Database& db, std::string_view room) {
  auto stmt = db.cached("SELECT 1 FROM moderation_log WHERE room = ? LIMIT 1");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  if (Status s = (*stmt)->bind(1, room); !s) return s.error();
  return (*stmt)->step();
}

}  // namespace throng::store
