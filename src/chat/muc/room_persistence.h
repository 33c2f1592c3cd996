// Where rooms keep what must survive a restart, in SQLite through the storage thread:
// persistent rooms with their affiliations and bans by address (store/rooms.h), every room's
// message archive (store/archive.h) and the moderation audit log.
// Calls come from any worker and return at once. Completions run on the storage thread, after
// the commit; the caller posts them where it needs them. Fire-and-forget writes log failures.
#pragma once

#include "base/result.h"
#include "chat/muc/room_environment.h"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace throng::store {
class Storage;
}

namespace throng::chat::muc {

struct LoadedRoom {
  StoredRoom room;
  std::map<std::string, std::pair<Affiliation, std::string>> affiliations;
  std::map<std::string, std::string> address_bans;  // address → reason
  std::vector<ArchivedMessage> recent;  // the newest archived messages, oldest first
  bool recent_holds_everything = true;  // `recent` is the whole archive of the room
};

class RoomPersistence {
 public:
  explicit RoomPersistence(store::Storage& storage) : storage_(storage) {}

  void saveRoom(const StoredRoom& room);
  void saveAffiliation(const std::string& room, const std::string& bare_jid,
                       Affiliation affiliation, const std::string& reason);
  void deleteRoom(const std::string& room);

  void saveAddressBan(const std::string& room, const std::string& address, const std::string& reason);
  void deleteAddressBan(const std::string& room, const std::string& address);

  // The archive. `done` runs on the storage thread after the commit.
  void archive(const std::string& room, const ArchivedMessage& message,
               std::function<void(Status)> done);
  void query(const std::string& room, const MamQuery& query,
             std::optional<std::chrono::system_clock::time_point> visible_at_most,
             std::function<void(Result<ArchivePage>)> done);
  void retract(const std::string& room, const std::string& stanza_id,
               std::optional<std::string> required_occupant_id,
               std::function<std::string(const ArchivedMessage&)> make_tombstone,
               std::function<void(Result<std::optional<ArchivedMessage>>)> done);
  // Deletes archived messages older than `before`, in bounded batches (background).
  void pruneArchive(std::chrono::system_clock::time_point before);

  void logModeration(const std::string& room, const ModerationRecord& record);

  // Every stored room with its affiliations, bans and newest `recent_limit` archived
  // messages. Blocks: startup only.
  Result<std::vector<LoadedRoom>> loadAll(std::size_t recent_limit);

 private:
  store::Storage& storage_;  // outlives this
};

}  // namespace throng::chat::muc
