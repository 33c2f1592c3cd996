// The MAM query reader (mam_query.h) and the in-memory part of a room's archive
// (recent_archive.h): what memory may answer, and what it must leave to SQLite.
#include "chat/muc/mam_query.h"
#include "chat/muc/recent_archive.h"
#include "proto/xml_stream.h"

#include <gtest/gtest.h>

#include <optional>

namespace throng::chat::muc {
namespace {

const std::string kRoom = "room@rooms.example";

// Parses one stanza and returns its <query xmlns='urn:xmpp:mam:2'/>.
proto::XmlElement queryOf(std::string_view xml) {
  struct Catch : proto::XmlStreamListener {
    void onStreamOpen(const proto::XmlElement&) override {}
    void onStreamClose() override {}
    void onStanza(proto::XmlElement s) override { stanza = std::move(s); }
    std::optional<proto::XmlElement> stanza;
  } listener;
  proto::XmlStreamParser parser(proto::XmlStreamParser::Mode::kStream, proto::XmlLimits{}, listener);
  EXPECT_FALSE(parser.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"));
  EXPECT_FALSE(parser.feed(xml));
  EXPECT_TRUE(listener.stanza.has_value());
  return *listener.stanza->child("query", "urn:xmpp:mam:2");
}

std::string form(std::string_view fields) {
  return std::string("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field>") +
         std::string(fields) + "</x>";
}

Result<MamQuery> parse(std::string_view inner) {
  return parseMamQuery(queryOf("<iq type='set'><query xmlns='urn:xmpp:mam:2' queryid='q'>" +
                               std::string(inner) + "</query></iq>"),
                       kRoom);
}

TEST(MamQuery, ReadsTheFormAndTheRsmSet) {
  auto q = parse(form("<field var='with'><value>room@rooms.example/bob</value></field>"
                      "<field var='start'><value>2026-01-01T00:00:00Z</value></field>") +
                 "<set xmlns='http://jabber.org/protocol/rsm'><max>1000</max><before/></set>");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->query_id, "q");
  EXPECT_EQ(q->with_nick, "bob");
  EXPECT_TRUE(q->start.has_value());
  EXPECT_TRUE(q->from_end);
  EXPECT_EQ(q->max, kMamMaxPage);  // clamped, not refused
}

TEST(MamQuery, RefusesWhatItDoesNotUnderstandSayingWhy) {
  for (const auto& [inner, says] : std::vector<std::pair<std::string, std::string>>{
           {form("<field var='fulltext'><value>x</value></field>"), "unknown field 'fulltext'"},
           {"<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:x</value></field></x>", "FORM_TYPE"},
           {form("<field var='with'><value>other@rooms.example/bob</value></field>"), "occupant JID"},
           {form("<field var='end'><value>soon</value></field>"), "'end'"},
           {"<set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set>", "<max/>"},
           {"<set xmlns='http://jabber.org/protocol/rsm'><max>100001</max></set>", "<max/>"},
           {"<set xmlns='http://jabber.org/protocol/rsm'><index>3</index></set>", "<index/>"},
           {"<set xmlns='http://jabber.org/protocol/rsm'><after/></set>", "<after/>"},
           {"<bogus/>", "unexpected <bogus/>"},
       }) {
    auto q = parse(inner);
    ASSERT_FALSE(q.ok()) << inner;
    EXPECT_NE(q.error().message.find(says), std::string::npos) << q.error().message;
  }
}

class RecentArchiveTest : public ::testing::Test {
 protected:
  using TP = std::chrono::system_clock::time_point;
  static TP at(int s) { return TP(std::chrono::seconds(1'000'000 + s)); }

  // m0..m(n-1), one second apart, alice/bob alternating; capacity `capacity`.
  static RecentArchive make(int n, std::size_t capacity) {
    RecentArchive a(capacity);
    for (int i = 0; i < n; ++i) {
      ArchivedMessage m;
      m.stanza_id = "m" + std::to_string(i);
      m.at = m.visible_at = at(i);
      m.nick = i % 2 == 0 ? "alice" : "bob";
      a.add(std::move(m));
    }
    return a;
  }
  static std::string ids(const ArchiveSelection& s) {
    std::string out;
    for (const auto* m : s.messages) out += (out.empty() ? "" : " ") + m->stanza_id;
    return out;
  }
};

TEST_F(RecentArchiveTest, AnswersTheLatestPageWhenItHoldsEnough) {
  auto a = make(10, 5);  // holds m5..m9
  EXPECT_FALSE(a.holdsEverything());
  MamQuery q;
  q.from_end = true;
  q.max = 3;
  auto page = a.select(q, std::nullopt);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(ids(*page), "m7 m8 m9");
  EXPECT_FALSE(page->complete);
  // Five asked, five here, but older ones may exist on disk: memory cannot tell.
  q.max = 5;
  EXPECT_FALSE(a.select(q, std::nullopt).has_value());
  // A forward page from the start needs the start: disk.
  MamQuery forward;
  EXPECT_FALSE(a.select(forward, std::nullopt).has_value());
  // ...unless it pages after an id memory holds.
  forward.after_id = "m6";
  auto after = a.select(forward, std::nullopt);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(ids(*after), "m7 m8 m9");
  EXPECT_TRUE(after->complete);
}

TEST_F(RecentArchiveTest, AWholeArchiveInMemoryAnswersEverythingButIds) {
  auto a = make(4, 10);
  MamQuery q;
  q.with_nick = "bob";
  auto page = a.select(q, std::nullopt);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(ids(*page), "m1 m3");
  EXPECT_TRUE(page->complete);
  // Held messages stay hidden from non-moderators.
  auto visible = a.select(MamQuery{}, at(1));
  EXPECT_EQ(ids(*visible), "m0 m1");
  MamQuery by_ids;
  by_ids.ids = {"m1"};
  EXPECT_FALSE(a.select(by_ids, std::nullopt).has_value());
  MamQuery unknown;
  unknown.before_id = "nope";
  EXPECT_FALSE(a.select(unknown, std::nullopt).has_value());  // the store says item-not-found
}

TEST_F(RecentArchiveTest, FindsAnAuthorsMessageByEitherId) {
  RecentArchive a(10);
  ArchivedMessage m;
  m.stanza_id = "s1";
  m.client_id = "c1";
  m.occupant_id = "alice-id";
  a.add(m);
  EXPECT_NE(a.findFrom("alice-id", "c1"), nullptr);
  EXPECT_NE(a.findFrom("alice-id", "s1"), nullptr);
  EXPECT_EQ(a.findFrom("bob-id", "c1"), nullptr);
}

}  // namespace
}  // namespace throng::chat::muc
