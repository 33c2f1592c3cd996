// The XML namespaces the chat speaks, in one place (each with the document defining it).
#pragma once

#include <string_view>

namespace throng::chat {

inline constexpr std::string_view kClientNs = "jabber:client";  // RFC 6120 §4.8.3
inline constexpr std::string_view kStanzasNs = "urn:ietf:params:xml:ns:xmpp-stanzas";  // RFC 6120 §8.3
inline constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";  // RFC 6120 §6
inline constexpr std::string_view kTlsNs = "urn:ietf:params:xml:ns:xmpp-tls";  // RFC 6120 §5.4
inline constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";  // RFC 6120 §7
inline constexpr std::string_view kSessionNs = "urn:ietf:params:xml:ns:xmpp-session";  // RFC 3921 §3
inline constexpr std::string_view kRosterNs = "jabber:iq:roster";  // RFC 6121 §2
inline constexpr std::string_view kDataNs = "jabber:x:data";  // XEP-0004
inline constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";  // XEP-0030
inline constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";  // XEP-0030
inline constexpr std::string_view kMucNs = "http://jabber.org/protocol/muc";  // XEP-0045
inline constexpr std::string_view kMucUserNs = "http://jabber.org/protocol/muc#user";  // XEP-0045
inline constexpr std::string_view kMucAdminNs = "http://jabber.org/protocol/muc#admin";  // XEP-0045
inline constexpr std::string_view kMucOwnerNs = "http://jabber.org/protocol/muc#owner";  // XEP-0045
inline constexpr std::string_view kSelfPingFeature = "http://jabber.org/protocol/muc#self-ping-optimization";  // XEP-0410
inline constexpr std::string_view kVcardNs = "vcard-temp";  // XEP-0054
inline constexpr std::string_view kVcard4Ns = "urn:ietf:params:xml:ns:vcard-4.0";  // XEP-0292
inline constexpr std::string_view kPingNs = "urn:xmpp:ping";  // XEP-0199
inline constexpr std::string_view kDelayNs = "urn:xmpp:delay";  // XEP-0203
inline constexpr std::string_view kHintsNs = "urn:xmpp:hints";  // XEP-0334
inline constexpr std::string_view kStanzaIdNs = "urn:xmpp:sid:0";  // XEP-0359
inline constexpr std::string_view kOccupantIdNs = "urn:xmpp:occupant-id:0";  // XEP-0421
inline constexpr std::string_view kMamNs = "urn:xmpp:mam:2";  // XEP-0313
inline constexpr std::string_view kMamExtendedFeature = "urn:xmpp:mam:2#extended";  // XEP-0313 §7.1
inline constexpr std::string_view kRsmNs = "http://jabber.org/protocol/rsm";  // XEP-0059
inline constexpr std::string_view kForwardNs = "urn:xmpp:forward:0";  // XEP-0297
inline constexpr std::string_view kRetract0Ns = "urn:xmpp:message-retract:0";  // XEP-0424 < 0.4
inline constexpr std::string_view kRetractNs = "urn:xmpp:message-retract:1";  // XEP-0424
inline constexpr std::string_view kModerate0Ns = "urn:xmpp:message-moderate:0";  // XEP-0425 < 0.3
inline constexpr std::string_view kModerateNs = "urn:xmpp:message-moderate:1";  // XEP-0425
inline constexpr std::string_view kFastenNs = "urn:xmpp:fasten:0";  // XEP-0422
inline constexpr std::string_view kFallbackNs = "urn:xmpp:fallback:0";  // XEP-0428
inline constexpr std::string_view kCorrectNs = "urn:xmpp:message-correct:0";  // XEP-0308
inline constexpr std::string_view kOccupantsNs = "urn:throng:muc:occupants:0";  // throng's occupant-count push, docs/muc.md
inline constexpr std::string_view kStreamStateNs = "urn:throng:stream:0";  // the event stream's state, in the same push

}  // namespace throng::chat
