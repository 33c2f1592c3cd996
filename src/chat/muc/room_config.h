// A room's configuration (XEP-0045 §10.2) and its owner form (XEP-0004 data form with the
// muc#roomconfig_* fields of XEP-0045 §15.5.3), plus the JSON it is stored as.
#pragma once

#include "base/result.h"
#include "chat/muc/roles.h"
#include "proto/xml_element.h"

#include <cstdint>
#include <string>
#include <vector>

namespace throng::chat::muc {

enum class AllowPm : std::uint8_t { kAnyone, kParticipants, kModerators, kNone };

struct RoomConfig {
  std::string name;         // muc#roomconfig_roomname
  std::string description;  // muc#roomconfig_roomdesc
  bool persistent = false;  // muc#roomconfig_persistentroom: kept in SQLite, survives empty
  bool public_room = true;  // muc#roomconfig_publicroom: listed in the service's disco#items
  bool members_only = false;  // muc#roomconfig_membersonly
  bool moderated = false;     // muc#roomconfig_moderatedroom: visitors may not speak
  bool whois_anyone = false;  // muc#roomconfig_whois: real JIDs to anyone, else moderators
  // muc#roomconfig_presencebroadcast: whose presence the room sends to the other occupants.
  RoleSet presence_broadcast{Role::kModerator, Role::kParticipant, Role::kVisitor};
  bool occupants_change_subject = false;  // muc#roomconfig_changesubject
  AllowPm allow_pm = AllowPm::kAnyone;    // muc#roomconfig_allowpm
  std::uint32_t max_users = 0;            // muc#roomconfig_maxusers; 0 = no limit
  std::uint32_t history_length = 20;      // muc#maxhistoryfetch: the in-memory ring's size
  // throng#roomconfig_anonymous_visitors: SASL ANONYMOUS users join as visitors, so their
  // presence follows the visitor broadcast rule (docs/muc.md). In an unmoderated room a
  // visitor may still send messages (XEP-0045 §5.1.1: "configuration settings MAY modify
  // this privilege").
  bool anonymous_visitors = false;
  // throng#roomconfig_anonymous_muted: SASL ANONYMOUS users join as visitors without voice,
  // even in an unmoderated room; accounts speak as usual.
  bool anonymous_muted = false;
  // muc#roomconfig_slow_mode_duration (XEP-0500): seconds an occupant waits between two
  // messages; moderators are exempt. 0 = off.
  std::uint32_t slow_mode_seconds = 0;
  // throng#roomconfig_moderation_delay: seconds a message is shown to moderators only before
  // everyone else sees it, so that they can remove it first. 0 = off.
  std::uint32_t moderation_delay_seconds = 0;
  // throng#roomconfig_ban_anonymous_by_address: banning an anonymous user also bans their
  // network address (their JID is new on every connection).
  bool ban_anonymous_by_address = false;
  // throng#roomconfig_word_filter: messages whose body matches one of these patterns (RE2
  // syntax, case-insensitive; chat/muc/word_filter.h) are refused with a reason.
  std::vector<std::string> word_filter;

  // What a live event's room starts with: persistent, public, viewers' presence not broadcast.
  static RoomConfig forEvent(std::string title, RoleSet presence_broadcast);
};

inline constexpr std::uint32_t kMaxHistoryLength = 500;
inline constexpr std::uint32_t kMaxUsersLimit = 1'000'000;
inline constexpr std::uint32_t kMaxSlowModeSeconds = 3600;
inline constexpr std::uint32_t kMaxModerationDelaySeconds = 60;

// The owner's configuration form (type='form'), filled with `config`.
proto::XmlElement configForm(const RoomConfig& config);
// Applies a submitted form (type='submit') onto `config`. Unknown fields are ignored
// (XEP-0004 §3.4 lets a form processor skip them); a known field with a bad value is an
// error naming the field, and nothing is applied.
Status applyConfigForm(const proto::XmlElement& x, RoomConfig& config);

std::string configToJson(const RoomConfig& config);
// What changed, for the audit log: "slow_mode_seconds=5, word_filter=3 patterns".
std::string configChanges(const RoomConfig& before, const RoomConfig& after);
// Unknown keys are ignored and missing keys keep their defaults, so that older rows load.
Result<RoomConfig> configFromJson(std::string_view json);

}  // namespace throng::chat::muc
