#include "store/sqlite.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace throng::store {
namespace {

TEST(Database, CachedStatementIsResetAndReused) {
  testing::TempDir dir;
  auto db = Database::open(dir / "t.sqlite");
  ASSERT_TRUE(db.ok()) << db.error().message;
  Database& d = **db;
  ASSERT_TRUE(d.exec("CREATE TABLE t (a INTEGER, b REAL, c TEXT)").ok());

  auto insert = d.cached("INSERT INTO t VALUES (?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  ASSERT_TRUE((*insert)->bind(1, 7).ok());
  ASSERT_TRUE((*insert)->bind(2, 1.5).ok());
  ASSERT_TRUE((*insert)->bind(3, std::string_view("x")).ok());
  ASSERT_TRUE((*insert)->step().ok());
  EXPECT_EQ(d.changes(), 1);
  EXPECT_EQ(d.lastInsertRowId(), 1);

  // Same SQL: same object, bindings cleared (unbound parameters read as NULL).
  auto again = d.cached("INSERT INTO t VALUES (?, ?, ?)");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *insert);
  ASSERT_TRUE((*again)->bind(1, 8).ok());
  ASSERT_TRUE((*again)->step().ok());

  auto select = d.cached("SELECT a, b, c FROM t ORDER BY a");
  ASSERT_TRUE(select.ok());
  Statement& s = **select;
  auto row = s.step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(s.columnInt64(0), 7);
  EXPECT_DOUBLE_EQ(s.columnDouble(1), 1.5);
  EXPECT_EQ(s.columnText(2), "x");
  row = s.step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(s.columnInt64(0), 8);
  EXPECT_TRUE(s.columnIsNull(2));
  EXPECT_EQ(s.columnText(2), "");
  row = s.step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST(Database, ErrorsCarrySqliteMessage) {
  testing::TempDir dir;
  auto db = Database::open(dir / "t.sqlite");
  ASSERT_TRUE(db.ok());
  Status bad = (*db)->exec("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;

  auto prepared = (*db)->cached("SELECT * FROM missing");
  ASSERT_FALSE(prepared.ok());
  EXPECT_NE(prepared.error().message.find("no such table: missing"), std::string::npos);

  ASSERT_TRUE((*db)->exec("CREATE TABLE u (k TEXT UNIQUE)").ok());
  ASSERT_TRUE((*db)->exec("INSERT INTO u VALUES ('a')").ok());
  auto insert = (*db)->cached("INSERT INTO u VALUES (?)");
  ASSERT_TRUE(insert.ok());
  ASSERT_TRUE((*insert)->bind(1, std::string_view("a")).ok());
  auto step = (*insert)->step();
  ASSERT_FALSE(step.ok());
  EXPECT_NE(step.error().message.find("UNIQUE constraint failed"), std::string::npos);
}

TEST(Database, OpenFailureNamesPath) {
  testing::TempDir dir;
  const auto path = dir / "missing-dir" / "t.sqlite";
  auto db = Database::open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find(path.string()), std::string::npos) << db.error().message;
}

}  // namespace
}  // namespace throng::store
