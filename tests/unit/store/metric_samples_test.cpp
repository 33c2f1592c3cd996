#include "store/metric_samples.h"

#include "store/migrations.h"
#include "store/sqlite.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <limits>

namespace throng::store {
namespace {

class MetricSamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(dir_ / "metrics.sqlite");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto version = migrate(*db_, schemaMigrations());
    ASSERT_TRUE(version.ok()) << version.error().message;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(MetricSamplesTest, InsertLoadPrune) {
  ASSERT_TRUE(insertSamples(*db_, {{2000, "viewers", 12},
                                   {1000, "cpu_percent", 3.5},
                                   {2000, "cpu_percent", 4.25},
                                   {3000, "viewers", 15}})
                  .ok());
  ASSERT_TRUE(insertSamples(*db_, {}).ok());

  auto all = loadSamplesSince(*db_, 0);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all.value().size(), 4u);
  // Ordered by time, then name.
  EXPECT_EQ(all.value()[0].ts_ms, 1000);
  EXPECT_EQ(all.value()[1].name, "cpu_percent");
  EXPECT_DOUBLE_EQ(all.value()[1].value, 4.25);
  EXPECT_EQ(all.value()[2].name, "viewers");
  EXPECT_EQ(all.value()[3].ts_ms, 3000);

  auto recent = loadSamplesSince(*db_, 2000);  // inclusive
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(recent.value().size(), 3u);

  auto pruned = pruneSamplesBefore(*db_, 2000);  // exclusive
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned.value(), 1);
  auto left = loadSamplesSince(*db_, 0);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left.value().size(), 3u);
  EXPECT_EQ(left.value()[0].ts_ms, 2000);
  auto none = pruneSamplesBefore(*db_, 2000);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value(), 0);
}

TEST_F(MetricSamplesTest, NonFiniteValuesAreSkipped) {
  ASSERT_TRUE(insertSamples(*db_, {{1, "a", std::numeric_limits<double>::quiet_NaN()},
                                   {1, "b", 2.0},
                                   {1, "c", std::numeric_limits<double>::infinity()}})
                  .ok());
  auto all = loadSamplesSince(*db_, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all.value().size(), 1u);
  EXPECT_EQ(all.value()[0].name, "b");
}

TEST_F(MetricSamplesTest, FailedInsertWritesNothing) {
  // Make the second row fail: a trigger stands in for any mid-batch error.
  ASSERT_TRUE(db_->exec("CREATE TRIGGER refuse BEFORE INSERT ON metric_samples "
                        "WHEN NEW.name = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END")
                  .ok());
  Status s = insertSamples(*db_, {{1, "good", 1.0}, {1, "bad", 2.0}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("refused"), std::string::npos);
  auto all = loadSamplesSince(*db_, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all.value().empty());
}

}  // namespace
}  // namespace throng::store
