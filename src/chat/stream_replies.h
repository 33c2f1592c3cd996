// Stanzas a client stream writes on its own, without the chat core: errors for stanzas it
// refuses before routing, and the server's XEP-0199 ping. Pure builders and a classifier.
#pragma once

#include "proto/xml_element.h"

#include <optional>
#include <string_view>

namespace throng::chat {

// An IQ error answering `iq` during negotiation (RFC 6120 §8.3): its id kept, no addresses
// (the client has none yet).
proto::XmlElement negotiationIqError(const proto::XmlElement& iq, std::string_view type,
                                     std::string_view condition);

// RFC 6120 §8.3.3.18 resource-constraint, type 'wait', answering `stanza` from the bound
// client `client_jid`, with `text` saying why. Nothing for anything that is not a request —
// presence, message errors, IQ results and errors — which must never be answered with an
// error (RFC 6120 §8.3.1, §8.2.3) and are dropped silently instead.
std::optional<proto::XmlElement> resourceConstraint(const proto::XmlElement& stanza,
                                                    std::string_view client_jid,
                                                    std::string_view text);

// XEP-0199 §4.2: the server pings a client.
proto::XmlElement serverPing(std::string_view id, std::string_view from, std::string_view to);

// The client's answer to our ping `id`: an IQ result, or an error from a client that does not
// support the namespace (XEP-0199 §4.2). Either proves the client is there.
bool isPingAnswer(const proto::XmlElement& stanza, std::string_view id);

}  // namespace throng::chat
