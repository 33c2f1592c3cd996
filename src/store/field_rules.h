// Validation shared by the room repositories (rooms.h, moderation_log.h): room names and JIDs
// that become parts of XMPP addresses, and bounded free text. Errors name the field
// ("<field>: ..."), the contract of every repository.
#pragma once

#include "base/result.h"

#include <cstddef>
#include <string_view>

namespace throng::store {

// RFC 7622 §3.3.1 allows localparts up to 1023 bytes; 256 is plenty for a room name and keeps
// room JIDs readable in clients and logs.
inline constexpr std::size_t kMaxRoomNameBytes = 256;
// Each JID part is at most 1023 bytes (RFC 7622 §3.2.1, §3.3.1, §3.4.1), so no JID is longer
// than 3 * 1023 + 2 separators = 3071 bytes; the exact form is the chat layer's to check.
inline constexpr std::size_t kMaxJidBytes = 3071;
// A nick is the resourcepart of an occupant JID (XEP-0045 §7.2), at most 1023 bytes
// (RFC 7622 §3.4.1).
inline constexpr std::size_t kMaxNickBytes = 1023;
// Reasons are free text shown to occupants and moderators; the bound keeps one row, and the
// stanza that carries it, small.
inline constexpr std::size_t kMaxReasonBytes = 1024;

// Strict UTF-8, 1..max_bytes, with no control character, no whitespace and none of the ASCII
// characters in `forbidden`. The store compares such values byte for byte; the chat layer
// normalizes them (proto/jid.h) before they get here.
Status validateAddress(std::string_view field, std::string_view value, std::size_t max_bytes,
                       std::string_view forbidden);
// A room localpart: an address without '@' or '/'.
Status validateRoomName(std::string_view field, std::string_view name);
// A bare JID: an address without '/' (a resource would make it a full JID).
Status validateBareJid(std::string_view field, std::string_view jid);
// Free text that ends up in XML or JSON: at most max_bytes of strict UTF-8 (a serializer
// given invalid UTF-8 fails at the worst moment, on read).
Status validateText(std::string_view field, std::string_view value, std::size_t max_bytes);

}  // namespace throng::store
