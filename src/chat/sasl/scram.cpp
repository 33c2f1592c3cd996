#include "chat/sasl/scram.h"

#include "base/base64.h"
#include "base/utf8.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>
#include <utility>
#include <vector>

namespace throng::chat::sasl {
namespace {

// 18 bytes: 144 bits of server nonce, and a multiple of 3 so its base64 has no padding.
constexpr std::size_t kNonceBytes = 18;
// Key for the per-process fake-salt HMAC (unknown users); 256 bits, the HMAC-SHA-256 block
// strength.
constexpr std::size_t kFakeSaltKeyBytes = 32;

const EVP_MD* digestOf(ScramHash hash) {
  return hash == ScramHash::kSha1 ? EVP_sha1() : EVP_sha256();
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The primitives below return "" if OpenSSL fails (only on allocation failure); an empty key
// never verifies, so a failure there fails the login rather than the process.
std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), bytes(data), data.size(), out, &len) ==
      nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::optional<std::string> randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return std::nullopt;
  }
  return out;
}

bool constantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (printable ASCII except ',').
bool isValidNonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

// RFC 5802 §7: saslname = 1*(value-safe-char / "=2C" / "=3D"); ',' and '=' travel escaped.
// The result must be UTF-8 without control characters (a name, not bytes).
std::optional<std::string> decodeSaslName(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out.push_back(text[i]);
      continue;
    }
    const std::string_view escape = text.substr(i, 3);
    if (escape == "=2C") {
      out.push_back(',');
    } else if (escape == "=3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  if (out.empty() || !isUtf8WithoutControls(out)) return std::nullopt;
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

bool hasKey(std::string_view attribute, char key) {
  return attribute.size() >= 2 && attribute[0] == key && attribute[1] == '=';
}

// RFC 5802 §7: attr-val = ALPHA "=" value. Optional extensions are ignored, but must parse.
bool isExtension(std::string_view attribute) {
  if (attribute.size() < 2 || attribute[1] != '=') return false;
  const char c = attribute[0];
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

const std::string& processFakeSaltKey() {
  // Made once per process (thread-safe static). If the CSPRNG fails the key stays empty: the
  // fake salt then becomes predictable, which leaks only whether an account exists.
  static const std::string key = randomBytes(kFakeSaltKeyBytes).value_or(std::string());
  return key;
}

class ScramServer final : public ServerMechanism {
 public:
  ScramServer(ScramHash hash, CredentialLookup lookup, std::function<std::string()> nonce_source,
              std::string fake_salt_key)
      : hash_(hash),
        md_(digestOf(hash)),
        lookup_(std::move(lookup)),
        nonce_source_(std::move(nonce_source)),
        fake_salt_key_(std::move(fake_salt_key)) {}

  std::string_view name() const override { return scramMechanismName(hash_); }

  SaslOutcome step(std::string_view client_data) override {
    if (client_data.size() > kMaxClientMessageBytes) return fail(kMalformedRequest);
    switch (phase_) {
      case Phase::kStart:
        return onClientFirst(client_data);
      case Phase::kFirstSent:
        return onClientFinal(client_data);
      case Phase::kDone:
        break;
    }
    return fail(kMalformedRequest);
  }

 private:
  enum class Phase { kStart, kFirstSent, kDone };

  SaslOutcome fail(std::string_view condition) {
    phase_ = Phase::kDone;
    creds_ = {};
    return SaslOutcome::failure(condition);
  }

  // client-first-message = gs2-header client-first-message-bare (RFC 5802 §7).
  SaslOutcome onClientFirst(std::string_view message) {
    if (message.empty()) {
      // No initial response: ask for it with an empty challenge, once (RFC 6120 §6.4.2).
      if (asked_for_initial_response_) return fail(kMalformedRequest);
      asked_for_initial_response_ = true;
      return SaslOutcome::challenge({});
    }
    // gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const auto flag_end = message.find(',');
    if (flag_end == std::string_view::npos) return fail(kMalformedRequest);
    const std::string_view flag = message.substr(0, flag_end);
    // "n": the client does not support channel binding; "y": it does but thinks the server
    // does not - true, throng offers no -PLUS mechanism, so no downgrade to detect (§6).
    // "p=": the client asks for channel binding in a mechanism without it (§6: fail).
    if (flag != "n" && flag != "y") return fail(kMalformedRequest);
    const auto authz_end = message.find(',', flag_end + 1);
    if (authz_end == std::string_view::npos) return fail(kMalformedRequest);
    const std::string_view authz_field = message.substr(flag_end + 1, authz_end - flag_end - 1);
    std::optional<std::string> authzid;
    if (!authz_field.empty()) {
      if (!hasKey(authz_field, 'a')) return fail(kMalformedRequest);
      authzid = decodeSaslName(authz_field.substr(2));
      if (!authzid) return fail(kMalformedRequest);
    }
    gs2_header_ = std::string(message.substr(0, authz_end + 1));

    // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    const std::string_view bare = message.substr(authz_end + 1);
    const auto attributes = split(bare, ',');
    // "m=": a mandatory extension throng does not know; §5.1 says the server MUST fail.
    if (attributes.size() < 2 || !hasKey(attributes[0], 'n') || !hasKey(attributes[1], 'r')) {
      return fail(kMalformedRequest);
    }
    for (std::size_t i = 2; i < attributes.size(); ++i) {
      if (!isExtension(attributes[i])) return fail(kMalformedRequest);
    }
    auto username = decodeSaslName(attributes[0].substr(2));
    const std::string_view client_nonce = attributes[1].substr(2);
    if (!username || !isValidNonce(client_nonce)) return fail(kMalformedRequest);
    // A user may act only as themselves: throng has no proxy authorization.
    if (authzid && *authzid != *username) return fail(kInvalidAuthzid);
    username_ = std::move(*username);
    client_first_bare_ = std::string(bare);

    std::optional<ScramCredentials> found;
    if (lookup_) found = lookup_(username_, hash_);
    if (found) {
      const std::size_t size = scramDigestBytes(hash_);
      if (found->stored_key.size() != size || found->server_key.size() != size ||
          found->salt.empty() || found->iterations < 1) {
        return fail(kTemporaryAuthFailure);  // a broken stored row; not the client's fault
      }
      creds_ = std::move(*found);
      known_user_ = true;
    } else {
      creds_ = fakeCredentials();
    }

    const std::string server_nonce = nonce_source_ ? nonce_source_() : randomScramNonce();
    if (!isValidNonce(server_nonce)) return fail(kTemporaryAuthFailure);
    nonce_ = std::string(client_nonce) + server_nonce;
    // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," ext]
    server_first_ = "r=" + nonce_ + ",s=" + base64Encode(creds_.salt) +
                    ",i=" + std::to_string(creds_.iterations);
    phase_ = Phase::kFirstSent;
    return SaslOutcome::challenge(server_first_);
  }

  // Stands in for an unknown user: a salt that is stable per name (so asking twice does not
  // reveal that it is made up) and keys no proof can match without inverting H.
  ScramCredentials fakeCredentials() const {
    const std::string& key = fake_salt_key_.empty() ? processFakeSaltKey() : fake_salt_key_;
    const std::string context = std::string(scramMechanismName(hash_)) + '\0' + username_;
    ScramCredentials fake;
    const auto labelled = [&context](std::string_view label) {
      return std::string(label) + '\0' + context;
    };
    fake.salt = hmac(EVP_sha256(), key, labelled("salt")).substr(0, kScramSaltBytes);
    fake.iterations = kDefaultScramIterations;
    fake.stored_key = hmac(md_, key, labelled("stored"));
    fake.server_key = hmac(md_, key, labelled("server"));
    return fake;
  }

  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  SaslOutcome onClientFinal(std::string_view message) {
    const auto attributes = split(message, ',');
    if (attributes.size() < 3 || !hasKey(attributes[0], 'c') || !hasKey(attributes[1], 'r') ||
        !hasKey(attributes.back(), 'p')) {
      return fail(kMalformedRequest);
    }
    for (std::size_t i = 2; i + 1 < attributes.size(); ++i) {
      if (!isExtension(attributes[i])) return fail(kMalformedRequest);
    }
    const auto channel_binding = base64Decode(attributes[0].substr(2));
    const auto proof = base64Decode(attributes.back().substr(2));
    if (!channel_binding || !proof || proof->size() != scramDigestBytes(hash_)) {
      return fail(kMalformedRequest);
    }
    // Without channel binding, c= carries the gs2 header back unchanged (§7: cbind-input);
    // a difference means the first message was tampered with.
    if (*channel_binding != gs2_header_) return fail(kNotAuthorized);
    if (attributes[1].substr(2) != nonce_) return fail(kNotAuthorized);

    // AuthMessage = client-first-message-bare "," server-first-message ","
    //               client-final-message-without-proof          (§3)
    const std::string_view without_proof =
        message.substr(0, message.size() - attributes.back().size() - 1);
    const std::string auth_message =
        client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); valid iff H(ClientKey) ==
    // StoredKey.
    std::string client_key = hmac(md_, creds_.stored_key, auth_message);
    if (client_key.size() != proof->size()) return fail(kNotAuthorized);
    for (std::size_t i = 0; i < client_key.size(); ++i) client_key[i] ^= (*proof)[i];
    const bool proof_ok = constantTimeEqual(digest(md_, client_key), creds_.stored_key);
    if (!proof_ok || !known_user_) return fail(kNotAuthorized);

    // server-final-message = "v=" base64(ServerSignature), ServerSignature =
    // HMAC(ServerKey, AuthMessage): proves to the client that the server knew its keys.
    const std::string server_signature = hmac(md_, creds_.server_key, auth_message);
    phase_ = Phase::kDone;
    creds_ = {};
    return SaslOutcome::success("v=" + base64Encode(server_signature), std::move(username_));
  }

  const ScramHash hash_;
  const EVP_MD* const md_;  // OpenSSL's static digest table; not owned
  const CredentialLookup lookup_;
  const std::function<std::string()> nonce_source_;
  const std::string fake_salt_key_;

  Phase phase_ = Phase::kStart;
  bool asked_for_initial_response_ = false;
  bool known_user_ = false;
  std::string gs2_header_;         // e.g. "n,,", echoed in c= of the final message
  std::string username_;           // decoded n=
  std::string client_first_bare_;  // for AuthMessage
  std::string server_first_;       // for AuthMessage
  std::string nonce_;              // client nonce + server nonce
  ScramCredentials creds_;         // the user's (or fake) credentials, until the end
};

}  // namespace

