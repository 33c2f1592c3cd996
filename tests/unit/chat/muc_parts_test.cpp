// The room's parts that need no workers: the history ring, the owner form, stored config.
#include "chat/muc/history.h"
#include "chat/muc/room_config.h"

#include <gtest/gtest.h>

namespace throng::chat::muc {
namespace {

using namespace std::chrono;

RoutedStanza stanzaOf(std::string body) {
  proto::XmlElement m("message", "jabber:client");
  proto::XmlElement b("body", "jabber:client");
  b.addText(std::move(body));
  m.addChild(std::move(b));
  return RoutedStanza::make(m, Delivery::kEssential);
}

std::string bodies(const std::vector<RoutedStanza>& stanzas) {
  std::string out;
  for (const auto& s : stanzas) {
    const auto tail = s.tail.view();
    const auto start = tail.find("<body>") + 6;
    out += std::string(tail.substr(start, tail.find("</body>") - start)) + ",";
  }
  return out;
}

TEST(RoutedStanza, SplitsAroundTheRecipient) {
  proto::XmlElement m("message", "jabber:client");
  m.setAttribute("from", "room@rooms.localhost/a");
  auto routed = RoutedStanza::make(m, Delivery::kEssential);
  EXPECT_EQ(std::string(routed.head.view()) + "bob@localhost/x" + std::string(routed.tail.view()),
            "<message to='bob@localhost/x' xmlns='jabber:client' from='room@rooms.localhost/a'/>");
  // The archive's copy: the same bytes as serializing the stanza itself.
  EXPECT_EQ(routed.withoutTo(), m.serialize());
}

TEST(HistoryRing, KeepsTheNewestUpToCapacity) {
  HistoryRing ring(3);
  const auto t0 = system_clock::now();
  for (int i = 1; i <= 5; ++i) ring.add(stanzaOf(std::to_string(i)), t0 + seconds(i));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(bodies(ring.select({}, t0 + seconds(10))), "3,4,5,");
  ring.setCapacity(1);
  EXPECT_EQ(bodies(ring.select({}, t0 + seconds(10))), "5,");
}

TEST(HistoryRing, HonoursEveryLimitTheStrictestWins) {
  HistoryRing ring(10);
  const auto t0 = system_clock::now();
  for (int i = 1; i <= 5; ++i) ring.add(stanzaOf(std::to_string(i)), t0 + seconds(i * 10));
  const auto now = t0 + seconds(60);
  HistoryRequest r;
  r.max_stanzas = 2;
  EXPECT_EQ(bodies(ring.select(r, now)), "4,5,");
  r = {};
  r.max_stanzas = 0;
  EXPECT_EQ(bodies(ring.select(r, now)), "");
  r = {};
  r.seconds = 25;  // entries at t0+40 and t0+50 are within 25 s of t0+60
  EXPECT_EQ(bodies(ring.select(r, now)), "4,5,");
  r = {};
  r.since = t0 + seconds(30);
  EXPECT_EQ(bodies(ring.select(r, now)), "3,4,5,");
  r.max_stanzas = 1;
  EXPECT_EQ(bodies(ring.select(r, now)), "5,");
  r = {};
  r.max_chars = ring.select({}, now).back().sizeWithout() * 2;
  EXPECT_EQ(bodies(ring.select(r, now)), "4,5,");
  r.max_chars = 1;
  EXPECT_EQ(bodies(ring.select(r, now)), "");
}

proto::XmlElement submitted(std::vector<std::pair<std::string, std::vector<std::string>>> fields) {
  proto::XmlElement x("x", "jabber:x:data");
  x.setAttribute("type", "submit");
  for (auto& [var, values] : fields) {
    proto::XmlElement f("field", "jabber:x:data");
    f.setAttribute("var", var);
    for (auto& v : values) {
      proto::XmlElement value("value", "jabber:x:data");
      value.addText(v);
      f.addChild(std::move(value));
    }
    x.addChild(std::move(f));
  }
  return x;
}

TEST(RoomConfigForm, AppliesKnownFieldsAndIgnoresUnknownOnes) {
  RoomConfig config;
  auto status = applyConfigForm(
      submitted({{"FORM_TYPE", {"http://jabber.org/protocol/muc#roomconfig"}},
                 {"muc#roomconfig_roomname", {"Launch"}},
                 {"muc#roomconfig_moderatedroom", {"true"}},
                 {"muc#roomconfig_presencebroadcast", {"moderator", "participant"}},
                 {"muc#roomconfig_allowpm", {"moderators"}},
                 {"muc#roomconfig_maxusers", {"5000"}},
                 {"x-unknown#field", {"whatever"}}}),
      config);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(config.name, "Launch");
  EXPECT_TRUE(config.moderated);
  EXPECT_TRUE(config.presence_broadcast.contains(Role::kParticipant));
  EXPECT_FALSE(config.presence_broadcast.contains(Role::kVisitor));
  EXPECT_EQ(config.allow_pm, AllowPm::kModerators);
  EXPECT_EQ(config.max_users, 5000u);
}

TEST(RoomConfigForm, ABadValueNamesTheFieldAndChangesNothing) {
  RoomConfig config;
  config.name = "before";
  for (auto [var, value] : std::vector<std::pair<std::string, std::string>>{
           {"muc#roomconfig_persistentroom", "yes"},
           {"muc#roomconfig_maxusers", "-1"},
           {"muc#maxhistoryfetch", "100000"},
           {"muc#roomconfig_whois", "everybody"},
           {"muc#roomconfig_presencebroadcast", "king"},
           {"FORM_TYPE", "urn:other"}}) {
    auto status = applyConfigForm(
        submitted({{"muc#roomconfig_roomname", {"after"}}, {var, {value}}}), config);
    ASSERT_FALSE(status) << var;
    EXPECT_NE(status.error().message.find(var), std::string::npos) << status.error().message;
    EXPECT_EQ(config.name, "before");
  }
  auto long_name = applyConfigForm(
      submitted({{"muc#roomconfig_roomname", {std::string(201, 'x')}}}), config);
  EXPECT_FALSE(long_name);
}

TEST(RoomConfigForm, TheFormShowsTheCurrentValues) {
  auto config = RoomConfig::forEvent("Launch", {Role::kModerator, Role::kParticipant});
  const auto form = configForm(config).serialize();
  EXPECT_NE(form.find("muc#roomconfig_presencebroadcast"), std::string::npos);
  EXPECT_NE(form.find("<value>Launch</value>"), std::string::npos);
  // What the form shows, submitted back, changes nothing.
  auto parsed = configForm(config);
  parsed.setAttribute("type", "submit");
  RoomConfig copy = config;
  ASSERT_TRUE(applyConfigForm(parsed, copy));
  EXPECT_EQ(configToJson(copy), configToJson(config));
}

TEST(RoomConfigJson, RoundTripsAndToleratesOldRows) {
  auto config = RoomConfig::forEvent("Launch", {Role::kModerator});
  config.max_users = 42;
  auto back = configFromJson(configToJson(config));
  ASSERT_TRUE(back);
  EXPECT_EQ(configToJson(*back), configToJson(config));
  auto old = configFromJson(R"({"name":"x","unknown":1})");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->name, "x");
  EXPECT_EQ(old->history_length, RoomConfig{}.history_length);
  EXPECT_FALSE(configFromJson("[1,2]"));
  EXPECT_FALSE(configFromJson("{\"name\": 5}"));
  EXPECT_FALSE(configFromJson("not json"));
}

}  // namespace
}  // namespace throng::chat::muc
