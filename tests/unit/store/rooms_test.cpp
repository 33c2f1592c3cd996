#include "store/rooms.h"

#include "store/accounts.h"
#include "store/migrations.h"
#include "store/sqlite.h"
#include "store/storage.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <optional>

namespace throng::store {
namespace {

// "field: ..." is the contract for validation errors (rooms.h).
void expectFieldError(const Status& status, const std::string& field) {
  ASSERT_FALSE(status.ok()) << "expected an error naming " << field;
  EXPECT_EQ(status.error().message.rfind(field + ": ", 0), 0u) << status.error().message;
}

std::vector<std::string> roomNames(Database& db) {
  // Held in a variable: ranging over listRooms(db).value() would dangle (the Result is a
  // temporary, and value() of a temporary is not lifetime-extended before C++23).
  const auto rooms = listRooms(db);
  std::vector<std::string> names;
  for (const RoomRecord& room : rooms.value()) names.push_back(room.name);
  return names;
}

// "room jid affiliation" per row, in listing order.
std::vector<std::string> affiliationRows(Database& db) {
  const auto affiliations = listRoomAffiliations(db);
  std::vector<std::string> rows;
  for (const RoomAffiliationRecord& a : affiliations.value()) {
    rows.push_back(a.room + " " + a.jid + " " + a.affiliation);
  }
  return rows;
}

// A bare connection, as the other repository tests use: foreign_keys is off (sqlite's
// default), so these tests also show that the repository does not rely on the cascade.
class RoomsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(dir_ / "rooms.sqlite");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto version = migrate(*db_, schemaMigrations());
    ASSERT_TRUE(version.ok()) << version.error().message;
  }

  static RoomRecord room(const std::string& name, std::int64_t created_at_ms = 1000) {
    return RoomRecord{name, R"({"persistent":true})", "", "", created_at_ms};
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(RoomsTest, SaveInsertsThenReplacesConfigAndSubjectKeepingCreatedAt) {
  ASSERT_TRUE(saveRoom(*db_, room("lobby", 1000)).ok());
  RoomRecord changed{"lobby", R"({"persistent":true,"moderated":true})", "Welcome", "alice", 9999};
  const Status saved = saveRoom(*db_, changed);
  ASSERT_TRUE(saved.ok()) << saved.error().message;

  const auto rooms = listRooms(*db_).value();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].name, "lobby");
  EXPECT_EQ(rooms[0].config_json, changed.config_json);
  EXPECT_EQ(rooms[0].subject, "Welcome");
  EXPECT_EQ(rooms[0].subject_by, "alice");
  EXPECT_EQ(rooms[0].created_at_ms, 1000);  // from the first save
}

TEST_F(RoomsTest, DeleteTakesTheRoomsAffiliationsAndOnlyThose) {
  ASSERT_TRUE(saveRoom(*db_, room("a")).ok());
  ASSERT_TRUE(saveRoom(*db_, room("b")).ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "a", "alice@example.org", "owner", "").ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "a", "bob@example.org", "member", "").ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "b", "alice@example.org", "admin", "").ok());

  EXPECT_TRUE(deleteRoom(*db_, "a").value());
  EXPECT_EQ(roomNames(*db_), std::vector<std::string>{"b"});
  EXPECT_EQ(affiliationRows(*db_), std::vector<std::string>{"b alice@example.org admin"});

  EXPECT_FALSE(deleteRoom(*db_, "a").value());  // already gone
  EXPECT_FALSE(deleteRoom(*db_, "never").value());
}

TEST_F(RoomsTest, SchemaCascadesWhenForeignKeysAreOn) {
  // Storage::open turns foreign_keys on; then the schema alone removes the affiliations.
  ASSERT_TRUE(db_->exec("PRAGMA foreign_keys=ON").ok());
  ASSERT_TRUE(saveRoom(*db_, room("a")).ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "a", "alice@example.org", "owner", "").ok());
  ASSERT_TRUE(db_->exec("DELETE FROM rooms WHERE name = 'a'").ok());
  EXPECT_TRUE(listRoomAffiliations(*db_).value().empty());

  ASSERT_TRUE(saveRoom(*db_, room("b")).ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "b", "alice@example.org", "owner", "").ok());
  EXPECT_TRUE(deleteRoom(*db_, "b").value());
  EXPECT_TRUE(listRoomAffiliations(*db_).value().empty());
}

