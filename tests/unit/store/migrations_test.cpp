#include "store/migrations.h"

#include "store/sqlite.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace throng::store {
namespace {

std::unique_ptr<Database> openDb(const std::filesystem::path& path) {
  auto db = Database::open(path);
  EXPECT_TRUE(db.ok()) << db.error().message;
  return std::move(db).value();
}

std::int64_t count(Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.error().message;
  auto row = (*stmt)->step();
  EXPECT_TRUE(row.ok() && *row);
  return (*stmt)->columnInt64(0);
}

bool hasTable(Database& db, const std::string& name) {
  return count(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name +
                       "'") == 1;
}

TEST(Migrations, ProjectListAppliesOnceAndIsIdempotentOnReopen) {
  testing::TempDir dir;
  const auto path = dir / "db.sqlite";
  {
    auto db = openDb(path);
    auto version = migrate(*db, schemaMigrations());
    ASSERT_TRUE(version.ok()) << version.error().message;
    EXPECT_EQ(*version, schemaMigrations().back().version);
    EXPECT_TRUE(hasTable(*db, "events"));
    EXPECT_TRUE(hasTable(*db, "metric_samples"));
    EXPECT_EQ(count(*db,
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                    "name = 'metric_samples_ts'"),
              1);
  }
  auto db = openDb(path);
  auto version = migrate(*db, schemaMigrations());
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, schemaMigrations().back().version);
  EXPECT_EQ(count(*db, "SELECT COUNT(*) FROM schema_version"),
            static_cast<std::int64_t>(schemaMigrations().size()));
}

TEST(Migrations, AppliesOnlyNewerMigrations) {
  testing::TempDir dir;
  auto db = openDb(dir / "db.sqlite");
  const std::vector<Migration> v1 = {{1, "t1", "CREATE TABLE t1 (x INTEGER)"}};
  ASSERT_EQ(migrate(*db, v1).value(), 1);
  // Re-running migration 1 would fail (table exists), so success proves it was skipped.
  const std::vector<Migration> v2 = {{1, "t1", "CREATE TABLE t1 (x INTEGER)"},
                                     {2, "t2", "CREATE TABLE t2 (y INTEGER)"}};
  auto version = migrate(*db, v2);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, 2);
  EXPECT_TRUE(hasTable(*db, "t2"));
  EXPECT_EQ(schemaVersionOf(*db).value(), 2);
}

TEST(Migrations, RefusesDowngrade) {
  testing::TempDir dir;
  auto db = openDb(dir / "db.sqlite");
  const std::vector<Migration> newer = {{1, "a", "CREATE TABLE a (x)"},
                                        {2, "b", "CREATE TABLE b (x)"}};
  ASSERT_EQ(migrate(*db, newer).value(), 2);
  const std::vector<Migration> older = {{1, "a", "CREATE TABLE a (x)"}};
  auto version = migrate(*db, older);
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.error().message.find("newer"), std::string::npos) << version.error().message;
  EXPECT_NE(version.error().message.find("downgrade"), std::string::npos);
}

TEST(Migrations, RefusesListNotStrictlyIncreasing) {
  testing::TempDir dir;
  auto db = openDb(dir / "db.sqlite");
  const std::vector<Migration> backwards = {{2, "b", "CREATE TABLE b (x)"},
                                            {1, "a", "CREATE TABLE a (x)"}};
  EXPECT_FALSE(migrate(*db, backwards).ok());
  const std::vector<Migration> repeated = {{1, "a", "CREATE TABLE a (x)"},
                                           {1, "b", "CREATE TABLE b (x)"}};
  EXPECT_FALSE(migrate(*db, repeated).ok());
  const std::vector<Migration> zero = {{0, "a", "CREATE TABLE a (x)"}};
  EXPECT_FALSE(migrate(*db, zero).ok());
  EXPECT_FALSE(hasTable(*db, "a"));
  EXPECT_FALSE(hasTable(*db, "b"));
}

TEST(Migrations, FailedMigrationRollsBackAndKeepsEarlierOnes) {
  testing::TempDir dir;
  auto db = openDb(dir / "db.sqlite");
  const std::vector<Migration> list = {{1, "good", "CREATE TABLE good (x)"},
                                       {2, "half", "CREATE TABLE half (x); CREATE TABLE broken ("}};
  auto version = migrate(*db, list);
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.error().message.find("migration 2 (half)"), std::string::npos)
      << version.error().message;
  EXPECT_TRUE(hasTable(*db, "good"));
  EXPECT_FALSE(hasTable(*db, "half"));  // rolled back with the statement that failed
  EXPECT_EQ(schemaVersionOf(*db).value(), 1);
}

}  // namespace
}  // namespace throng::store
