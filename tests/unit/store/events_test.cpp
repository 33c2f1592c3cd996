#include "store/events.h"

#include "store/migrations.h"
#include "store/sqlite.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace throng::store {
namespace {

bool startsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(dir_ / "events.sqlite");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto version = migrate(*db_, schemaMigrations());
    ASSERT_TRUE(version.ok()) << version.error().message;
  }

  EventRecord create(const std::string& slug, const std::string& title = "A title") {
    auto created = createEvent(*db_, NewEvent{slug, title, "about " + slug, false}, 5000);
    EXPECT_TRUE(created.ok()) << created.error().message;
    EXPECT_TRUE(created.value().has_value());
    return *created.value();
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(EventsTest, CreateFindListUpdateDelete) {
  const EventRecord a = create("alpha");
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.slug, "alpha");
  EXPECT_EQ(a.description, "about alpha");
  EXPECT_EQ(a.created_at_ms, 5000);
  EXPECT_EQ(a.stream_key.size(), 48u);  // 24 random bytes as hex
  EXPECT_EQ(a.stream_key.find_first_not_of("0123456789abcdef"), std::string::npos);
  const EventRecord b = create("beta-2");
  EXPECT_NE(a.stream_key, b.stream_key);

  auto found = findEvent(*db_, "alpha");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found.value().has_value());
  EXPECT_EQ(found.value()->id, a.id);
  EXPECT_EQ(found.value()->title, a.title);
  EXPECT_EQ(found.value()->stream_key, a.stream_key);
  auto missing = findEvent(*db_, "gamma");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing.value().has_value());

  auto all = listEvents(*db_);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all.value().size(), 2u);
  EXPECT_EQ(all.value()[0].slug, "alpha");
  EXPECT_EQ(all.value()[1].slug, "beta-2");

  EventUpdate update;
  update.title = "New title";
  auto updated = updateEvent(*db_, "alpha", update);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  ASSERT_TRUE(updated.value().has_value());
  EXPECT_EQ(updated.value()->title, "New title");
  EXPECT_EQ(updated.value()->description, "about alpha");  // untouched
  EXPECT_EQ(updated.value()->stream_key, a.stream_key);    // not rotated

  EventUpdate rotate;
  rotate.description = "";
  rotate.rotate_stream_key = true;
  auto rotated = updateEvent(*db_, "alpha", rotate);
  ASSERT_TRUE(rotated.ok());
  ASSERT_TRUE(rotated.value().has_value());
  EXPECT_NE(rotated.value()->stream_key, a.stream_key);
  EXPECT_EQ(rotated.value()->stream_key.size(), 48u);
  auto reread = findEvent(*db_, "alpha");
  ASSERT_TRUE(reread.ok() && reread.value().has_value());
  EXPECT_EQ(reread.value()->title, "New title");
  EXPECT_EQ(reread.value()->description, "");
  EXPECT_EQ(reread.value()->stream_key, rotated.value()->stream_key);

  auto no_such = updateEvent(*db_, "gamma", update);
  ASSERT_TRUE(no_such.ok());
  EXPECT_FALSE(no_such.value().has_value());

  auto deleted = deleteEvent(*db_, "alpha");
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(deleted.value());
  auto deleted_again = deleteEvent(*db_, "alpha");
  ASSERT_TRUE(deleted_again.ok());
  EXPECT_FALSE(deleted_again.value());
  auto after = listEvents(*db_);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after.value().size(), 1u);
  EXPECT_EQ(after.value()[0].slug, "beta-2");
}

TEST_F(EventsTest, TakenSlugGivesNullopt) {
  const EventRecord first = create("taken");
  auto second = createEvent(*db_, NewEvent{"taken", "Other", "", false}, 6000);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second.value().has_value());
  auto found = findEvent(*db_, "taken");
  ASSERT_TRUE(found.ok() && found.value().has_value());
  EXPECT_EQ(found.value()->title, first.title);  // the first one is untouched
}

TEST_F(EventsTest, SlugRules) {
  EXPECT_TRUE(isValidSlug("a"));
  EXPECT_TRUE(isValidSlug("my-event-2024"));
  EXPECT_TRUE(isValidSlug(std::string(64, 'x')));
  EXPECT_FALSE(isValidSlug(""));
  EXPECT_FALSE(isValidSlug(std::string(65, 'x')));
  EXPECT_FALSE(isValidSlug("-lead"));
  EXPECT_FALSE(isValidSlug("trail-"));
  EXPECT_FALSE(isValidSlug("Upper"));
  EXPECT_FALSE(isValidSlug("under_score"));
  EXPECT_FALSE(isValidSlug("sp ace"));
  EXPECT_FALSE(isValidSlug("dot.dot"));
  EXPECT_FALSE(isValidSlug("caf\xc3\xa9"));
}

TEST_F(EventsTest, ValidationErrorsNameTheField) {
  const auto expectField = [](const Status& s, std::string_view field) {
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(startsWith(s.error().message, field)) << s.error().message;
  };
  expectField(validateNewEvent({"", "t", ""}), "slug: ");
  expectField(validateNewEvent({"Bad", "t", ""}), "slug: ");
  expectField(validateNewEvent({"-bad", "t", ""}), "slug: ");
  expectField(validateNewEvent({std::string(65, 'a'), "t", ""}), "slug: ");
  expectField(validateNewEvent({"ok", "", ""}), "title: ");
  expectField(validateNewEvent({"ok", std::string(201, 't'), ""}), "title: ");
  expectField(validateNewEvent({"ok", "bad \xff utf8", ""}), "title: ");
  expectField(validateNewEvent({"ok", "t", std::string(4001, 'd')}), "description: ");
  expectField(validateNewEvent({"ok", "t", "\xed\xa0\x80"}), "description: ");  // surrogate
  EXPECT_TRUE(validateNewEvent({"ok", std::string(200, 't'), std::string(4000, 'd')}).ok());
  EXPECT_TRUE(validateNewEvent({"ok", "Caf\xc3\xa9 \xf0\x9f\x8e\xb8", ""}).ok());

  EventUpdate empty_title;
  empty_title.title = "";
  expectField(validateEventUpdate(empty_title), "title: ");
  EventUpdate long_description;
  long_description.description = std::string(4001, 'd');
  expectField(validateEventUpdate(long_description), "description: ");
  EXPECT_TRUE(validateEventUpdate(EventUpdate{}).ok());

  // The repository refuses the same input, and writes nothing.
  auto created = createEvent(*db_, NewEvent{"Bad Slug", "t", "", false}, 0);
  ASSERT_FALSE(created.ok());
  EXPECT_TRUE(startsWith(created.error().message, "slug: "));
  create("fine");
  auto updated = updateEvent(*db_, "fine", empty_title);
  ASSERT_FALSE(updated.ok());
  EXPECT_TRUE(startsWith(updated.error().message, "title: "));
  auto all = listEvents(*db_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value().size(), 1u);
  EXPECT_EQ(all.value()[0].title, "A title");
}

}  // namespace
}  // namespace throng::store