TEST_F(RoomsTest, SetReplacesAndNoneRemoves) {
  ASSERT_TRUE(saveRoom(*db_, room("lobby")).ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "lobby", "eve@example.org", "member", "").ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "lobby", "eve@example.org", "outcast", "spam").ok());
  auto rows = listRoomAffiliations(*db_).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].affiliation, "outcast");
  EXPECT_EQ(rows[0].reason, "spam");

  ASSERT_TRUE(setRoomAffiliation(*db_, "lobby", "eve@example.org", "none", "").ok());
  EXPECT_TRUE(listRoomAffiliations(*db_).value().empty());
  // "none" for a JID without a row is a no-op, not an error.
  EXPECT_TRUE(setRoomAffiliation(*db_, "lobby", "eve@example.org", "none", "").ok());
}

TEST_F(RoomsTest, RefusesAffiliationsInAnUnknownRoom) {
  expectFieldError(setRoomAffiliation(*db_, "nowhere", "alice@example.org", "owner", ""), "room");
  expectFieldError(setRoomAffiliation(*db_, "nowhere", "alice@example.org", "none", ""), "room");
  EXPECT_TRUE(listRoomAffiliations(*db_).value().empty());
}

TEST_F(RoomsTest, RefusesInvalidFieldsNamingThem) {
  for (const std::string& bad :
       {std::string(), std::string(257, 'a'), std::string("a@b"), std::string("a/b"),
        std::string("a b"), std::string("a\tb"), std::string("a\u00A0b"), std::string("a\0b", 3),
        std::string("\xFF")}) {
    expectFieldError(saveRoom(*db_, room(bad)), "name");
    expectFieldError(setRoomAffiliation(*db_, bad, "alice@example.org", "owner", ""), "room");
  }
  EXPECT_TRUE(saveRoom(*db_, room(std::string(256, 'a'))).ok());

  RoomRecord long_subject = room("lobby");
  long_subject.subject = std::string(4097, 's');
  expectFieldError(saveRoom(*db_, long_subject), "subject");
  RoomRecord bad_utf8 = room("lobby");
  bad_utf8.subject = "\xC3";
  expectFieldError(saveRoom(*db_, bad_utf8), "subject");
  RoomRecord bad_nick = room("lobby");
  bad_nick.subject_by = std::string(1024, 'n');
  expectFieldError(saveRoom(*db_, bad_nick), "subject_by");
  RoomRecord max_subject = room("lobby");
  max_subject.subject = std::string(4096, 's');
  EXPECT_TRUE(saveRoom(*db_, max_subject).ok());

  for (const std::string& bad_jid :
       {std::string(), std::string(3072, 'j'), std::string("alice@example.org/phone"),
        std::string("alice @example.org")}) {
    expectFieldError(setRoomAffiliation(*db_, "lobby", bad_jid, "member", ""), "jid");
  }
  for (const char* bad_affiliation : {"", "Owner", "moderator", "participant", "visitor"}) {
    expectFieldError(setRoomAffiliation(*db_, "lobby", "a@example.org", bad_affiliation, ""),
                     "affiliation");
  }
  expectFieldError(
      setRoomAffiliation(*db_, "lobby", "a@example.org", "outcast", std::string(1025, 'r')),
      "reason");
  EXPECT_TRUE(
      setRoomAffiliation(*db_, "lobby", "a@example.org", "outcast", std::string(1024, 'r')).ok());
  EXPECT_TRUE(setRoomAffiliation(*db_, "lobby", "example.org", "member", "").ok());  // a server

  EXPECT_EQ(affiliationRows(*db_),
            (std::vector<std::string>{"lobby a@example.org outcast", "lobby example.org member"}));
}

TEST_F(RoomsTest, ListsSortedByRoomThenJid) {
  EXPECT_TRUE(listRooms(*db_).value().empty());
  EXPECT_TRUE(listRoomAffiliations(*db_).value().empty());
  for (const char* name : {"zeta", "alpha", "mid"}) ASSERT_TRUE(saveRoom(*db_, room(name)).ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "zeta", "a@x", "owner", "").ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "alpha", "c@x", "member", "").ok());
  ASSERT_TRUE(setRoomAffiliation(*db_, "alpha", "b@x", "admin", "").ok());

  EXPECT_EQ(roomNames(*db_), (std::vector<std::string>{"alpha", "mid", "zeta"}));
  EXPECT_EQ(affiliationRows(*db_),
            (std::vector<std::string>{"alpha b@x admin", "alpha c@x member", "zeta a@x owner"}));
}