std::string ScramCredentials::serialize() const {
  return std::to_string(iterations) + ":" + base64Encode(salt) + ":" + base64Encode(stored_key) +
         ":" + base64Encode(server_key);
}

std::optional<ScramCredentials> ScramCredentials::parse(std::string_view text) {
  const auto parts = split(text, ':');
  if (parts.size() != 4) return std::nullopt;
  const std::string_view count = parts[0];
  // Digits only: from_chars alone would accept "-1" and stop silently at junk.
  if (count.empty() || count.size() > 9) return std::nullopt;
  for (const char c : count) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  ScramCredentials creds;
  std::from_chars(count.data(), count.data() + count.size(), creds.iterations);
  if (creds.iterations < 1 || creds.iterations > kMaxScramIterations) return std::nullopt;
  auto salt = base64Decode(parts[1]);
  auto stored = base64Decode(parts[2]);
  auto server = base64Decode(parts[3]);
  if (!salt || !stored || !server || salt->empty()) return std::nullopt;
  if (stored->size() != server->size()) return std::nullopt;
  if (stored->size() != scramDigestBytes(ScramHash::kSha1) &&
      stored->size() != scramDigestBytes(ScramHash::kSha256)) {
    return std::nullopt;
  }
  creds.salt = std::move(*salt);
  creds.stored_key = std::move(*stored);
  creds.server_key = std::move(*server);
  return creds;
}

