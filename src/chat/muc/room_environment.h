// What a Room needs from the world, as one small interface (style.md rule 7), so the room's
// logic runs in unit tests without workers or sockets. MucShard implements it in the server.
//
// Ordering contract: everything a room asks for one worker (deliver, admit, dismiss,
// broadcast, setModerator) is carried out on that worker in the order asked. The room relies
// on it: a joiner's presence is broadcast before the joiner is admitted, so the joiner does
// not receive it twice.
#pragma once

#include "base/result.h"
#include "chat/muc/mam_query.h"
#include "chat/muc/recent_archive.h"
#include "chat/muc/roles.h"
#include "chat/routed_stanza.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
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

// Who receives a broadcast. The moderation delay shows a message to moderators at once and
// to everyone else when the delay is over.
enum class Audience : std::uint8_t { kEveryone, kModerators, kNonModerators };

// A page read from the archive for a MAM query.
struct ArchivePage {
  std::vector<ArchivedMessage> messages;  // oldest first
  bool complete = true;
  bool unknown_id = false;  // a paging id names no message of the room (item-not-found)
};

// One moderation action for the audit log.
struct ModerationRecord {
  std::string actor;       // real bare JID of the moderator; empty for the room itself
  std::string actor_nick;
  std::string action;      // kick, ban, unban, mute, unmute, retract, config, ip-ban, ...
  std::string target;      // nick, bare JID, address or stanza id
  std::string reason;
};

struct StoredRoom {
  std::string name;
  std::string config_json;
  std::string subject;
  std::string subject_by;
};

// The state of the event's stream that shares the room's name, for the status push.
struct RoomStreamState {
  bool live = false;          // someone publishes
  std::int64_t viewers = 0;   // WebRTC viewers
  bool operator==(const RoomStreamState&) const = default;
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
  // To part of the room only (see Audience).
  virtual void broadcastTo(const std::string& room, RoutedStanza stanza, Audience audience,
                           std::optional<StreamAddress> except) = 0;

  // The archive (XEP-0313). Every `done` is called later on the room's home worker, in the
  // order the calls were made; never from within the call. The room must check that it
  // still exists (Room::guarded) before touching itself from a `done`.
  //
  // Commits `message` (group commit on the storage thread); the room broadcasts it once
  // done(ok) says it is durable.
  virtual void archive(const std::string& room, ArchivedMessage message,
                       std::function<void(Status)> done) = 0;
  virtual void queryArchive(const std::string& room, MamQuery query,
                            std::optional<std::chrono::system_clock::time_point> visible_at_most,
                            std::function<void(Result<ArchivePage>)> done) = 0;
  // Replaces the message `stanza_id` with the tombstone `make_tombstone` builds from it (run
  // on the storage thread), unless `required_occupant_id` is set and is not the author's.
  // done gets the original message, or nullopt when the room has no such message; a
  // message by someone else is an Error "forbidden".
  virtual void retractArchived(
      const std::string& room, std::string stanza_id, std::optional<std::string> required_occupant_id,
      std::function<std::string(const ArchivedMessage& original)> make_tombstone,
      std::function<void(Result<std::optional<ArchivedMessage>>)> done) = 0;

  // The audit log (fire-and-forget).
  virtual void logModeration(const std::string& room, ModerationRecord record) = 0;
  // Bans of anonymous users by address (persistent rooms only keep them across restarts).
  virtual void saveAddressBan(const std::string& room, const std::string& address,
                              const std::string& reason) = 0;
  virtual void deleteAddressBan(const std::string& room, const std::string& address) = 0;
  // Room::onWake is called on the home worker at `when` (or soon after).
  virtual void wakeAt(const std::string& room, std::chrono::system_clock::time_point when) = 0;

  // Persistence of persistent rooms (fire-and-forget: failures are logged by the environment).
  virtual void saveRoom(const StoredRoom& room) = 0;
  virtual void saveAffiliation(const std::string& room, const std::string& bare_jid,
                               Affiliation affiliation, const std::string& reason) = 0;
  virtual void deleteRoom(const std::string& room) = 0;

  virtual std::chrono::system_clock::time_point now() = 0;
  // XEP-0421: stable per (room, real bare JID), unlinkable across rooms.
  virtual std::string occupantId(const std::string& room, const std::string& bare_jid) = 0;
  virtual std::string randomId() = 0;
  // The event stream named like the room, if there is one (nothing: a room without a stream).
  virtual std::optional<RoomStreamState> streamState(const std::string& /*room*/) {
    return std::nullopt;
  }
};

}  // namespace throng::chat::muc
