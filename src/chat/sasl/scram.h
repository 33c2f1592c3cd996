// SCRAM (RFC 5802) with SHA-1 and SHA-256 (RFC 7677): stored credentials and the server side of
// the exchange. throng offers no channel binding (-PLUS variants), so a client asking for it
// ("p=") is refused.
//
// Passwords are never stored: an account keeps, per hash, the salt, the iteration count,
// StoredKey and ServerKey (RFC 5802 §3), serialized into one string (store/accounts.h keeps it
// opaque).
#pragma once

#include "chat/sasl/mechanism.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace throng::chat::sasl {

enum class ScramHash { kSha1, kSha256 };

// RFC 7677 §4: "the iteration count ... SHOULD be at least 4096". Higher slows every login
// (and every PLAIN check, done server side) for little gain against a leaked database of
// random passwords; operators wanting more can re-derive with a larger count.
inline constexpr int kDefaultScramIterations = 4096;
// 16 random bytes = 128 bits, the NIST SP 800-132 §5.1 minimum salt length.
inline constexpr std::size_t kScramSaltBytes = 16;
// Refused by ScramCredentials::parse: a larger count (from a corrupt or hand-edited row)
// would stall the thread verifying a PLAIN password for seconds.
inline constexpr int kMaxScramIterations = 10'000'000;

struct ScramCredentials {
  std::string salt;  // raw bytes
  int iterations = 0;
  std::string stored_key;  // raw bytes: H(ClientKey); 20 (SHA-1) or 32 (SHA-256)
  std::string server_key;  // raw bytes: HMAC(SaltedPassword, "Server Key")

  // "iterations:base64(salt):base64(stored_key):base64(server_key)".
  std::string serialize() const;
  // nullopt unless the text is exactly that shape with 1..kMaxScramIterations iterations, a
  // non-empty salt and two keys of one digest length (20 or 32 bytes).
  static std::optional<ScramCredentials> parse(std::string_view text);

  bool operator==(const ScramCredentials&) const = default;
};

std::string_view scramMechanismName(ScramHash hash);  // "SCRAM-SHA-1" / "SCRAM-SHA-256"
std::size_t scramDigestBytes(ScramHash hash);         // 20 / 32

// The password as SCRAM hashes it (RFC 5802 §2.2 Normalize = SASLprep, RFC 4013), or nullopt
// if throng refuses it. Full SASLprep (or PRECIS OpaqueString, RFC 8265) is NOT implemented:
// a password is accepted only if it is non-empty strict UTF-8 without control characters, and
// is then used unchanged. For printable ASCII - what nearly every client sends - that is
// exactly SASLprep's output; for other text it differs only where SASLprep would map
// (non-ASCII spaces, soft hyphens, compatibility forms), so a client that normalizes such a
// password will not match the stored key.
std::optional<std::string> preparePassword(std::string_view password);

// RFC 5802 §3: SaltedPassword = Hi(Normalize(password), salt, i) (PBKDF2-HMAC), ClientKey =
// HMAC(SaltedPassword, "Client Key"), StoredKey = H(ClientKey), ServerKey =
// HMAC(SaltedPassword, "Server Key"). The caller has checked the password with
// preparePassword() (which leaves accepted passwords unchanged); `iterations` >= 1.
ScramCredentials deriveScramCredentials(ScramHash hash, std::string_view password,
                                        std::string_view salt, int iterations);

// deriveScramCredentials with a fresh kScramSaltBytes salt from OpenSSL's CSPRNG (throws
// std::runtime_error if it fails, as randomHexToken does).
ScramCredentials newScramCredentials(ScramHash hash, std::string_view password,
                                     int iterations = kDefaultScramIterations);

// For PLAIN: recomputes StoredKey from `password` with the credentials' salt and iteration
// count and compares it in constant time (CRYPTO_memcmp). False for a password that
// preparePassword() refuses.
bool verifyPassword(const ScramCredentials& creds, std::string_view password,
                    ScramHash hash = ScramHash::kSha256);

// A fresh server nonce: 18 random bytes as base64 (24 printable characters, no ','), 144 bits.
std::string randomScramNonce();

// Stored credentials for `username` and `hash`, or nullopt for an unknown user. Called on the
// mechanism's thread during step(); it must not block (the chat session answers from memory).
using CredentialLookup =
    std::function<std::optional<ScramCredentials>(std::string_view username, ScramHash)>;

// The server side of one SCRAM exchange (RFC 5802 §5, §7): client-first -> server-first
// challenge; client-final -> success with "v=" + base64(ServerSignature).
//
// `nonce_source` returns the server's part of the nonce (printable ASCII without ','; an empty
// function means randomScramNonce). An unknown user gets a normal-looking server-first whose
// salt is derived from the username with `fake_salt_key` (HMAC), and fails at the end with
// not-authorized, like a wrong password, so the exchange does not reveal which accounts
// exist. An empty `fake_salt_key` means a random key made once per process; tests pass one.
std::unique_ptr<ServerMechanism> makeScramServer(ScramHash hash, CredentialLookup lookup,
                                                 std::function<std::string()> nonce_source = {},
                                                 std::string fake_salt_key = {});

}  // namespace throng::chat::sasl
