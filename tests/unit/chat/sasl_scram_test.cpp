// SCRAM (RFC 5802, RFC 7677): the RFC exchanges byte for byte, then the ways an exchange fails.
#include "chat/sasl/scram.h"

#include "base/base64.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <utility>

namespace throng::chat::sasl {
namespace {

using State = SaslOutcome::State;

std::string unbase64(std::string_view text) {
  auto decoded = base64Decode(text);
  EXPECT_TRUE(decoded.has_value()) << text;
  return decoded.value_or("");
}

// Accounts for the lookup: (username, hash) -> credentials.
class Accounts {
 public:
  void add(const std::string& user, ScramHash hash, ScramCredentials creds) {
    creds_[{user, hash}] = std::move(creds);
  }
  CredentialLookup lookup() {
    return [this](std::string_view user, ScramHash hash) -> std::optional<ScramCredentials> {
      looked_up_.emplace_back(user);
      auto it = creds_.find({std::string(user), hash});
      if (it == creds_.end()) return std::nullopt;
      return it->second;
    };
  }
  const std::vector<std::string>& lookedUp() const { return looked_up_; }

 private:
  std::map<std::pair<std::string, ScramHash>, ScramCredentials> creds_;
  std::vector<std::string> looked_up_;
};

std::function<std::string()> fixedNonce(std::string nonce) {
  return [nonce = std::move(nonce)] { return nonce; };
}

// The client side of RFC 5802 §3, written out independently of the server code under test:
// the client-final message for `password` given the messages exchanged so far.
std::string clientFinal(ScramHash hash, std::string_view password, std::string_view gs2_header,
                        std::string_view client_first_bare, std::string_view server_first) {
  const EVP_MD* md = hash == ScramHash::kSha1 ? EVP_sha1() : EVP_sha256();
  const auto size = static_cast<std::size_t>(EVP_MD_get_size(md));
  // Parse r=, s=, i= out of server-first.
  std::string nonce, salt;
  int iterations = 0;
  std::string_view rest = server_first;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view attr = rest.substr(0, comma);
    if (attr.starts_with("r=")) nonce = attr.substr(2);
    if (attr.starts_with("s=")) salt = unbase64(attr.substr(2));
    if (attr.starts_with("i=")) iterations = std::stoi(std::string(attr.substr(2)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  std::string salted(size, '\0');
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, md, static_cast<int>(size),
                    reinterpret_cast<unsigned char*>(salted.data()));
  const auto mac = [md](std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  };
  const std::string client_key = mac(salted, "Client Key");
  unsigned char stored[EVP_MAX_MD_SIZE];
  unsigned int stored_len = 0;
  EVP_Digest(client_key.data(), client_key.size(), stored, &stored_len, md, nullptr);
  const std::string without_proof = "c=" + base64Encode(gs2_header) + ",r=" + nonce;
  const std::string auth_message =
      std::string(client_first_bare) + "," + std::string(server_first) + "," + without_proof;
  std::string proof = mac(std::string(reinterpret_cast<char*>(stored), stored_len), auth_message);
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= client_key[i];
  return without_proof + ",p=" + base64Encode(proof);
}

// --- RFC test vectors ---------------------------------------------------------------------

TEST(ScramRfcVectors, Rfc5802Section5ScramSha1) {
  Accounts accounts;
  accounts.add(
      "user", ScramHash::kSha1,
      deriveScramCredentials(ScramHash::kSha1, "pencil", unbase64("QSXCR+Q6sek8bf92"), 4096));
  auto server =
      makeScramServer(ScramHash::kSha1, accounts.lookup(), fixedNonce("3rfcNHYJY1ZVvWVs7j"));
  EXPECT_EQ(server->name(), "SCRAM-SHA-1");

  const SaslOutcome first = server->step("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  ASSERT_EQ(first.state, State::kContinue) << first.condition;
  EXPECT_EQ(first.data, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");

  const SaslOutcome final = server->step(
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  ASSERT_EQ(final.state, State::kSuccess) << final.condition;
  EXPECT_EQ(final.data, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  EXPECT_EQ(final.username, "user");
}

TEST(ScramRfcVectors, Rfc7677Section3ScramSha256) {
  Accounts accounts;
  accounts.add("user", ScramHash::kSha256,
               deriveScramCredentials(ScramHash::kSha256, "pencil",
                                      unbase64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096));
  auto server = makeScramServer(ScramHash::kSha256, accounts.lookup(),
                                fixedNonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"));
  EXPECT_EQ(server->name(), "SCRAM-SHA-256");

  const SaslOutcome first = server->step("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  ASSERT_EQ(first.state, State::kContinue) << first.condition;
  EXPECT_EQ(first.data,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            "i=4096");

  const SaslOutcome final = server->step(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  ASSERT_EQ(final.state, State::kSuccess) << final.condition;
  EXPECT_EQ(final.data, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  EXPECT_EQ(final.username, "user");
}

TEST(ScramRfcVectors, TestClientReproducesTheRfcProof) {
  // Guards the helper used by the tests below.
  EXPECT_EQ(clientFinal(ScramHash::kSha1, "pencil", "n,,", "n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
}

// --- Exchanges ----------------------------------------------------------------------------

class ScramServerTest : public ::testing::TestWithParam<ScramHash> {
 protected:
  void SetUp() override {
    accounts_.add(
        "alice", hash(),
        deriveScramCredentials(hash(), "correct horse", "salt-alice", kDefaultScramIterations));
  }
  ScramHash hash() const { return GetParam(); }
  std::unique_ptr<ServerMechanism> server() {
    return makeScramServer(hash(), accounts_.lookup(), fixedNonce("SERVERNONCE"), "test-key");
  }
  // Runs a whole exchange; returns the final outcome.
  SaslOutcome exchange(std::string_view gs2_header, std::string_view bare,
                       std::string_view password) {
    auto mech = server();
    const SaslOutcome first = mech->step(std::string(gs2_header) + std::string(bare));
    if (first.state != State::kContinue) return first;
    return mech->step(clientFinal(hash(), password, gs2_header, bare, first.data));
  }

  Accounts accounts_;
};

TEST_P(ScramServerTest, RightPasswordSucceeds) {
  const SaslOutcome outcome = exchange("n,,", "n=alice,r=abc", "correct horse");
  ASSERT_EQ(outcome.state, State::kSuccess) << outcome.condition;
  EXPECT_EQ(outcome.username, "alice");
  EXPECT_TRUE(outcome.data.starts_with("v="));
}

TEST_P(ScramServerTest, WrongPasswordIsNotAuthorized) {
  const SaslOutcome outcome = exchange("n,,", "n=alice,r=abc", "battery staple");
  EXPECT_EQ(outcome.state, State::kFailure);
  EXPECT_EQ(outcome.condition, "not-authorized");
  EXPECT_TRUE(outcome.username.empty());
}

TEST_P(ScramServerTest, UnknownUserGetsANormalServerFirstThenNotAuthorized) {
  auto mech = server();
  const SaslOutcome first = mech->step("n,,n=mallory,r=abc");
  ASSERT_EQ(first.state, State::kContinue) << first.condition;
  // r=<client+server nonce>,s=<16-byte salt>,i=4096, like a real account.
  ASSERT_TRUE(first.data.starts_with("r=abcSERVERNONCE,s=")) << first.data;
  ASSERT_TRUE(first.data.ends_with(",i=4096")) << first.data;
  const std::string salt_b64 = first.data.substr(19, first.data.size() - 19 - 7);
  EXPECT_EQ(unbase64(salt_b64).size(), kScramSaltBytes);

  // The made-up salt is stable per name (asking twice does not expose it) and differs by name.
  EXPECT_EQ(server()->step("n,,n=mallory,r=abc").data, first.data);
  EXPECT_NE(server()->step("n,,n=trudy,r=abc").data.substr(19), first.data.substr(19));

  const SaslOutcome final =
      mech->step(clientFinal(hash(), "anything", "n,,", "n=mallory,r=abc", first.data));
  EXPECT_EQ(final.state, State::kFailure);
  EXPECT_EQ(final.condition, "not-authorized");
}

TEST_P(ScramServerTest, YFlagAuthzidAndExtensionsAreAccepted) {
  // "y": the client could bind but believes the server cannot - true here (no -PLUS).
  EXPECT_EQ(exchange("y,,", "n=alice,r=abc", "correct horse").state, State::kSuccess);
  // An authzid equal to the username is no proxy authorization.
  EXPECT_EQ(exchange("n,a=alice,", "n=alice,r=abc", "correct horse").state, State::kSuccess);
  // Unknown optional extensions after the nonce are ignored (RFC 5802 §5.1).
  EXPECT_EQ(exchange("n,,", "n=alice,r=abc,x=whatever", "correct horse").state, State::kSuccess);
}

TEST_P(ScramServerTest, AuthzidOtherThanTheUserIsInvalidAuthzid) {
  const SaslOutcome outcome = server()->step("n,a=bob,n=alice,r=abc");
  EXPECT_EQ(outcome.state, State::kFailure);
  EXPECT_EQ(outcome.condition, "invalid-authzid");
}

TEST_P(ScramServerTest, ChannelBindingRequestIsRefused) {
  const SaslOutcome outcome = server()->step("p=tls-exporter,,n=alice,r=abc");
  EXPECT_EQ(outcome.state, State::kFailure);
  EXPECT_EQ(outcome.condition, "malformed-request");
}

TEST_P(ScramServerTest, EscapedUsernameIsDecodedForTheLookup) {
  auto mech = server();
  EXPECT_EQ(mech->step("n,,n=a=2Cb=3Dc,r=abc").state, State::kContinue);
  ASSERT_FALSE(accounts_.lookedUp().empty());
  EXPECT_EQ(accounts_.lookedUp().back(), "a,b=c");
}

TEST_P(ScramServerTest, MalformedClientFirstMessages) {
  const std::vector<std::string> messages = {
      "n",                        // no gs2 header
      "n,",                       // no authzid field
      "x,,n=alice,r=abc",         // unknown cbind flag
      "n,b=alice,n=alice,r=abc",  // authzid field without a=
      "n,a=,n=alice,r=abc",       // empty authzid
      "n,,r=abc,n=alice",         // attributes out of order
      "n,,n=alice",               // no nonce
      "n,,n=,r=abc",              // empty username
      "n,,n=alice,r=",            // empty nonce
      "n,,n=alice,r=a b",         // space is not in the nonce alphabet
      "n,,n=al=2Xice,r=abc",      // bad escape
      "n,,n=al,ice,r=abc",        // raw ',' splits the attribute
      "n,,m=ext,n=alice,r=abc",   // mandatory extension (§5.1: MUST fail)
      "n,,n=alice,r=abc,",        // trailing empty attribute
      "n,,n=alice,r=abc,1=x",     // extension name not ALPHA
      std::string("n,,n=al\x01ice,r=abc"),
      std::string("n,,n=al\xffice,r=abc"),
  };
  for (const std::string& message : messages) {
    const SaslOutcome outcome = server()->step(message);
    EXPECT_EQ(outcome.state, State::kFailure) << message;
    EXPECT_EQ(outcome.condition, "malformed-request") << message;
  }
}

TEST_P(ScramServerTest, OversizedMessageIsMalformed) {
  const std::string long_nonce(kMaxClientMessageBytes, 'a');
  const SaslOutcome outcome = server()->step("n,,n=alice,r=" + long_nonce);
  EXPECT_EQ(outcome.state, State::kFailure);
  EXPECT_EQ(outcome.condition, "malformed-request");

  auto mech = server();
  ASSERT_EQ(mech->step("n,,n=alice,r=abc").state, State::kContinue);
  EXPECT_EQ(mech->step("c=biws,r=abcSERVERNONCE,x=" + long_nonce + ",p=AAAA").condition,
            "malformed-request");
}

TEST_P(ScramServerTest, MalformedOrMismatchedClientFinalMessages) {
  const std::string proof = base64Encode(std::string(scramDigestBytes(hash()), 'x'));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"c=biws,r=abcSERVERNONCE", "malformed-request"},             // no proof
      {"c=biws,p=" + proof, "malformed-request"},                   // no nonce
      {"r=abcSERVERNONCE,c=biws,p=" + proof, "malformed-request"},  // out of order
      {"c=biws,r=abcSERVERNONCE,p=not*base64", "malformed-request"},
      {"c=biws,r=abcSERVERNONCE,p=AAAA", "malformed-request"},  // proof of wrong length
      {"c=bi*s,r=abcSERVERNONCE,p=" + proof, "malformed-request"},
      {"c=biws,r=abcSERVERNONCE,1=x,p=" + proof, "malformed-request"},
      {"c=eSws,r=abcSERVERNONCE,p=" + proof, "not-authorized"},  // "y,," for "n,,"
      {"c=biws,r=abcOTHERNONCE,p=" + proof, "not-authorized"},   // nonce changed
      {"c=biws,r=abcSERVERNONCE,p=" + proof, "not-authorized"},  // wrong proof
  };
  for (const auto& [message, condition] : cases) {
    auto mech = server();
    ASSERT_EQ(mech->step("n,,n=alice,r=abc").state, State::kContinue);
    const SaslOutcome outcome = mech->step(message);
    EXPECT_EQ(outcome.state, State::kFailure) << message;
    EXPECT_EQ(outcome.condition, condition) << message;
  }
}

TEST_P(ScramServerTest, ChannelBindingDataMustEchoTheAuthzidHeader) {
  auto mech = server();
  ASSERT_EQ(mech->step("n,a=alice,n=alice,r=abc").state, State::kContinue);
  // A proof computed for "n,," (header without the authzid): c= does not match.
  const SaslOutcome outcome =
      mech->step(clientFinal(hash(), "correct horse", "n,,", "n=alice,r=abc",
                             "r=abcSERVERNONCE,s=" + base64Encode("salt-alice") + ",i=4096"));
  EXPECT_EQ(outcome.condition, "not-authorized");
}

TEST_P(ScramServerTest, NoInitialResponseGetsOneEmptyChallenge) {
  auto mech = server();
  const SaslOutcome empty = mech->step("");
  EXPECT_EQ(empty.state, State::kContinue);
  EXPECT_TRUE(empty.data.empty());
  EXPECT_EQ(mech->step("n,,n=alice,r=abc").state, State::kContinue);

  auto again = server();
  EXPECT_EQ(again->step("").state, State::kContinue);
  EXPECT_EQ(again->step("").condition, "malformed-request");
}

TEST_P(ScramServerTest, StepsAfterTheEndFail) {
  auto mech = server();
  const SaslOutcome first = mech->step("n,,n=alice,r=abc");
  ASSERT_EQ(
      mech->step(clientFinal(hash(), "correct horse", "n,,", "n=alice,r=abc", first.data)).state,
      State::kSuccess);
  EXPECT_EQ(mech->step("n,,n=alice,r=abc").condition, "malformed-request");

  auto failed = server();
  ASSERT_EQ(failed->step("n").state, State::kFailure);
  EXPECT_EQ(failed->step("n,,n=alice,r=abc").condition, "malformed-request");
}

TEST_P(ScramServerTest, BrokenStoredCredentialsAreATemporaryFailure) {
  ScramCredentials broken = deriveScramCredentials(hash(), "pw", "salt", 4096);
  broken.stored_key.pop_back();
  accounts_.add("broken", hash(), broken);
  EXPECT_EQ(server()->step("n,,n=broken,r=abc").condition, "temporary-auth-failure");
}

TEST_P(ScramServerTest, BadServerNonceIsATemporaryFailure) {
  for (const std::string nonce : {"", "has,comma", "has space"}) {
    auto mech = makeScramServer(hash(), accounts_.lookup(), fixedNonce(nonce), "k");
    EXPECT_EQ(mech->step("n,,n=alice,r=abc").condition, "temporary-auth-failure") << nonce;
  }
}

TEST_P(ScramServerTest, DefaultNonceSourceAndProcessKeyWork) {
  auto mech = makeScramServer(hash(), accounts_.lookup());
  const SaslOutcome first = mech->step("n,,n=alice,r=abc");
  ASSERT_EQ(first.state, State::kContinue);
  // "r=abc" + 24 random base64 characters + ",s=".
  EXPECT_EQ(first.data.find(",s="), 2 + 3 + 24u) << first.data;
  const SaslOutcome final =
      mech->step(clientFinal(hash(), "correct horse", "n,,", "n=alice,r=abc", first.data));
  EXPECT_EQ(final.state, State::kSuccess) << final.condition;

  // Unknown users with the process-wide key: still a stable, well-formed salt.
  const std::string a = makeScramServer(hash(), accounts_.lookup())->step("n,,n=x,r=a").data;
  const std::string b = makeScramServer(hash(), accounts_.lookup())->step("n,,n=x,r=a").data;
  EXPECT_EQ(a.substr(a.find(",s=")), b.substr(b.find(",s=")));
}

INSTANTIATE_TEST_SUITE_P(Hashes, ScramServerTest,
                         ::testing::Values(ScramHash::kSha1, ScramHash::kSha256),
                         [](const auto& param_info) {
                           return param_info.param == ScramHash::kSha1 ? std::string("Sha1")
                                                                       : std::string("Sha256");
                         });

// --- Credentials --------------------------------------------------------------------------

TEST(ScramCredentials, SerializeParseRoundTrip) {
  for (ScramHash hash : {ScramHash::kSha1, ScramHash::kSha256}) {
    const ScramCredentials creds =
        deriveScramCredentials(hash, "pencil", unbase64("QSXCR+Q6sek8bf92"), 4096);
    EXPECT_EQ(creds.stored_key.size(), scramDigestBytes(hash));
    EXPECT_EQ(creds.server_key.size(), scramDigestBytes(hash));
    const std::string text = creds.serialize();
    EXPECT_TRUE(text.starts_with("4096:QSXCR+Q6sek8bf92:")) << text;
    const auto parsed = ScramCredentials::parse(text);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, creds);
  }
}

TEST(ScramCredentials, ParseRejectsMalformedText) {
  const std::string k20 = base64Encode(std::string(20, 'k'));
  const std::string k32 = base64Encode(std::string(32, 'k'));
  const std::string salt = base64Encode("salt");
  ASSERT_TRUE(ScramCredentials::parse("4096:" + salt + ":" + k20 + ":" + k20).has_value());
  for (const std::string& text : {
           std::string(),
           "4096:" + salt + ":" + k20,                    // three fields
           "4096:" + salt + ":" + k20 + ":" + k20 + ":",  // five fields
           "0:" + salt + ":" + k20 + ":" + k20,           // no iterations
           "-1:" + salt + ":" + k20 + ":" + k20,
           "+4096:" + salt + ":" + k20 + ":" + k20,
           "4096x:" + salt + ":" + k20 + ":" + k20,
           ":" + salt + ":" + k20 + ":" + k20,
           "99999999:" + salt + ":" + k20 + ":" + k20,  // above kMaxScramIterations
           "4096::" + k20 + ":" + k20,                  // empty salt
           "4096:" + salt + ":" + k20 + ":" + k32,      // keys of different lengths
           "4096:" + salt + ":" + base64Encode("short") + ":" + base64Encode("short"),
           "4096:" + salt + ":" + k20 + ":not*base64",
           "4096:sa lt:" + k20 + ":" + k20,
       }) {
    EXPECT_FALSE(ScramCredentials::parse(text).has_value()) << text;
  }
}

TEST(ScramCredentials, VerifyPassword) {
  const ScramCredentials sha256 = deriveScramCredentials(ScramHash::kSha256, "pencil", "s", 4096);
  EXPECT_TRUE(verifyPassword(sha256, "pencil"));
  EXPECT_FALSE(verifyPassword(sha256, "pencil2"));
  EXPECT_FALSE(verifyPassword(sha256, "Pencil"));
  EXPECT_FALSE(verifyPassword(sha256, ""));
  EXPECT_FALSE(verifyPassword(ScramCredentials{}, "pencil"));

  const ScramCredentials sha1 = deriveScramCredentials(ScramHash::kSha1, "pencil", "s", 4096);
  EXPECT_TRUE(verifyPassword(sha1, "pencil", ScramHash::kSha1));
  EXPECT_FALSE(verifyPassword(sha1, "pencil"));  // SHA-256 by default
}

TEST(ScramCredentials, NewCredentialsHaveFreshSalts) {
  const ScramCredentials a = newScramCredentials(ScramHash::kSha256, "pencil");
  const ScramCredentials b = newScramCredentials(ScramHash::kSha256, "pencil");
  EXPECT_EQ(a.salt.size(), kScramSaltBytes);
  EXPECT_EQ(a.iterations, kDefaultScramIterations);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.stored_key, b.stored_key);
  EXPECT_TRUE(verifyPassword(a, "pencil"));
  EXPECT_TRUE(verifyPassword(b, "pencil"));
}

TEST(ScramCredentials, PreparePassword) {
  for (const std::string ok :
       {"pencil", "correct horse battery staple", "p\xC3\xA4sswort", "\xE2\x82\xAC\xF0\x9F\x94\x91",
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}) {
    const auto prepared = preparePassword(ok);
    ASSERT_TRUE(prepared.has_value()) << ok;
    EXPECT_EQ(*prepared, ok);  // accepted passwords are used unchanged
  }
  for (const std::string& bad :
       {std::string(), std::string("tab\there"), std::string("nl\n"), std::string("nul\0x", 5),
        std::string("del\x7f"), std::string("c1\xC2\x85"), std::string("bad\xff"),
        std::string("overlong\xC0\xAF"), std::string("cut\xE2\x82")}) {
    EXPECT_FALSE(preparePassword(bad).has_value()) << bad;
  }
}

TEST(ScramCredentials, RandomNonce) {
  const std::string a = randomScramNonce();
  const std::string b = randomScramNonce();
  EXPECT_EQ(a.size(), 24u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find(','), std::string::npos);
}

}  // namespace
}  // namespace throng::chat::sasl
