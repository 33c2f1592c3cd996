// PLAIN (RFC 4616): the client sends its password in one message. The chat session offers it
// only over TLS (RFC 6120 §6.4.2 "encryption-required" is its answer otherwise) and checks the
// password against the stored SCRAM-SHA-256 credentials with verifyPassword (scram.h).
#pragma once

#include "chat/sasl/mechanism.h"

#include <functional>
#include <memory>
#include <string_view>

namespace throng::chat::sasl {

// `verify(username, password)` says whether the password is right; it runs inside step() on
// the mechanism's thread and must not block. It is called only with a non-empty username and
// password and no authzid other than the username.
std::unique_ptr<ServerMechanism> makePlainServer(
    std::function<bool(std::string_view user, std::string_view password)> verify);

}  // namespace throng::chat::sasl