std::string_view scramMechanismName(ScramHash hash) {
  return hash == ScramHash::kSha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

std::size_t scramDigestBytes(ScramHash hash) {
  return hash == ScramHash::kSha1 ? 20 : 32;
}

std::optional<std::string> preparePassword(std::string_view password) {
  if (password.empty() || !isUtf8WithoutControls(password)) return std::nullopt;
  return std::string(password);
}

ScramCredentials deriveScramCredentials(ScramHash hash, std::string_view password,
                                        std::string_view salt, int iterations) {
  const EVP_MD* md = digestOf(hash);
  ScramCredentials creds;
  creds.salt = std::string(salt);
  creds.iterations = iterations;
  // Hi(str, salt, i) is PBKDF2 (RFC 2898) with HMAC-H and dkLen = the digest length (§2.2).
  std::string salted(scramDigestBytes(hash), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                        static_cast<int>(salt.size()), iterations, md,
                        static_cast<int>(salted.size()),
                        reinterpret_cast<unsigned char*>(salted.data())) != 1) {
    return creds;  // empty keys: never verify
  }
  const std::string client_key = hmac(md, salted, "Client Key");
  creds.stored_key = client_key.empty() ? std::string() : digest(md, client_key);
  creds.server_key = hmac(md, salted, "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return creds;
}

ScramCredentials newScramCredentials(ScramHash hash, std::string_view password, int iterations) {
  auto salt = randomBytes(kScramSaltBytes);
  if (!salt) throw std::runtime_error("OpenSSL RAND_bytes failed");
  return deriveScramCredentials(hash, password, *salt, iterations);
}

bool verifyPassword(const ScramCredentials& creds, std::string_view password, ScramHash hash) {
  const auto prepared = preparePassword(password);
  if (!prepared || creds.iterations < 1 || creds.iterations > kMaxScramIterations) return false;
  const ScramCredentials computed =
      deriveScramCredentials(hash, *prepared, creds.salt, creds.iterations);
  return constantTimeEqual(computed.stored_key, creds.stored_key);
}

std::string randomScramNonce() {
  // "" if the CSPRNG fails: the mechanism refuses it (temporary-auth-failure).
  const auto raw = randomBytes(kNonceBytes);
  return raw ? base64Encode(*raw) : std::string();
}

std::unique_ptr<ServerMechanism> makeScramServer(ScramHash hash, CredentialLookup lookup,
                                                 std::function<std::string()> nonce_source,
                                                 std::string fake_salt_key) {
  return std::make_unique<ScramServer>(hash, std::move(lookup), std::move(nonce_source),
                                       std::move(fake_salt_key));
}

}  // namespace throng::chat::sasl
