#include "store/accounts.h"

#include "store/migrations.h"
#include "store/sqlite.h"
#include "store/storage.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace throng::store {
namespace {

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(dir_ / "accounts.sqlite");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto version = migrate(*db_, schemaMigrations());
    ASSERT_TRUE(version.ok()) << version.error().message;
  }

  static AccountRecord record(const std::string& name, const std::string& creds = "c") {
    return AccountRecord{name, "sha1:" + creds, "sha256:" + creds, 1234};
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(AccountsTest, MigrationCreatesTheTable) {
  EXPECT_EQ(schemaVersionOf(*db_).value(), schemaMigrations().back().version);
  auto stmt = db_->prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'accounts'");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE((*stmt)->step().value());
  EXPECT_EQ((*stmt)->columnInt64(0), 1);
}

TEST_F(AccountsTest, CreateFindUpdateDelete) {
  ASSERT_TRUE(createAccount(*db_, record("alice")).value());
  auto found = findAccount(*db_, "alice");
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->username, "alice");
  EXPECT_EQ((*found)->scram_sha1, "sha1:c");
  EXPECT_EQ((*found)->scram_sha256, "sha256:c");
  EXPECT_EQ((*found)->created_at_ms, 1234);

  EXPECT_TRUE(updateAccountCredentials(*db_, "alice", "sha1:d", "sha256:d").value());
  found = findAccount(*db_, "alice");
  EXPECT_EQ((*found)->scram_sha1, "sha1:d");
  EXPECT_EQ((*found)->scram_sha256, "sha256:d");
  EXPECT_EQ((*found)->created_at_ms, 1234);

  EXPECT_TRUE(deleteAccount(*db_, "alice").value());
  EXPECT_FALSE(findAccount(*db_, "alice").value().has_value());
}

TEST_F(AccountsTest, ExpectedAnswersForTakenAndMissingNames) {
  ASSERT_TRUE(createAccount(*db_, record("alice")).value());
  EXPECT_FALSE(createAccount(*db_, record("alice", "other")).value());
  EXPECT_EQ(findAccount(*db_, "alice").value()->scram_sha1, "sha1:c");  // unchanged
  EXPECT_FALSE(findAccount(*db_, "bob").value().has_value());
  EXPECT_FALSE(updateAccountCredentials(*db_, "bob", "a", "b").value());
  EXPECT_FALSE(deleteAccount(*db_, "bob").value());
}

TEST_F(AccountsTest, ListIsSorted) {
  EXPECT_TRUE(listAccounts(*db_).value().empty());
  for (const char* name : {"carol", "alice", "bob.smith"}) {
    ASSERT_TRUE(createAccount(*db_, record(name)).value());
  }
  EXPECT_EQ(listAccounts(*db_).value(), (std::vector<std::string>{"alice", "bob.smith", "carol"}));
}

TEST_F(AccountsTest, RefusesInvalidNamesAndEmptyCredentials) {
  auto bad_name = createAccount(*db_, record("Alice"));
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.error().message.find("username"), std::string::npos);
  EXPECT_FALSE(createAccount(*db_, AccountRecord{"alice", "", "x", 1}).ok());
  EXPECT_FALSE(createAccount(*db_, AccountRecord{"alice", "x", "", 1}).ok());
  ASSERT_TRUE(createAccount(*db_, record("alice")).value());
  EXPECT_FALSE(updateAccountCredentials(*db_, "alice", "", "x").ok());
  EXPECT_TRUE(listAccounts(*db_).value() == std::vector<std::string>{"alice"});
}

TEST(ValidateUsername, Rules) {
  const std::vector<std::string> good = {"a",     "alice", "bob.smith",
                                         "x_y-z", "0",     std::string(64, 'a')};
  for (const std::string& ok : good) {
    EXPECT_TRUE(validateUsername(ok).ok()) << ok;
  }
  for (const std::string& bad : {std::string(), std::string(65, 'a'), std::string("Alice"),
                                 std::string("a b"), std::string("a@b"), std::string("a/b"),
                                 std::string("caf\xC3\xA9"), std::string("a\0b", 3)}) {
    const Status status = validateUsername(bad);
    EXPECT_FALSE(status.ok()) << bad;
    if (!status.ok()) {
      EXPECT_EQ(status.error().message.rfind("username: ", 0), 0u);
    }
  }
}

TEST(AccountsOnStorage, JobsThroughTheStorageThread) {
  testing::TempDir dir;
  StorageOptions options;
  options.path = dir / "throng.db";
  auto storage = Storage::open(options);
  ASSERT_TRUE(storage.ok()) << storage.error().message;
  (*storage)->start();
  std::optional<Result<bool>> created;
  std::optional<Result<std::vector<std::string>>> listed;
  (*storage)->submit([&](Database& db) -> Status {
    created.emplace(createAccount(db, AccountRecord{"alice", "a", "b", 1}));
    return {};
  });
  (*storage)->submit([&](Database& db) -> Status {
    listed.emplace(listAccounts(db));
    return {};
  });
  (*storage)->flush();
  (*storage)->stop();
  ASSERT_TRUE(created && created->ok() && created->value());
  ASSERT_TRUE(listed && listed->ok());
  EXPECT_EQ(listed->value(), std::vector<std::string>{"alice"});
}

}  // namespace
}  // namespace throng::store
