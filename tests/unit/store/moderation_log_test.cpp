#include "store/moderation_log.h"

#include "store/migrations.h"
#include "store/rooms.h"
#include "store/sqlite.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <optional>

namespace throng::store {
namespace {

// "field: ..." is the contract for validation errors (moderation_log.h).
template <class T>
void expectFieldError(const Result<T>& result, const std::string& field) {
  ASSERT_FALSE(result.ok()) << "expected an error naming " << field;
  EXPECT_EQ(result.error().message.rfind(field + ": ", 0), 0u) << result.error().message;
}

ModerationLogEntry entry(std::string room, std::string action, std::string target = "troll",
                         std::int64_t at_ms = 1000) {
  ModerationLogEntry e;
  e.room = std::move(room);
  e.at_ms = at_ms;
  e.actor = "alice@example.org";
  e.actor_nick = "Alice";
  e.action = std::move(action);
  e.target = std::move(target);
  e.reason = "spam";
  return e;
}

std::vector<std::string> targets(const ModerationLogPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.entries) out.push_back(e.target);
  return out;
}

class ModerationLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(dir_ / "log.sqlite");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto version = migrate(*db_, schemaMigrations());
    ASSERT_TRUE(version.ok()) << version.error().message;
  }

  std::int64_t append(const ModerationLogEntry& e) {
    auto id = appendModerationLog(*db_, e);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : -1;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(ModerationLogTest, AppendsAndListsEveryFieldNewestFirst) {
  const auto first = append(entry("lobby", "kick", "bob", 1000));
  auto second_entry = entry("lobby", "ip-ban", "192.0.2.7", 2000);
  second_entry.actor = "";  // the server acting on its own
  second_entry.actor_nick = "";
  second_entry.reason = "flood — 3 warnings";
  const auto second = append(second_entry);
  EXPECT_GT(second, first);

  auto page = listModerationLog(*db_, "lobby", std::nullopt, 50);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->next_before, std::nullopt);
  const auto& newest = page->entries[0];
  EXPECT_EQ(newest.id, second);
  EXPECT_EQ(newest.room, "lobby");
  EXPECT_EQ(newest.at_ms, 2000);
  EXPECT_EQ(newest.actor, "");
  EXPECT_EQ(newest.action, "ip-ban");
  EXPECT_EQ(newest.target, "192.0.2.7");
  EXPECT_EQ(newest.reason, "flood — 3 warnings");
  const auto& oldest = page->entries[1];
  EXPECT_EQ(oldest.id, first);
  EXPECT_EQ(oldest.actor, "alice@example.org");
  EXPECT_EQ(oldest.actor_nick, "Alice");
  EXPECT_EQ(oldest.action, "kick");
  EXPECT_EQ(oldest.target, "bob");
  EXPECT_EQ(oldest.reason, "spam");
}

TEST_F(ModerationLogTest, ListsOnlyTheRoomAsked) {
  append(entry("lobby", "kick", "a"));
  append(entry("other", "ban", "b"));
  append(entry("lobby", "mute", "c"));
  auto page = listModerationLog(*db_, "lobby", std::nullopt, 50);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(targets(*page), (std::vector<std::string>{"c", "a"}));
  EXPECT_TRUE(hasModerationLog(*db_, "other").value());
  EXPECT_FALSE(hasModerationLog(*db_, "nowhere").value());
  auto none = listModerationLog(*db_, "nowhere", std::nullopt, 50);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->entries.empty());
  EXPECT_EQ(none->next_before, std::nullopt);
}

TEST_F(ModerationLogTest, PagesWithBeforeIdUntilTheEnd) {
  for (int i = 0; i < 7; ++i) append(entry("lobby", "kick", "t" + std::to_string(i)));
  append(entry("other", "kick", "elsewhere"));  // interleaved ids of another room

  auto first = listModerationLog(*db_, "lobby", std::nullopt, 3);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(targets(*first), (std::vector<std::string>{"t6", "t5", "t4"}));
  ASSERT_TRUE(first->next_before.has_value());
  EXPECT_EQ(*first->next_before, first->entries.back().id);

  auto second = listModerationLog(*db_, "lobby", first->next_before, 3);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(targets(*second), (std::vector<std::string>{"t3", "t2", "t1"}));
  ASSERT_TRUE(second->next_before.has_value());

  auto last = listModerationLog(*db_, "lobby", second->next_before, 3);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(targets(*last), (std::vector<std::string>{"t0"}));
  EXPECT_EQ(last->next_before, std::nullopt);

  // A page that ends exactly at the oldest row has no next page either.
  auto exact = listModerationLog(*db_, "lobby", second->next_before, 1);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(targets(*exact), (std::vector<std::string>{"t0"}));
  EXPECT_EQ(exact->next_before, std::nullopt);

  // before_id below every row: an empty page.
  auto empty = listModerationLog(*db_, "lobby", std::int64_t{1}, 3);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->entries.empty());
}

