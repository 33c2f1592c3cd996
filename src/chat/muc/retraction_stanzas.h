// The stanzas of message retraction: what a room broadcasts when a moderator removes a message
// (XEP-0425) and what the archive keeps in its place (tombstones, XEP-0424 §5.2 and XEP-0425
// §5). Clients speak two generations of these XEPs - ConverseJS 10+ the current
// urn:xmpp:message-moderate:1 with urn:xmpp:message-retract:1, older clients the fastening
// form (urn:xmpp:message-moderate:0, urn:xmpp:fasten:0) - so the room answers both in one
// stanza, as each client ignores the elements it does not know.
#pragma once

#include "proto/xml_element.h"

#include <chrono>
#include <string>

namespace throng::chat::muc {

struct Moderation {
  std::string moderator_jid;          // room@service/nick of the moderator
  std::string moderator_occupant_id;  // XEP-0421
  std::string reason;                 // may be empty
};

// Broadcast by the room: the message `stanza_id` was removed by a moderator.
proto::XmlElement moderationNotice(const std::string& room_jid, const std::string& stanza_id,
                                   const Moderation& moderation, const std::string& notice_id);

// What the archive keeps instead of a moderated message.
proto::XmlElement moderatedTombstone(const std::string& room_jid, const std::string& nick,
                                     const std::string& occupant_id, const std::string& stanza_id,
                                     const Moderation& moderation,
                                     std::chrono::system_clock::time_point when);

// What the archive keeps instead of a message its author retracted with the message
// `retraction_id` (XEP-0424 §5.2).
proto::XmlElement retractedTombstone(const std::string& room_jid, const std::string& nick,
                                     const std::string& occupant_id, const std::string& stanza_id,
                                     const std::string& retraction_id,
                                     std::chrono::system_clock::time_point when);

}  // namespace throng::chat::muc
