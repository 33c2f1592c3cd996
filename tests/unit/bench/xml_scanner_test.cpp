#include "bench/xml_scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace throng::bench {
namespace {

// Captured from a throng server (SASL ANONYMOUS, bind, MUC join), abbreviated.
constexpr std::string_view kStream =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='anon.localhost' id='x1' "
    "version='1.0'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
    "<mechanism>ANONYMOUS</mechanism></mechanisms></stream:features>\n"
    "<presence from='demo@rooms.localhost/a&apos;b' to='x@anon.localhost/r'>"
    "<x xmlns='http://jabber.org/protocol/muc#user'><item role='visitor'/>"
    "<status code='110'/></x></presence>"
    "<message type='groupchat' id='q&gt;1' from='demo@rooms.localhost/n'><body>1 &lt; 2 "
    "&amp; a > b</body></message>"
    "<iq type=\"result\" id='b1'/>"
    "</stream:stream>";

struct Recorder : XmlScannerListener {
  void onScanOpen() override { events.push_back("open"); }
  void onScanElement(std::string_view name, std::string_view raw) override {
    events.push_back(std::string(name) + "=" + std::string(raw));
  }
  void onScanClose() override { events.push_back("close"); }
  std::vector<std::string> events;
};

std::vector<std::string> scanInChunks(std::string_view input, std::size_t chunk) {
  Recorder recorder;
  XmlScanner scanner(recorder);
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    EXPECT_FALSE(scanner.feed(input.substr(i, chunk)).has_value());
  }
  return recorder.events;
}

TEST(XmlScanner, SplitsDepthOneElements) {
  const auto events = scanInChunks(kStream, kStream.size());
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0], "open");
  EXPECT_TRUE(events[1].starts_with("stream:features=<stream:features><mechanisms"));
  EXPECT_TRUE(events[1].ends_with("</stream:features>"));
  EXPECT_TRUE(events[2].starts_with("presence=<presence from="));
  EXPECT_TRUE(events[2].ends_with("</x></presence>"));
  EXPECT_TRUE(events[3].starts_with("message=<message type='groupchat'"));
  EXPECT_TRUE(events[3].ends_with("a > b</body></message>"));  // '>' in text is plain data
  EXPECT_EQ(events[4], "iq=<iq type=\"result\" id='b1'/>");
  EXPECT_EQ(events[5], "close");
}

TEST(XmlScanner, AnyChunkingGivesTheSameElements) {
  const auto whole = scanInChunks(kStream, kStream.size());
  for (std::size_t chunk = 1; chunk < 40; ++chunk) {
    EXPECT_EQ(scanInChunks(kStream, chunk), whole) << "chunk size " << chunk;
  }
}

TEST(XmlScanner, QuotedGreaterThanDoesNotEndATag) {
  Recorder recorder;
  XmlScanner scanner(recorder);
  ASSERT_FALSE(scanner.feed("<stream:stream a='>'><m t='a>b' u=\"/>\"><b/></m>").has_value());
  ASSERT_EQ(recorder.events.size(), 2u);
  EXPECT_EQ(recorder.events[1], "m=<m t='a>b' u=\"/>\"><b/></m>");
}

TEST(XmlScanner, ResetInsideACallbackRestartsTheStream) {
  struct Restarter : Recorder {
    XmlScanner* scanner = nullptr;
    void onScanElement(std::string_view name, std::string_view raw) override {
      Recorder::onScanElement(name, raw);
      if (name == "success") scanner->reset();
    }
  } restarter;
  XmlScanner scanner(restarter);
  restarter.scanner = &scanner;
  ASSERT_FALSE(scanner
                   .feed("<?xml version='1.0'?><stream:stream><success/><?xml version='1.0'?>"
                         "<stream:stream><stream:features/>")
                   .has_value());
  EXPECT_EQ(restarter.events,
            (std::vector<std::string>{"open", "success=<success/>", "open",
                                      "stream:features=<stream:features/>"}));
}

TEST(XmlScanner, RefusesCommentsAndOversizedElements) {
  Recorder recorder;
  XmlScanner scanner(recorder, 32);
  EXPECT_TRUE(scanner.feed("<stream:stream><!-- no -->").has_value());
  EXPECT_TRUE(scanner.feed("<a/>").has_value());  // stays failed
  scanner.reset();
  ASSERT_FALSE(scanner.feed("<stream:stream><message>").has_value());
  EXPECT_TRUE(scanner.feed(std::string(40, 'x')).has_value());
}

TEST(StartTagAttribute, FindsAndDecodesValues) {
  constexpr std::string_view raw =
      "<presence  from='demo@rooms.localhost/a&apos;b' type = \"unavailable\" "
      "to='x'><status code='110'/></presence>";
  EXPECT_EQ(startTagAttribute(raw, "from"), "demo@rooms.localhost/a'b");
  EXPECT_EQ(startTagAttribute(raw, "type"), "unavailable");
  EXPECT_EQ(startTagAttribute(raw, "to"), "x");
  EXPECT_EQ(startTagAttribute(raw, "code"), std::nullopt);  // a child's, not the start tag's
  EXPECT_EQ(startTagAttribute("<iq/>", "id"), std::nullopt);
  EXPECT_EQ(startTagAttribute("<iq id='b1'/>", "id"), "b1");
  EXPECT_EQ(startTagAttribute("<m b='&lt;&amp;&gt;&quot;&#65;'/>", "b"), "<&>\"&#65;");
}

}  // namespace
}  // namespace throng::bench