// Through Storage, as the server runs it (WAL, foreign_keys on, one transaction per batch),
// then a second Storage on the same file.
TEST(RoomsOnStorage, SurviveClosingAndReopeningTheDatabase) {
  testing::TempDir dir;
  StorageOptions options;
  options.path = dir / "throng.db";
  {
    auto storage = Storage::open(options);
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    (*storage)->start();
    std::optional<Status> written;
    (*storage)->submit(
        [](Database& db) -> Status {
          if (Status s = saveRoom(db, RoomRecord{"lobby", "{}", "Hi", "alice", 42}); !s) return s;
          return setRoomAffiliation(db, "lobby", "alice@example.org", "owner", "creator");
        },
        [&written](Status s) { written.emplace(std::move(s)); });
    (*storage)->stop();
    ASSERT_TRUE(written.has_value());
    ASSERT_TRUE(written->ok()) << written->error().message;
  }

  auto storage = Storage::open(options);
  ASSERT_TRUE(storage.ok()) << storage.error().message;
  (*storage)->start();
  std::optional<Result<std::vector<RoomRecord>>> rooms;
  std::optional<Result<std::vector<RoomAffiliationRecord>>> affiliations;
  (*storage)->submit([&](Database& db) -> Status {
    rooms.emplace(listRooms(db));
    affiliations.emplace(listRoomAffiliations(db));
    return {};
  });
  (*storage)->stop();

  ASSERT_TRUE(rooms && rooms->ok());
  ASSERT_EQ(rooms->value().size(), 1u);
  const RoomRecord& lobby = rooms->value()[0];
  EXPECT_EQ(lobby.name, "lobby");
  EXPECT_EQ(lobby.config_json, "{}");
  EXPECT_EQ(lobby.subject, "Hi");
  EXPECT_EQ(lobby.subject_by, "alice");
  EXPECT_EQ(lobby.created_at_ms, 42);
  ASSERT_TRUE(affiliations && affiliations->ok());
  ASSERT_EQ(affiliations->value().size(), 1u);
  const RoomAffiliationRecord& owner = affiliations->value()[0];
  EXPECT_EQ(owner.room, "lobby");
  EXPECT_EQ(owner.jid, "alice@example.org");
  EXPECT_EQ(owner.affiliation, "owner");
  EXPECT_EQ(owner.reason, "creator");
}

// A database written by the previous release (schema version 2) gains the room tables and
// keeps its data.
TEST(RoomsMigration, AppliesOnADatabaseAtVersion2) {
  testing::TempDir dir;
  const auto path = dir / "v2.sqlite";
  const std::vector<Migration>& all = schemaMigrations();
  ASSERT_GE(all.size(), 3u);
  ASSERT_EQ(all[2].version, 3);
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db.ok()) << db.error().message;
    const std::vector<Migration> up_to_v2(all.begin(), all.begin() + 2);
    ASSERT_EQ(migrate(**db, up_to_v2).value(), 2);
    ASSERT_TRUE(createAccount(**db, AccountRecord{"alice", "a", "b", 7}).value());
    // The room tables do not exist yet.
    EXPECT_FALSE(listRooms(**db).ok());
  }

  auto db = Database::open(path);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto version = migrate(**db, all);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, all.back().version);
  EXPECT_EQ(listAccounts(**db).value(), std::vector<std::string>{"alice"});
  ASSERT_TRUE(saveRoom(**db, RoomRecord{"lobby", "{}", "", "", 1}).ok());
  ASSERT_TRUE(setRoomAffiliation(**db, "lobby", "alice@example.org", "owner", "").ok());
  EXPECT_EQ(roomNames(**db), std::vector<std::string>{"lobby"});
  // The CHECK constraint is in the schema, not only in rooms.cpp.
  EXPECT_FALSE((*db)
                   ->exec("INSERT INTO room_affiliations (room, jid, affiliation)"
                          " VALUES ('lobby', 'x@y', 'none')")
                   .ok());
}

}  // namespace
}  // namespace throng::store
