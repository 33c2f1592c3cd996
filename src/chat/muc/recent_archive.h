// The newest part of a room's archive, kept in memory: the page every joining ConverseJS asks
// for (XEP-0313 query with RSM <before/>) is answered from here without touching the disk,
// and corrections and retractions find the message they name here (design.md §2: history read
// from files on every join is what stalled Prosody).
//
// A query is answered from memory only when memory holds every message that could be in its
// page; otherwise select() says so and the room asks the archive in SQLite. Every entry here
// is also in SQLite (the room adds an entry after its commit).
#pragma once

#include "chat/muc/mam_query.h"

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace throng::chat::muc {

// Messages a room keeps in memory: at a busy event's 50 messages/s, the last 10 seconds; in a
// quieter room, the last hours. Corrections and retractions by their author look further back
// through SentIds (room.h).
inline constexpr std::size_t kRecentArchiveSize = 500;

struct ArchivedMessage {
  using TimePoint = std::chrono::system_clock::time_point;

  std::string stanza_id;    // XEP-0359 id the room gave it
  std::string client_id;    // the sender's 'id' (XEP-0308 corrections and XEP-0424 :0 name it)
  TimePoint at;
  TimePoint visible_at;     // at + the moderation delay in force when it was sent
  std::string nick;
  std::string occupant_id;  // XEP-0421
  std::string xml;          // the <message/> as broadcast, without 'to'; a tombstone once retracted
  bool retracted = false;
};

struct ArchiveSelection {
  std::vector<const ArchivedMessage*> messages;  // oldest first
  bool complete = true;
};

class RecentArchive {
 public:
  using TimePoint = ArchivedMessage::TimePoint;

  explicit RecentArchive(std::size_t capacity) : capacity_(capacity) {}

  // Appends the newest message; the oldest falls out past the capacity.
  void add(ArchivedMessage message);
  // The room's whole archive is here (a new room, or a restored one with few messages).
  void setHoldsEverything(bool value) { holds_everything_ = value; }
  bool holdsEverything() const { return holds_everything_; }

  ArchivedMessage* find(const std::string& stanza_id);
  // The newest message by this occupant whose sender id or stanza id is `id`.
  ArchivedMessage* findFrom(const std::string& occupant_id, const std::string& id);

  // The page for `query`, or nullopt when memory cannot answer it exactly. With
  // `visible_at_most`, messages still held by the moderation delay are left out.
  std::optional<ArchiveSelection> select(const MamQuery& query,
                                         std::optional<TimePoint> visible_at_most) const;

  std::size_t size() const { return entries_.size(); }

 private:
  bool matches(const ArchivedMessage& m, const MamQuery& query,
               std::optional<TimePoint> visible_at_most) const;

  std::size_t capacity_;
  std::deque<ArchivedMessage> entries_;  // oldest first
  bool holds_everything_ = true;
};

}  // namespace throng::chat::muc
