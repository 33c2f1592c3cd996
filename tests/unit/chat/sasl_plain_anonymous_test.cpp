// PLAIN (RFC 4616) and ANONYMOUS (RFC 4505).
#include "chat/sasl/anonymous.h"
#include "chat/sasl/plain.h"
#include "chat/sasl/scram.h"

#include <gtest/gtest.h>

#include <vector>

namespace throng::chat::sasl {
namespace {

using State = SaslOutcome::State;
using namespace std::string_literals;  // "\0" inside PLAIN messages

class PlainTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerMechanism> server() {
    return makePlainServer([this](std::string_view user, std::string_view password) {
      calls_.emplace_back(std::string(user) + "/" + std::string(password));
      return user == "user" && password == "pencil";
    });
  }
  std::vector<std::string> calls_;
};

TEST_F(PlainTest, RightPasswordSucceeds) {
  auto mech = server();
  EXPECT_EQ(mech->name(), "PLAIN");
  const SaslOutcome outcome = mech->step("\0user\0pencil"s);
  ASSERT_EQ(outcome.state, State::kSuccess) << outcome.condition;
  EXPECT_EQ(outcome.username, "user");
  EXPECT_TRUE(outcome.data.empty());
  EXPECT_EQ(calls_, std::vector<std::string>{"user/pencil"});
}

TEST_F(PlainTest, AuthzidEqualToTheUserIsAccepted) {
  EXPECT_EQ(server()->step("user\0user\0pencil"s).state, State::kSuccess);
}

TEST_F(PlainTest, AuthzidOtherThanTheUserIsInvalidAuthzid) {
  const SaslOutcome outcome = server()->step("admin\0user\0pencil"s);
  EXPECT_EQ(outcome.state, State::kFailure);
  EXPECT_EQ(outcome.condition, "invalid-authzid");
  EXPECT_TRUE(calls_.empty());  // refused before the password is checked
}

TEST_F(PlainTest, WrongPasswordOrUserIsNotAuthorized) {
  EXPECT_EQ(server()->step("\0user\0pencil2"s).condition, "not-authorized");
  EXPECT_EQ(server()->step("\0nobody\0pencil"s).condition, "not-authorized");
}

TEST_F(PlainTest, MalformedMessages) {
  const std::vector<std::string> messages = {
      "user"s,                  // no NUL
      "\0user"s,                // one NUL
      "\0\0pencil"s,            // empty authcid
      "\0user\0"s,              // empty password
      "\0user\0pencil\0more"s,  // a third NUL
      "\0us\xffr\0pencil"s,     // not UTF-8
      "\0user\0"s + std::string(kMaxClientMessageBytes, 'p'),
  };
  for (const std::string& message : messages) {
    const SaslOutcome outcome = server()->step(message);
    EXPECT_EQ(outcome.state, State::kFailure);
    EXPECT_EQ(outcome.condition, "malformed-request");
  }
  EXPECT_TRUE(calls_.empty());
}

TEST_F(PlainTest, NoInitialResponseThenMessage) {
  auto mech = server();
  const SaslOutcome challenge = mech->step("");
  EXPECT_EQ(challenge.state, State::kContinue);
  EXPECT_TRUE(challenge.data.empty());
  EXPECT_EQ(mech->step("\0user\0pencil"s).state, State::kSuccess);
}

TEST_F(PlainTest, OneMessageOnly) {
  auto mech = server();
  ASSERT_EQ(mech->step("\0user\0pencil"s).state, State::kSuccess);
  EXPECT_EQ(mech->step("\0user\0pencil"s).condition, "malformed-request");
  auto failed = server();
  ASSERT_EQ(failed->step("\0user\0wrong"s).state, State::kFailure);
  EXPECT_EQ(failed->step("\0user\0pencil"s).condition, "malformed-request");
}

TEST_F(PlainTest, ChecksStoredScramCredentials) {
  // As the chat session wires it: PLAIN checked against the SCRAM-SHA-256 row.
  const ScramCredentials stored = newScramCredentials(ScramHash::kSha256, "pencil");
  auto mech = makePlainServer([&stored](std::string_view user, std::string_view password) {
    return user == "user" && verifyPassword(stored, password);
  });
  EXPECT_EQ(mech->step("\0user\0pencil"s).state, State::kSuccess);
  auto wrong = makePlainServer([&stored](std::string_view, std::string_view password) {
    return verifyPassword(stored, password);
  });
  EXPECT_EQ(wrong->step("\0user\0pencil!"s).condition, "not-authorized");
}

TEST(Anonymous, AcceptsEmptyOrTrace) {
  auto mech = makeAnonymousServer();
  EXPECT_EQ(mech->name(), "ANONYMOUS");
  const SaslOutcome outcome = mech->step("");
  ASSERT_EQ(outcome.state, State::kSuccess);
  EXPECT_TRUE(outcome.username.empty());
  EXPECT_TRUE(outcome.data.empty());

  EXPECT_EQ(makeAnonymousServer()->step("sirhc@example.org").state, State::kSuccess);
  EXPECT_EQ(makeAnonymousServer()->step("guest with spaces").state, State::kSuccess);
}

TEST(Anonymous, TraceIsAtMost255Characters) {
  // Characters, not bytes (RFC 4505 §3): 255 two-byte 'é' pass, 256 ASCII do not.
  std::string accented;
  for (int i = 0; i < 255; ++i) accented += "\xC3\xA9";
  EXPECT_EQ(makeAnonymousServer()->step(accented).state, State::kSuccess);
  EXPECT_EQ(makeAnonymousServer()->step(std::string(255, 'a')).state, State::kSuccess);
  EXPECT_EQ(makeAnonymousServer()->step(std::string(256, 'a')).condition, "malformed-request");
}

TEST(Anonymous, RejectsControlCharactersAndBadUtf8) {
  EXPECT_EQ(makeAnonymousServer()->step("a\nb").condition, "malformed-request");
  EXPECT_EQ(makeAnonymousServer()->step("a\0b"s).condition, "malformed-request");
  EXPECT_EQ(makeAnonymousServer()->step("bad\xff").condition, "malformed-request");
}

TEST(Anonymous, OneMessageOnly) {
  auto mech = makeAnonymousServer();
  ASSERT_EQ(mech->step("").state, State::kSuccess);
  EXPECT_EQ(mech->step("").condition, "malformed-request");
}

}  // namespace
}  // namespace throng::chat::sasl
