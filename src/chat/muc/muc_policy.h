// Service-wide MUC settings that apply to every room (from the [xmpp] configuration).
#pragma once

#include "chat/muc/roles.h"

#include <chrono>
#include <cstddef>
#include <set>
#include <string>

namespace throng::chat::muc {

struct MucPolicy {
  // Bare JIDs that own every room (xmpp.admins): the operator and the event's moderators.
  std::set<std::string> admins;
  // Occupants beyond which bodyless groupchat (chat states) is dropped
  // (xmpp.muc_drop_bodyless_above).
  std::size_t drop_bodyless_above = 100;
  // Whose presence an event's room broadcasts (xmpp.event_room_presence_broadcast).
  RoleSet event_presence_broadcast{Role::kModerator, Role::kParticipant};
  // Whether SASL ANONYMOUS users may create rooms by joining them (accounts always may).
  bool anonymous_may_create = false;
  // Addresses that bans by address never apply to (xmpp.proxy_addresses): a reverse proxy's
  // clients all arrive from its address, so banning it would ban everyone behind it.
  std::set<std::string> address_ban_exempt{"127.0.0.1", "::1"};
  // How long the archive keeps messages (xmpp.mam_retention_days).
  std::chrono::hours archive_retention{24 * 7};
};

}  // namespace throng::chat::muc
