// MucShard: the chat rooms' side of one worker (XEP-0045). It plays two parts:
//
//  - home of the rooms that hash to this worker: every stanza for such a room is posted here
//    and handled by its Room, in order (RoomEnvironment is implemented here);
//  - fan-out for this worker's own streams: a room posts each serialized stanza once per
//    worker, and the worker hands it to its local occupants' outboxes (fanOut()).
//
// So a message to 10,000 occupants spread over W workers costs W posts, and each worker
// touches only its own connections (design.md §4). Nothing here takes a lock on that path.
//
// Threading: every method runs on this shard's worker; the comments say who posts them.
#pragma once

#include "chat/muc/room.h"
#include "chat/muc/room_persistence.h"

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace throng::chat {
class ChatService;
class ChatShard;
class ClientStream;
}  // namespace throng::chat

namespace throng::chat::muc {

class MucShard final : public RoomEnvironment {
 public:
  MucShard(ChatService& service, ChatShard& shard, std::size_t index);
  ~MucShard() override;

  // A bound client's stanza to the MUC domain (on the client's worker).
  void fromClient(ClientStream& stream, std::uint64_t serial, proto::XmlElement stanza,
                  const proto::Jid& to);
  // A local stream ended: leave every room it was in (on the stream's worker).
  void streamGone(const std::string& full_jid, std::uint64_t serial);

  // Posted to the home worker.
  void roomStanza(Sender sender, proto::XmlElement stanza, const proto::Jid& to);
  void roomStreamGone(const std::string& room, const StreamAddress& who);
  // Creates a live event's room unless it exists (startup and event creation).
  void ensureEventRoom(const std::string& name, const std::string& title);
  void restoreRoom(const LoadedRoom& loaded);

  // Posted by a room's home to every worker (fan-out side).
  void fanOut(const std::string& room, const RoutedStanza& for_all,
              const std::optional<RoutedStanza>& for_moderators,
              const std::optional<StreamAddress>& except, Audience audience);
  void admitLocal(const std::string& room, const StreamAddress& who, bool moderator,
                  const std::vector<RoutedStanza>& join_sequence);
  void dismissLocal(const std::string& room, const StreamAddress& who,
                    const std::vector<RoutedStanza>& last);
  void setLocalModerator(const std::string& room, const StreamAddress& who, bool moderator);
  void deliverLocal(const StreamAddress& to, const std::vector<RoutedStanza>& stanzas);

  // Starts the occupant-count timer (on this worker).
  void start();
  void stop();
  // Off the worker, once its thread has stopped: the timer must not outlive the io_context.
  void releaseTimer() {
    count_timer_.reset();
    wake_timer_.reset();
  }

  std::size_t homedRooms() const { return rooms_.size(); }

  // RoomEnvironment, for the rooms homed here.
  void deliver(const StreamAddress& to, std::vector<RoutedStanza> stanzas) override;
  void admit(const std::string& room, const StreamAddress& who, bool moderator,
             std::vector<RoutedStanza> join_sequence) override;
  void dismiss(const std::string& room, const StreamAddress& who,
               std::vector<RoutedStanza> last) override;
  void setModerator(const std::string& room, const StreamAddress& who, bool moderator) override;
  void broadcast(const std::string& room, RoutedStanza for_all,
                 std::optional<RoutedStanza> for_moderators,
                 std::optional<StreamAddress> except) override;
  void broadcastTo(const std::string& room, RoutedStanza stanza, Audience audience,
                   std::optional<StreamAddress> except) override;
  void archive(const std::string& room, ArchivedMessage message,
               std::function<void(Status)> done) override;
  void queryArchive(const std::string& room, MamQuery query,
                    std::optional<std::chrono::system_clock::time_point> visible_at_most,
                    std::function<void(Result<ArchivePage>)> done) override;
  void retractArchived(const std::string& room, std::string stanza_id,
                       std::optional<std::string> required_occupant_id,
                       std::function<std::string(const ArchivedMessage& original)> make_tombstone,
                       std::function<void(Result<std::optional<ArchivedMessage>>)> done) override;
  void logModeration(const std::string& room, ModerationRecord record) override;
  void saveAddressBan(const std::string& room, const std::string& address,
                      const std::string& reason) override;
  void deleteAddressBan(const std::string& room, const std::string& address) override;
  void wakeAt(const std::string& room, std::chrono::system_clock::time_point when) override;
  void saveRoom(const StoredRoom& room) override;
  void saveAffiliation(const std::string& room, const std::string& bare_jid,
                       Affiliation affiliation, const std::string& reason) override;
  void deleteRoom(const std::string& room) override;
  std::chrono::system_clock::time_point now() override;
  std::string occupantId(const std::string& room, const std::string& bare_jid) override;
  std::string randomId() override;
  std::optional<RoomStreamState> streamState(const std::string& room) override;

 private:
  struct LocalMember {
    ClientStream* stream;  // non-owning: removed when the stream unbinds
    std::uint64_t serial;
    bool moderator;
  };
  struct LocalRoom {
    std::vector<LocalMember> members;
    std::unordered_map<std::string, std::size_t> index;  // full JID → position in members
  };

  void serviceStanza(ClientStream& stream, const proto::XmlElement& stanza);
  Room* findRoom(const std::string& name);
  void removeLocal(const std::string& room, const std::string& full_jid);
  void removeFinishedRoom(const std::string& name);
  void armTimer();
  void armWakeTimer();
  // Runs `f` on this (the home) worker: how archive completions come back from the storage
  // thread.
  template <class F>
  void postHere(F f);

  ChatService& service_;  // owns the shard that owns this
  ChatShard& shard_;
  std::size_t index_;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;  // homed here
  std::unordered_map<std::string, LocalRoom> local_;              // fan-out tables
  std::unordered_map<std::string, std::vector<std::string>> joined_;  // full JID → rooms
  std::unique_ptr<boost::asio::steady_timer> count_timer_;
  // Rooms' wake-up times (moderation delay), earliest first; one timer for all of them.
  std::multimap<std::chrono::system_clock::time_point, std::string> wakes_;
  std::unique_ptr<boost::asio::steady_timer> wake_timer_;
  bool in_fan_out_ = false;
};

}  // namespace throng::chat::muc
