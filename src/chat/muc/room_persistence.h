// Where persistent rooms are kept: SQLite through the storage thread (store/rooms.h).
// Calls come from any worker and return at once; failures are logged, never thrown.
#pragma once

#include "base/result.h"
#include "chat/muc/room_environment.h"

#include <map>
#include <string>
#include <vector>

namespace throng::store {
class Storage;
}

namespace throng::chat::muc {

struct LoadedRoom {
  StoredRoom room;
  std::map<std::string, std::pair<Affiliation, std::string>> affiliations;
};

class RoomPersistence {
 public:
  explicit RoomPersistence(store::Storage& storage) : storage_(storage) {}

  void saveRoom(const StoredRoom& room);
  void saveAffiliation(const std::string& room, const std::string& bare_jid,
                       Affiliation affiliation, const std::string& reason);
  void deleteRoom(const std::string& room);

  // Every stored room with its affiliations. Blocks: startup only.
  Result<std::vector<LoadedRoom>> loadAll();

 private:
  store::Storage& storage_;  // outlives this
};

}  // namespace throng::chat::muc
