// SASL on the server side (RFC 4422, as XMPP profiles it in RFC 6120 §6): one ServerMechanism
// object per authentication exchange, fed the client's messages in order.
//
// Mechanisms are pure: no I/O, no clock, no storage access. Credentials come through a lookup
// the chat session answers from memory, randomness (SCRAM's server nonce) through an injected
// function, so a test drives an exchange byte for byte (tests/unit/chat/sasl_*_test.cpp).
//
// Life of an exchange (the chat session owns the object, on its worker thread):
//   <auth mechanism='X'>b64</auth>  -> base64-decode -> step(data) -> SaslOutcome
//     kContinue -> <challenge>b64(data)</challenge>, wait for <response>, step() again
//     kSuccess  -> <success>b64(data)</success> (data = RFC 6120 §6.3.10 additional data)
//     kFailure  -> <failure><{condition}/></failure>; the object is spent
// Base64 framing, the <abort/> element and which mechanisms to offer (PLAIN only over TLS:
// RFC 6120 §6.4.2 "encryption-required") belong to the session, not here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace throng::chat::sasl {

// RFC 6120 §6.5 defined conditions that the mechanisms here produce.
inline constexpr std::string_view kMalformedRequest = "malformed-request";
inline constexpr std::string_view kNotAuthorized = "not-authorized";
inline constexpr std::string_view kInvalidAuthzid = "invalid-authzid";
inline constexpr std::string_view kTemporaryAuthFailure = "temporary-auth-failure";

// Bound on one decoded client message. The longest legitimate SCRAM message is a few hundred
// bytes (names, a nonce, a proof); 4 KiB leaves room for long UTF-8 names and extensions while
// keeping a hostile client from making the server hash megabytes.
inline constexpr std::size_t kMaxClientMessageBytes = 4096;

struct SaslOutcome {
  enum class State { kContinue, kSuccess, kFailure };

  State state = State::kFailure;
  // kContinue: the challenge; kSuccess: additional data (may be empty). Raw bytes: the session
  // base64-encodes them.
  std::string data;
  // kFailure: an RFC 6120 §6.5 condition element name, e.g. "not-authorized".
  std::string condition;
  // kSuccess: the authenticated username (the XMPP localpart); empty for ANONYMOUS.
  std::string username;

  static SaslOutcome challenge(std::string data) {
    return {State::kContinue, std::move(data), {}, {}};
  }
  static SaslOutcome success(std::string additional_data, std::string user) {
    return {State::kSuccess, std::move(additional_data), {}, std::move(user)};
  }
  static SaslOutcome failure(std::string_view why) {
    return {State::kFailure, {}, std::string(why), {}};
  }
};

class ServerMechanism {
 public:
  virtual ~ServerMechanism() = default;

  // The IANA-registered mechanism name, as offered in <mechanisms/>, e.g. "SCRAM-SHA-256".
  virtual std::string_view name() const = 0;

  // Consumes the client's next message (already base64-decoded; the initial response counts
  // as the first). An empty first message means "no initial response" for mechanisms that
  // need one: the answer is an empty challenge (RFC 6120 §6.4.2). After kSuccess or kFailure
  // every further call fails with malformed-request.
  virtual SaslOutcome step(std::string_view client_data) = 0;
};

}  // namespace throng::chat::sasl
