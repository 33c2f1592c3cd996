// The moderation audit log (table moderation_log): one row per moderation action in a room -
// who did what to whom, when and why - read by the room's owners and admins and by server
// admins through the admin API. Rows are appended, never changed, and kept for the life of
// the room (the archive's retention does not prune them).
// Runs on the storage thread only.
#pragma once

#include "base/result.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::store {

class Database;

// The actions a row may record (the `action` column). Names are the wire names: they appear
// as they are in the admin API's JSON.
namespace moderation_action {
inline constexpr std::string_view kKick = "kick";                // role none (XEP-0045 §8.2)
inline constexpr std::string_view kBan = "ban";                  // affiliation outcast (§9.1)
inline constexpr std::string_view kUnban = "unban";              // outcast removed
inline constexpr std::string_view kMute = "mute";                // role visitor (§8.4)
inline constexpr std::string_view kUnmute = "unmute";            // voice given back (§8.3)
inline constexpr std::string_view kRetract = "retract";          // message moderated (XEP-0425)
inline constexpr std::string_view kConfig = "config";            // configuration changed (§10.2)
inline constexpr std::string_view kIpBan = "ip-ban";             // network address banned
inline constexpr std::string_view kIpUnban = "ip-unban";         // network address ban lifted
inline constexpr std::string_view kRole = "role";                // other role change (§8, §9.6)
inline constexpr std::string_view kAffiliation = "affiliation";  // other affiliation change
inline constexpr std::string_view kDestroy = "destroy";          // room destroyed (§10.9)

inline constexpr std::array<std::string_view, 12> kAll = {
    kKick,   kBan,   kUnban,   kMute, kUnmute,      kRetract,
    kConfig, kIpBan, kIpUnban, kRole, kAffiliation, kDestroy};
}  // namespace moderation_action

bool isModerationAction(std::string_view action);

struct ModerationLogEntry {
  std::int64_t id = 0;     // assigned by appendModerationLog (ignored on append); increasing
  std::string room;        // room localpart: 1..256 bytes, no '@', '/' or whitespace
  std::int64_t at_ms = 0;  // Unix time, milliseconds; >= 0
  std::string actor;       // real bare JID of the moderator, 1..3071 bytes; "" for the server
  std::string actor_nick;  // the moderator's nick in the room, at most 1023 bytes
  std::string action;      // one of moderation_action::kAll
  std::string target;      // nick, bare JID, address or stanza id; at most 3071 bytes
  std::string reason;      // at most 1024 bytes
};

// Text fields are strict UTF-8. Errors name the field whose rule was broken ("room: ...",
// "action: ...").
Status validateModerationLogEntry(const ModerationLogEntry& entry);

// Appends one row; returns its id. The room need not be stored (non-persistent rooms are
// moderated too), so there is no foreign key to rooms.
Result<std::int64_t> appendModerationLog(Database& db, const ModerationLogEntry& entry);

// Most rows one listModerationLog call returns: a page is one SQLite read on the storage
// thread and one HTTP response, so both stay small.
inline constexpr std::size_t kMaxModerationLogPage = 500;

struct ModerationLogPage {
  std::vector<ModerationLogEntry> entries;  // newest first (descending id)
  // Pass as before_id to get the next (older) page; nullopt when there is none.
  std::optional<std::int64_t> next_before;
};

// `room`'s rows with id < before_id (every row when nullopt), newest first, at most `limit`
// (1..kMaxModerationLogPage; larger values are capped). Error for limit 0.
Result<ModerationLogPage> listModerationLog(Database& db, std::string_view room,
                                            std::optional<std::int64_t> before_id,
                                            std::size_t limit);

// Whether `room` has any row (a room that is not stored may still have a log).
Result<bool> hasModerationLog(Database& db, std::string_view room);

}  // namespace throng::store
