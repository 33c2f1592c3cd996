// Event records (table events): one live event = one watch page, one chat room, one stream.
// Runs on the storage thread only.
#pragma once

#include "base/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::store {

class Database;

struct EventRecord {
  std::int64_t id = 0;
  std::string slug;         // URL name: [a-z0-9-], 1..64 characters, unique
  std::string title;        // 1..200 characters
  std::string description;  // 0..4000 characters
  std::int64_t created_at_ms = 0;
  std::string stream_key;   // secret for ingest; never logged, never in public views
  bool allow_takeover = false;  // a new WHIP publisher replaces a live one (else 409)
};

struct NewEvent {
  std::string slug;
  std::string title;
  std::string description;
  bool allow_takeover = false;
};

struct EventUpdate {
  std::optional<std::string> title;
  std::optional<std::string> description;
  bool rotate_stream_key = false;
  std::optional<bool> allow_takeover;
};

// Validation shared by the API and the store: returns an Error naming the field, or ok.
Status validateNewEvent(const NewEvent& event);
Status validateEventUpdate(const EventUpdate& update);
bool isValidSlug(std::string_view slug);

Result<std::vector<EventRecord>> listEvents(Database& db);
Result<std::optional<EventRecord>> findEvent(Database& db, std::string_view slug);
// Creates the event with a fresh random stream key. nullopt when the slug is taken.
Result<std::optional<EventRecord>> createEvent(Database& db, const NewEvent& event,
                                               std::int64_t now_ms);
// nullopt when no such event.
Result<std::optional<EventRecord>> updateEvent(Database& db, std::string_view slug,
                                               const EventUpdate& update);
// false when no such event.
Result<bool> deleteEvent(Database& db, std::string_view slug);

}  // namespace throng::store