TEST_F(ModerationLogTest, LimitIsCappedAndZeroIsRefused) {
  for (std::size_t i = 0; i < kMaxModerationLogPage + 5; ++i) append(entry("lobby", "retract"));
  auto page = listModerationLog(*db_, "lobby", std::nullopt, 100000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->entries.size(), kMaxModerationLogPage);
  EXPECT_TRUE(page->next_before.has_value());
  expectFieldError(listModerationLog(*db_, "lobby", std::nullopt, 0), "limit");
}

TEST_F(ModerationLogTest, EveryDefinedActionIsAcceptedAndNothingElse) {
  for (const std::string_view action : moderation_action::kAll) {
    EXPECT_TRUE(appendModerationLog(*db_, entry("lobby", std::string(action))).ok()) << action;
  }
  for (const std::string action : {"", "KICK", "kick ", "delete", "ip_ban"}) {
    expectFieldError(appendModerationLog(*db_, entry("lobby", action)), "action");
  }
  auto page = listModerationLog(*db_, "lobby", std::nullopt, 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->entries.size(), moderation_action::kAll.size());  // refusals wrote nothing
}

TEST_F(ModerationLogTest, RefusesBrokenFieldsNamingThem) {
  expectFieldError(appendModerationLog(*db_, entry("", "kick")), "room");
  expectFieldError(appendModerationLog(*db_, entry("a@b", "kick")), "room");
  expectFieldError(appendModerationLog(*db_, entry(std::string(257, 'r'), "kick")), "room");

  auto negative = entry("lobby", "kick");
  negative.at_ms = -1;
  expectFieldError(appendModerationLog(*db_, negative), "at_ms");

  auto full_jid = entry("lobby", "kick");
  full_jid.actor = "alice@example.org/phone";
  expectFieldError(appendModerationLog(*db_, full_jid), "actor");
  auto spaced = entry("lobby", "kick");
  spaced.actor = "alice @example.org";
  expectFieldError(appendModerationLog(*db_, spaced), "actor");

  auto long_nick = entry("lobby", "kick");
  long_nick.actor_nick = std::string(1024, 'n');
  expectFieldError(appendModerationLog(*db_, long_nick), "actor_nick");

  auto bad_target = entry("lobby", "kick", "\xff");
  expectFieldError(appendModerationLog(*db_, bad_target), "target");

  auto reason = entry("lobby", "kick");
  reason.reason = std::string(1024, 'x');
  EXPECT_TRUE(appendModerationLog(*db_, reason).ok());  // exactly the bound
  reason.reason = std::string(1025, 'x');
  expectFieldError(appendModerationLog(*db_, reason), "reason");
  reason.reason = "caf\xc3";
  expectFieldError(appendModerationLog(*db_, reason), "reason");
}

TEST_F(ModerationLogTest, RoomsKnowTheirAffiliations) {
  // The lookups the admin API authorizes with (rooms.h).
  ASSERT_TRUE(saveRoom(*db_, RoomRecord{"lobby", "{}", "", "", 1}).ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "lobby", "alice@example.org", "owner", "").ok());
  EXPECT_TRUE(roomExists(*db_, "lobby").value());
  EXPECT_FALSE(roomExists(*db_, "other").value());
  EXPECT_EQ(findRoomAffiliation(*db_, "lobby", "alice@example.org").value(), "owner");
  EXPECT_EQ(findRoomAffiliation(*db_, "lobby", "bob@example.org").value(), std::nullopt);
  EXPECT_EQ(findRoomAffiliation(*db_, "other", "alice@example.org").value(), std::nullopt);
}

}  // namespace
}  // namespace throng::store
