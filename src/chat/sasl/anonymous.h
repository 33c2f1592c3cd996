// ANONYMOUS (RFC 4505): a guest login. The chat session gives the guest a fresh random
// resource-only identity; the mechanism only checks the optional trace string.
#pragma once

#include "chat/sasl/mechanism.h"

#include <memory>

namespace throng::chat::sasl {

// Succeeds with an empty username on any message that is a valid trace: empty, or up to 255
// UTF-8 characters without control characters (§3: message = [email / token], token =
// 1*255TCHAR). Anything else fails with malformed-request. The trace is not kept: it is
// client-supplied text and RFC 4505 §3 says it is not to be trusted.
std::unique_ptr<ServerMechanism> makeAnonymousServer();

}  // namespace throng::chat::sasl
