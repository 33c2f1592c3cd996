#include "chat/muc/room_persistence.h"

#include "store/archive.h"
#include "store/moderation_log.h"
#include "store/rooms.h"
#include "store/storage.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace throng::chat::muc {
namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A room write that fails is logged with the room's name; the room keeps running from memory.
store::Storage::Done logFailure(std::string what, std::string room) {
  return [what = std::move(what), room = std::move(room)](Status status) {
    if (!status) spdlog::error("muc: could not {} of room {}: {}", what, room, status.error().message);
  };
}

std::int64_t toMicros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point fromMicros(std::int64_t us) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds(us)));
}

ArchivedMessage fromRow(store::ArchiveRow row) {
  ArchivedMessage m;
  m.stanza_id = std::move(row.stanza_id);
  m.at = fromMicros(row.at_us);
  m.visible_at = fromMicros(row.visible_at_us);
  m.nick = std::move(row.nick);
  m.occupant_id = std::move(row.occupant_id);
  m.xml = std::move(row.stanza);
  m.retracted = row.retracted;
  return m;
}

// Rows deleted per prune job: small enough that a prune never holds the write lock (and the
// group commits queued behind it) for more than a few milliseconds.
constexpr std::size_t kPruneBatch = 2000;

}  // namespace

void RoomPersistence::saveRoom(const StoredRoom& room) {
  store::RoomRecord record{room.name, room.config_json, room.subject, room.subject_by, nowMs()};
  storage_.submit([record = std::move(record)](store::Database& db) { return store::saveRoom(db, record); },
                  logFailure("save the configuration", room.name));
}

void RoomPersistence::saveAffiliation(const std::string& room, const std::string& bare_jid,
                                      Affiliation affiliation, const std::string& reason) {
  storage_.submit(
      [room, bare_jid, affiliation, reason](store::Database& db) {
        return store::setRoomAffiliation(db, room, bare_jid, affiliationName(affiliation), reason);
      },
      logFailure("save an affiliation", room));
}

void RoomPersistence::deleteRoom(const std::string& room) {
  storage_.submit(
      [room](store::Database& db) -> Status {
        auto deleted = store::deleteRoom(db, room);
        if (!deleted) return deleted.error();
        return {};
      },
      logFailure("delete the record", room));
}

void RoomPersistence::saveAddressBan(const std::string& room, const std::string& address,
                                     const std::string& reason) {
  storage_.submit(
      [record = store::RoomAddressBanRecord{room, address, reason, nowMs()}](store::Database& db) {
        return store::setRoomAddressBan(db, record);
      },
      logFailure("save a ban by address", room));
}

void RoomPersistence::deleteAddressBan(const std::string& room, const std::string& address) {
  storage_.submit(
      [room, address](store::Database& db) -> Status {
        auto deleted = store::deleteRoomAddressBan(db, room, address);
        if (!deleted) return deleted.error();
        return {};
      },
      logFailure("delete a ban by address", room));
}

void RoomPersistence::archive(const std::string& room, const ArchivedMessage& message,
                              std::function<void(Status)> done) {
  store::ArchiveRow row;
  row.room = room;
  row.stanza_id = message.stanza_id;
  row.at_us = toMicros(message.at);
  row.visible_at_us = toMicros(message.visible_at);
  row.nick = message.nick;
  row.occupant_id = message.occupant_id;
  row.stanza = message.xml;
  row.retracted = message.retracted;
  storage_.submit(
      [row = std::move(row)](store::Database& db) -> Status {
        auto seq = store::appendArchived(db, row);
        if (!seq) return seq.error();
        return {};
      },
      [room, done = std::move(done)](Status status) {
        if (!status) spdlog::error("muc: could not archive a message of room {}: {}", room, status.error().message);
        done(std::move(status));
      });
}

void RoomPersistence::query(const std::string& room, const MamQuery& query,
                            std::optional<std::chrono::system_clock::time_point> visible_at_most,
                            std::function<void(Result<ArchivePage>)> done) {
  store::ArchiveQuery q;
  q.room = room;
  q.with_nick = query.with_nick;
  if (query.start) q.start_us = toMicros(*query.start);
  if (query.end) q.end_us = toMicros(*query.end);
  if (visible_at_most) q.visible_at_most_us = toMicros(*visible_at_most);
  q.after_id = query.after_id;
  q.before_id = query.before_id;
  q.ids = query.ids;
  q.from_end = query.from_end;
  q.max = query.max;
  auto result = std::make_shared<std::optional<Result<ArchivePage>>>();
  storage_.submit(
      [q = std::move(q), result](store::Database& db) -> Status {
        auto page = store::queryArchive(db, q);
        if (!page) {
          result->emplace(page.error());
          return {};
        }
        ArchivePage out;
        out.complete = page->complete;
        out.unknown_id = page->unknown_id;
        for (auto& row : page->rows) out.messages.push_back(fromRow(std::move(row)));
        result->emplace(std::move(out));
        return {};
      },
      [result, done = std::move(done)](Status status) {
        if (!status) {
          done(status.error());
        } else if (!*result) {
          done(makeError("the archive query did not run"));
        } else {
          done(std::move(**result));
        }
      });
}

