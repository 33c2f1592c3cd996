#include "store/archive.h"

#include "store/migrations.h"
#include "store/sqlite.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace throng::store {
namespace {

template <class F>
ArchiveQuery Q(F set) {
  ArchiveQuery q;
  set(q);
  return q;
}

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(dir_ / "archive.sqlite");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto version = migrate(*db_, schemaMigrations());
    ASSERT_TRUE(version.ok()) << version.error().message;
  }

  // Messages m1..mN in room `room`, one second apart, alternating nicks alice/bob.
  void fill(const std::string& room, int n, std::int64_t delay_us = 0) {
    for (int i = 1; i <= n; ++i) {
      ArchiveRow row;
      row.room = room;
      row.stanza_id = "m" + std::to_string(i);
      row.at_us = i * 1'000'000LL;
      row.visible_at_us = row.at_us + delay_us;
      row.nick = i % 2 == 1 ? "alice" : "bob";
      row.occupant_id = row.nick + "-id";
      row.stanza = "<message>" + row.stanza_id + "</message>";
      auto seq = appendArchived(*db_, row);
      ASSERT_TRUE(seq.ok()) << seq.error().message;
    }
  }

  static std::string ids(const ArchivePage& page) {
    std::string out;
    for (const auto& row : page.rows) out += (out.empty() ? "" : " ") + row.stanza_id;
    return out;
  }

  ArchivePage run(const ArchiveQuery& query) {
    auto page = queryArchive(*db_, query);
    EXPECT_TRUE(page.ok()) << page.error().message;
    return page.ok() ? *page : ArchivePage{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(ArchiveTest, PagesForwardFromTheStartAndBackwardFromTheEnd) {
  fill("lobby", 7);
  fill("other", 3);
  ArchiveQuery q = Q([](ArchiveQuery& x) { x.room = "lobby"; x.max = 3; });
  auto first = run(q);
  EXPECT_EQ(ids(first), "m1 m2 m3");
  EXPECT_FALSE(first.complete);
  q.after_id = "m6";
  auto tail = run(q);
  EXPECT_EQ(ids(tail), "m7");
  EXPECT_TRUE(tail.complete);

  ArchiveQuery back = Q([](ArchiveQuery& x) { x.room = "lobby"; x.from_end = true; x.max = 3; });
  auto last = run(back);
  EXPECT_EQ(ids(last), "m5 m6 m7");  // oldest first, even paging backwards
  EXPECT_FALSE(last.complete);
  back.before_id = "m3";
  auto head = run(back);
  EXPECT_EQ(ids(head), "m1 m2");
  EXPECT_TRUE(head.complete);
}

TEST_F(ArchiveTest, FiltersByNickTimeIdsAndVisibility) {
  fill("lobby", 6, /*delay_us=*/500'000);
  EXPECT_EQ(ids(run(Q([](ArchiveQuery& q) { q.room = "lobby"; q.with_nick = "bob"; }))), "m2 m4 m6");
  EXPECT_EQ(ids(run(Q([](ArchiveQuery& q) { q.room = "lobby"; q.start_us = 2'000'000; q.end_us = 4'000'000; }))), "m2 m3 m4");
  EXPECT_EQ(ids(run(Q([](ArchiveQuery& q) {
    q.room = "lobby";
    q.ids = {"m5", "m1", "nope"};
  }))), "m1 m5");
  // A message held by the moderation delay is not visible before its time.
  EXPECT_EQ(ids(run(Q([](ArchiveQuery& q) { q.room = "lobby"; q.visible_at_most_us = 3'600'000; }))), "m1 m2 m3");
  // before-id without RSM <before/> is a filter: the first page below it.
  EXPECT_EQ(ids(run(Q([](ArchiveQuery& q) { q.room = "lobby"; q.before_id = "m5"; q.max = 2; }))), "m1 m2");
}

TEST_F(ArchiveTest, UnknownPagingIdIsReportedNotAnError) {
  fill("lobby", 2);
  auto page = run(Q([](ArchiveQuery& q) { q.room = "lobby"; q.after_id = "m9"; }));
  EXPECT_TRUE(page.unknown_id);
  // An id from another room is unknown in this one.
  fill("other", 3);
  EXPECT_TRUE(run(Q([](ArchiveQuery& q) { q.room = "lobby"; q.before_id = "m3"; })).unknown_id);
}

TEST_F(ArchiveTest, RetractionReplacesTheStanzaAndKeepsTheRow) {
  fill("lobby", 3);
  ASSERT_TRUE(retractArchived(*db_, "lobby", "m2", "<message><retracted/></message>").value());
  EXPECT_FALSE(retractArchived(*db_, "lobby", "m9", "<x/>").value());
  auto row = findArchived(*db_, "lobby", "m2").value();
  ASSERT_TRUE(row.has_value());
  EXPECT_TRUE(row->retracted);
  EXPECT_EQ(row->stanza, "<message><retracted/></message>");
  EXPECT_EQ(row->nick, "bob");
  EXPECT_EQ(ids(run(Q([](ArchiveQuery& q) { q.room = "lobby"; }))), "m1 m2 m3");
}

TEST_F(ArchiveTest, LatestAndPruneAreBounded) {
  fill("lobby", 10);
  auto latest = latestArchived(*db_, "lobby", 4).value();
  ASSERT_EQ(latest.size(), 4u);
  EXPECT_EQ(latest.front().stanza_id, "m7");
  EXPECT_EQ(latest.back().stanza_id, "m10");
  // Rows older than 6 s: m1..m5, pruned two at a time.
  EXPECT_EQ(pruneArchive(*db_, 6'000'000, 2).value(), 2);
  EXPECT_EQ(pruneArchive(*db_, 6'000'000, 10).value(), 3);
  EXPECT_EQ(pruneArchive(*db_, 6'000'000, 10).value(), 0);
  EXPECT_EQ(ids(run(Q([](ArchiveQuery& q) { q.room = "lobby"; }))), "m6 m7 m8 m9 m10");
}

TEST_F(ArchiveTest, RejectsRowsThatBreakTheirLimits) {
  ArchiveRow row;
  row.room = "lobby";
  row.at_us = 1;
  row.stanza = "<message/>";
  auto missing_id = appendArchived(*db_, row);
  ASSERT_FALSE(missing_id.ok());
  EXPECT_EQ(missing_id.error().message.rfind("stanza_id: ", 0), 0u);
  row.stanza_id = "ok";
  row.nick = std::string("\xC3", 1);
  auto bad_nick = appendArchived(*db_, row);
  ASSERT_FALSE(bad_nick.ok());
  EXPECT_EQ(bad_nick.error().message.rfind("nick: ", 0), 0u);
  row.nick = "alice";
  row.stanza = std::string(300 * 1024, 'x');
  EXPECT_FALSE(appendArchived(*db_, row).ok());
  // The same id twice in one room is refused (the room makes unique ids; a clash is a bug).
  row.stanza = "<message/>";
  ASSERT_TRUE(appendArchived(*db_, row).ok());
  EXPECT_FALSE(appendArchived(*db_, row).ok());
}

}  // namespace
}  // namespace throng::store
