#include "chat/muc/room_persistence.h"

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

Result<std::vector<LoadedRoom>> RoomPersistence::loadAll() {
  std::optional<Result<std::vector<LoadedRoom>>> loaded;
  storage_.submit([&loaded](store::Database& db) -> Status {
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
      out.push_back(LoadedRoom{StoredRoom{record.name, record.config_json, record.subject,
                                          record.subject_by},
                               {}});
    }
    for (auto& a : *affiliations) {
      auto it = by_name.find(a.room);
      auto affiliation = parseAffiliation(a.affiliation);
      if (it == by_name.end() || !affiliation) continue;
      out[it->second].affiliations[a.jid] = {*affiliation, a.reason};
    }
    loaded.emplace(std::move(out));
    return {};
  });
  storage_.flush();
  if (!loaded) return makeError("rooms: the storage did not run the load");
  return std::move(*loaded);
}

}  // namespace throng::chat::muc