void RoomPersistence::retract(const std::string& room, const std::string& stanza_id,
                              std::optional<std::string> required_occupant_id,
                              std::function<std::string(const ArchivedMessage&)> make_tombstone,
                              std::function<void(Result<std::optional<ArchivedMessage>>)> done) {
  using Outcome = Result<std::optional<ArchivedMessage>>;
  auto result = std::make_shared<std::optional<Outcome>>();
  storage_.submit(
      [room, stanza_id, required = std::move(required_occupant_id),
       make = std::move(make_tombstone), result](store::Database& db) -> Status {
        auto row = store::findArchived(db, room, stanza_id);
        if (!row) return row.error();
        if (!*row) {
          result->emplace(std::optional<ArchivedMessage>());
          return {};
        }
        ArchivedMessage original = fromRow(std::move(**row));
        if (required && *required != original.occupant_id) {
          result->emplace(makeError("forbidden"));
          return {};
        }
        auto changed = store::retractArchived(db, room, stanza_id, make(original));
        if (!changed) return changed.error();
        result->emplace(std::optional<ArchivedMessage>(std::move(original)));
        return {};
      },
      [result, done = std::move(done)](Status status) {
        if (!status) {
          done(status.error());
        } else if (!*result) {
          done(makeError("the retraction did not run"));
        } else {
          done(std::move(**result));
        }
      });
}

void RoomPersistence::pruneArchive(std::chrono::system_clock::time_point before) {
  // One bounded batch per job; a full batch queues the next, so a large backlog is cleared in
  // steps with other jobs (and their group commits) in between.
  const std::int64_t before_us = toMicros(before);
  auto pruned = std::make_shared<std::int64_t>(0);
  storage_.submit(
      [before_us, pruned](store::Database& db) -> Status {
        auto count = store::pruneArchive(db, before_us, kPruneBatch);
        if (!count) return count.error();
        *pruned = *count;
        return {};
      },
      [this, before, pruned](Status status) {
        if (!status) {
          spdlog::error("muc: pruning the archive failed: {}", status.error().message);
          return;
        }
        if (*pruned > 0) spdlog::info("muc: pruned {} archived messages past retention", *pruned);
        if (static_cast<std::size_t>(*pruned) == kPruneBatch) pruneArchive(before);
      });
}

void RoomPersistence::logModeration(const std::string& room, const ModerationRecord& record) {
  store::ModerationLogEntry entry;
  entry.room = room;
  entry.at_ms = nowMs();
  entry.actor = record.actor;
  entry.actor_nick = record.actor_nick;
  entry.action = record.action;
  entry.target = record.target;
  entry.reason = record.reason;
  storage_.submit(
      [entry = std::move(entry)](store::Database& db) -> Status {
        auto id = store::appendModerationLog(db, entry);
        if (!id) return id.error();
        return {};
      },
      logFailure("log a moderation action", room));
}

Result<std::vector<LoadedRoom>> RoomPersistence::loadAll(std::size_t recent_limit) {
  std::optional<Result<std::vector<LoadedRoom>>> loaded;
  storage_.submit([&loaded, recent_limit](store::Database& db) -> Status {
    auto rooms = store::listRooms(db);
    if (!rooms) {
      loaded.emplace(rooms.error());
      return {};
    }
    auto affiliations = store::listRoomAffiliations(db);
    if (!affiliations) {
      loaded.emplace(affiliations.error());
      return {};
    }
    std::vector<LoadedRoom> out;
    std::map<std::string, std::size_t> by_name;
    for (auto& record : *rooms) {
      by_name[record.name] = out.size();
      LoadedRoom room;
      room.room = StoredRoom{record.name, record.config_json, record.subject, record.subject_by};
      out.push_back(std::move(room));
    }
    for (auto& a : *affiliations) {
      auto it = by_name.find(a.room);
      auto affiliation = parseAffiliation(a.affiliation);
      if (it == by_name.end() || !affiliation) continue;
      out[it->second].affiliations[a.jid] = {*affiliation, a.reason};
    }
    auto bans = store::listRoomAddressBans(db);
    if (!bans) {
      loaded.emplace(bans.error());
      return {};
    }
    for (auto& ban : *bans) {
      auto it = by_name.find(ban.room);
      if (it != by_name.end()) out[it->second].address_bans[ban.address] = ban.reason;
    }
    for (auto& room : out) {
      // One more than kept: tells whether the archive holds older messages than memory.
      auto latest = store::latestArchived(db, room.room.name, recent_limit + 1);
      if (!latest) {
        loaded.emplace(latest.error());
        return {};
      }
      room.recent_holds_everything = latest->size() <= recent_limit;
      if (!room.recent_holds_everything) latest->erase(latest->begin());
      for (auto& row : *latest) room.recent.push_back(fromRow(std::move(row)));
    }
    loaded.emplace(std::move(out));
    return {};
  });
  storage_.flush();
  if (!loaded) return makeError("rooms: the storage did not run the load");
  return std::move(*loaded);
}

}  // namespace throng::chat::muc
