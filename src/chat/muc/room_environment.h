// What a Room needs from the world, as one small interface (style.md rule 7), so the room's
// logic runs in unit tests without workers or sockets. MucShard implements it in the server.
//
// Ordering contract: everything a room asks for one worker (deliver, admit, dismiss,
// broadcast, setModerator) is carried out on that worker in the order asked. The room relies
// on it: a joiner's presence is broadcast before the joiner is admitted, so the joiner does
// not receive it twice.
#pragma once

#include "chat/muc/roles.h"
#include "chat/routed_stanza.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace throng::chat::muc {

// A real client stream: its full JID and the worker (shard) it lives on. The serial tells a
// reconnected stream that reuses the full JID from the one that joined.
struct StreamAddress {
  std::string full_jid;
  std::size_t shard = 0;
  std::uint64_t serial = 0;
};

struct StoredRoom {
  std::string name;
  std::string config_json;
  std::string subject;
  std::string subject_by;
};

class RoomEnvironment {
 public:
  virtual ~RoomEnvironment() = default;

  // Stanzas to one stream, in order.
  virtual void deliver(const StreamAddress& to, std::vector<RoutedStanza> stanzas) = 0;
  // The stream receives `join_sequence`, then enters the room's fan-out on its worker.
  virtual void admit(const std::string& room, const StreamAddress& who, bool moderator,
                     std::vector<RoutedStanza> join_sequence) = 0;
  // The stream leaves the room's fan-out on its worker, then receives `last`.
  virtual void dismiss(const std::string& room, const StreamAddress& who,
                       std::vector<RoutedStanza> last) = 0;
  // Moderators receive the variant of presences that carries real JIDs.
  virtual void setModerator(const std::string& room, const StreamAddress& who, bool moderator) = 0;
  // To every admitted stream of the room but `except`; moderators get `for_moderators` when
  // it is set.
  virtual void broadcast(const std::string& room, RoutedStanza for_all,
                         std::optional<RoutedStanza> for_moderators,
                         std::optional<StreamAddress> except) = 0;

  // Persistence of persistent rooms (fire-and-forget: failures are logged by the environment).
  virtual void saveRoom(const StoredRoom& room) = 0;
  virtual void saveAffiliation(const std::string& room, const std::string& bare_jid,
                               Affiliation affiliation, const std::string& reason) = 0;
  virtual void deleteRoom(const std::string& room) = 0;

  virtual std::chrono::system_clock::time_point now() = 0;
  // XEP-0421: stable per (room, real bare JID), unlinkable across rooms.
  virtual std::string occupantId(const std::string& room, const std::string& bare_jid) = 0;
  virtual std::string randomId() = 0;
};

}  // namespace throng::chat::muc
