#include "proto/xml_stream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace throng::proto {
namespace {

using Mode = XmlStreamParser::Mode;

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0' "
    "xml:lang='en'>";

// Records what the parser reports, as strings easy to compare.
class Recorder : public XmlStreamListener {
 public:
  void onStreamOpen(const XmlElement& header) override {
    headers.push_back(header);
    events.push_back("open " + header.name());
  }
  void onStanza(XmlElement stanza) override {
    events.push_back("stanza " + stanza.serialize());
    stanzas.push_back(std::move(stanza));
  }
  void onStreamClose() override { events.push_back("close"); }

  std::vector<std::string> events;
  std::vector<XmlElement> headers;
  std::vector<XmlElement> stanzas;
};

struct Harness {
  explicit Harness(Mode mode, XmlLimits limits = {}) : parser(mode, limits, recorder) {}
  Recorder recorder;
  XmlStreamParser parser;
};

// Feeds `input` in one go and returns the error, if any.
std::optional<XmlParseError> feedAll(XmlStreamParser& p, std::string_view input) {
  return p.feed(input);
}

// 85 bytes, for tests with a small stanza limit (the header counts against it too).
constexpr std::string_view kShortHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

std::string stream(std::string_view body) {
  return std::string(kHeader) + std::string(body);
}
std::string shortStream(std::string_view body) {
  return std::string(kShortHeader) + std::string(body);
}

const std::string kConversation = stream(
    "<message to='room@muc.example.org' type='groupchat' id='m1'><body>a &amp; b &lt;3 "
    "&#x263A;</body></message>\n"
    " <presence to='room@muc.example.org/nick'><x xmlns='http://jabber.org/protocol/muc'>"
    "<history maxstanzas='0'/></x></presence>"
    "<iq type='get' id='i1'><ping xmlns='urn:xmpp:ping'/></iq>"
    "</stream:stream>");

const std::vector<std::string> kConversationEvents = {
    "open stream",
    "stanza <message xmlns='jabber:client' to='room@muc.example.org' type='groupchat' "
    "id='m1'><body>a &amp; b &lt;3 \xE2\x98\xBA</body></message>",
    "stanza <presence xmlns='jabber:client' to='room@muc.example.org/nick'><x "
    "xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>",
    "stanza <iq xmlns='jabber:client' type='get' id='i1'><ping xmlns='urn:xmpp:ping'/></iq>",
    "close",
};

TEST(XmlStream, ErrorConditionNames) {
  EXPECT_EQ(xmlErrorCondition(XmlError::kNotWellFormed), "not-well-formed");
  EXPECT_EQ(xmlErrorCondition(XmlError::kRestrictedXml), "restricted-xml");
  EXPECT_EQ(xmlErrorCondition(XmlError::kPolicyViolation), "policy-violation");
  EXPECT_EQ(xmlErrorCondition(XmlError::kInvalidNamespace), "invalid-namespace");
  EXPECT_EQ(xmlErrorCondition(XmlError::kBadFormat), "bad-format");
}

TEST(XmlStream, HeaderStanzasAndClose) {
  Harness h(Mode::kStream);
  EXPECT_EQ(h.parser.defaultNamespace(), "");
  EXPECT_EQ(feedAll(h.parser, kConversation), std::nullopt);
  EXPECT_EQ(h.recorder.events, kConversationEvents);
  EXPECT_EQ(h.parser.defaultNamespace(), "jabber:client");
  ASSERT_EQ(h.recorder.headers.size(), 1u);
  const XmlElement& header = h.recorder.headers[0];
  EXPECT_EQ(header.name(), "stream");
  EXPECT_EQ(header.xmlns(), kStreamsNs);
  EXPECT_EQ(header.childCount(), 0u);
  EXPECT_EQ(header.attributeOr("to", ""), "example.org");
  EXPECT_EQ(header.attributeOr("version", ""), "1.0");
  EXPECT_EQ(header.attributeOr("xml:lang", ""), "en");
  EXPECT_EQ(header.attributes().size(), 3u);  // namespace declarations are not attributes
}

TEST(XmlStream, HeaderDeliveredBeforeItsEndTag) {
  Harness h(Mode::kStream);
  EXPECT_EQ(h.parser.feed(kHeader), std::nullopt);
  EXPECT_EQ(h.recorder.events, std::vector<std::string>{"open stream"});
}

TEST(XmlStream, EveryTwoChunkSplitGivesTheSameEvents) {
  for (std::size_t cut = 0; cut <= kConversation.size(); ++cut) {
    Harness h(Mode::kStream);
    const std::string_view all = kConversation;
    ASSERT_EQ(h.parser.feed(all.substr(0, cut)), std::nullopt) << "cut " << cut;
    ASSERT_EQ(h.parser.feed(all.substr(cut)), std::nullopt) << "cut " << cut;
    ASSERT_EQ(h.recorder.events, kConversationEvents) << "cut " << cut;
  }
}

TEST(XmlStream, ByteByByte) {
  Harness h(Mode::kStream);
  for (char c : kConversation) ASSERT_EQ(h.parser.feed(std::string_view(&c, 1)), std::nullopt);
  EXPECT_EQ(h.recorder.events, kConversationEvents);
}

TEST(XmlStream, StanzaDeliveredAsSoonAsItsEndTagArrives) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("<message><body>x</body></mess")), std::nullopt);
  EXPECT_EQ(h.recorder.stanzas.size(), 0u);
  ASSERT_EQ(h.parser.feed("age>"), std::nullopt);
  EXPECT_EQ(h.recorder.stanzas.size(), 1u);
}

TEST(XmlStream, WhitespaceKeepaliveIgnored) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("<presence/>")), std::nullopt);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(h.parser.feed(" "), std::nullopt);
  ASSERT_EQ(h.parser.feed("\r\n\t<presence/>"), std::nullopt);
  EXPECT_EQ(h.recorder.events,
            (std::vector<std::string>{"open stream", "stanza <presence xmlns='jabber:client'/>",
                                      "stanza <presence xmlns='jabber:client'/>"}));
}

TEST(XmlStream, KeepalivesDoNotCountTowardsTheStanzaLimit) {
  Harness h(Mode::kStream, XmlLimits{.max_stanza_bytes = 100});
  ASSERT_EQ(h.parser.feed(shortStream("")), std::nullopt);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(h.parser.feed("  "), std::nullopt);
  EXPECT_EQ(h.parser.feed("<presence/>"), std::nullopt);
  EXPECT_EQ(h.recorder.stanzas.size(), 1u);
}

TEST(XmlStream, TextBetweenStanzasIsBadFormat) {
  Harness h(Mode::kStream);
  auto error = h.parser.feed(stream("<presence/>hello<presence/>"));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kBadFormat);
  EXPECT_EQ(h.recorder.events.size(), 2u);  // open + the first presence only
}

TEST(XmlStream, XmlLangKeptOnStanzas) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("<message xml:lang='fr'><body xml:lang='de'>Hallo</body>"
                                 "</message>")),
            std::nullopt);
  ASSERT_EQ(h.recorder.stanzas.size(), 1u);
  const XmlElement& m = h.recorder.stanzas[0];
  EXPECT_EQ(m.attributeOr("xml:lang", ""), "fr");
  ASSERT_NE(m.child("body"), nullptr);
  EXPECT_EQ(m.child("body")->attributeOr("xml:lang", ""), "de");
  EXPECT_EQ(m.serialize("jabber:client"),
            "<message xml:lang='fr'><body xml:lang='de'>Hallo</body></message>");
}

TEST(XmlStream, ChildNamespacesResolved) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream(
                "<presence to='r@muc.example.org/n'><x xmlns='http://jabber.org/protocol/muc'>"
                "<password>p</password></x></presence>"
                "<iq type='get' id='1'><q:query xmlns:q='jabber:iq:roster' q:ver='7'/></iq>")),
            std::nullopt);
  ASSERT_EQ(h.recorder.stanzas.size(), 2u);
  const XmlElement& presence = h.recorder.stanzas[0];
  EXPECT_EQ(presence.xmlns(), "jabber:client");
  const XmlElement* x = presence.child("x", "http://jabber.org/protocol/muc");
  ASSERT_NE(x, nullptr);
  ASSERT_NE(x->child("password", "http://jabber.org/protocol/muc"), nullptr);  // inherited
  EXPECT_EQ(x->child("password")->text(), "p");
  const XmlElement& iq = h.recorder.stanzas[1];
  const XmlElement* query = iq.child("query", "jabber:iq:roster");
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(query->attributeOr("ver", ""), "7");  // prefixed attribute: keyed by local name
  EXPECT_EQ(query->attributes().size(), 1u);
}

TEST(XmlStream, PrefixedXmlnsAttributeDropped) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("<presence xmlns:q='urn:q' q:xmlns='urn:evil' a='1'/>")),
            std::nullopt);
  ASSERT_EQ(h.recorder.stanzas.size(), 1u);
  EXPECT_EQ(h.recorder.stanzas[0].serialize("jabber:client"), "<presence a='1'/>");
}

TEST(XmlStream, StanzaWithoutDefaultNamespaceHasEmptyNamespace) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
                          "<presence/>"),
            std::nullopt);
  EXPECT_EQ(h.parser.defaultNamespace(), "");
  ASSERT_EQ(h.recorder.stanzas.size(), 1u);
  EXPECT_EQ(h.recorder.stanzas[0].xmlns(), "");
}

TEST(XmlStream, CdataAndCharacterReferencesAreText) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("<message><body>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;"
                                 "<![CDATA[<not a tag>]]></body></message>")),
            std::nullopt);
  ASSERT_EQ(h.recorder.stanzas.size(), 1u);
  const XmlElement* body = h.recorder.stanzas[0].child("body");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->text(), "<>&\"'AB<not a tag>");
  EXPECT_EQ(body->childCount(), 1u);  // expat's pieces merged into one node
}

TEST(XmlStream, SerializedStanzaReparsesToTheSame) {
  Harness h(Mode::kStream);
  ASSERT_EQ(
      h.parser.feed(stream("<message a='x&#9;y&#10;z&#13;' b=\"'\"><body>l1&#13;\nl2 ]]&gt;</body>"
                           "<x xmlns='urn:x'><y/></x></message>")),
      std::nullopt);
  ASSERT_EQ(h.recorder.stanzas.size(), 1u);
  const std::string once = h.recorder.stanzas[0].serialize("jabber:client");
  Harness again(Mode::kStream);
  ASSERT_EQ(again.parser.feed(stream(once)), std::nullopt);
  ASSERT_EQ(again.recorder.stanzas.size(), 1u);
  EXPECT_EQ(again.recorder.stanzas[0].serialize("jabber:client"), once);
  EXPECT_EQ(*again.recorder.stanzas[0].attribute("a"), "x\ty\nz\r");
}

TEST(XmlStream, ResetStartsAFreshDocument) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                                 "mechanism='ANONYMOUS'/>")),
            std::nullopt);
  h.parser.reset();
  EXPECT_EQ(h.parser.defaultNamespace(), "");
  // A new header, XML declaration included, is valid only after the reset.
  ASSERT_EQ(h.parser.feed(stream("<iq type='set' id='b'/>")), std::nullopt);
  EXPECT_EQ(h.recorder.events,
            (std::vector<std::string>{
                "open stream",
                "stanza <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>",
                "open stream", "stanza <iq xmlns='jabber:client' type='set' id='b'/>"}));
  EXPECT_EQ(h.parser.defaultNamespace(), "jabber:client");
}

TEST(XmlStream, SecondHeaderWithoutResetIsAnError) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("")), std::nullopt);
  auto error = h.parser.feed(kHeader);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kNotWellFormed);  // XML declaration in content
}

// A session restarts the stream from inside onStanza (it has just sent <success/>); bytes that
// follow in the same chunk belong to the new stream.
class RestartingRecorder : public Recorder {
 public:
  void onStanza(XmlElement stanza) override {
    const bool restart = stanza.name() == "auth";
    Recorder::onStanza(std::move(stanza));
    if (restart) parser->reset();
  }
  XmlStreamParser* parser = nullptr;
};

TEST(XmlStream, ResetFromACallbackHandsOverTheRestOfTheChunk) {
  const std::string input =
      stream("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>") +
      stream("<iq type='set' id='bind'/>");
  for (std::size_t cut : {std::size_t{0}, input.size() / 2, input.size()}) {
    RestartingRecorder recorder;
    XmlStreamParser parser(Mode::kStream, {}, recorder);
    recorder.parser = &parser;
    ASSERT_EQ(parser.feed(std::string_view(input).substr(0, cut)), std::nullopt);
    ASSERT_EQ(parser.feed(std::string_view(input).substr(cut)), std::nullopt);
    EXPECT_EQ(recorder.events,
              (std::vector<std::string>{"open stream",
                                        "stanza <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                                        "mechanism='PLAIN'>AGEAYg==</auth>",
                                        "open stream",
                                        "stanza <iq xmlns='jabber:client' type='set' id='bind'/>"}))
        << "cut " << cut;
  }
}

TEST(XmlStream, ResetClearsAFailure) {
  Harness h(Mode::kStream);
  ASSERT_TRUE(h.parser.feed("<bad>"));
  ASSERT_TRUE(h.parser.feed("<bad>"));
  ASSERT_TRUE(h.parser.feed(kHeader));
  h.parser.reset();
  EXPECT_EQ(h.parser.feed(stream("<presence/>")), std::nullopt);
  EXPECT_EQ(h.recorder.stanzas.size(), 1u);
}

TEST(XmlStream, ErrorIsStickyAndSilencesTheListener) {
  Harness h(Mode::kStream);
  auto first = h.parser.feed(stream("<presence/><a><!-- no --></a><presence/>"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->kind, XmlError::kRestrictedXml);
  const auto events = h.recorder.events;
  EXPECT_EQ(events.size(), 2u);  // open + first presence
  auto second = h.parser.feed("<presence/></stream:stream>");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->kind, first->kind);
  EXPECT_EQ(second->text, first->text);
  EXPECT_EQ(h.recorder.events, events);
}

TEST(XmlStream, DataAfterStreamCloseIsNotWellFormed) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("</stream:stream>")), std::nullopt);
  EXPECT_EQ(h.recorder.events, (std::vector<std::string>{"open stream", "close"}));
  auto error = h.parser.feed("<presence/>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kNotWellFormed);
}

// RFC 6120 §11.1 restricted XML, one case per construct; each is tried on a TCP stream (in one
// chunk and byte by byte) and in a WebSocket frame.
struct RestrictedCase {
  const char* what;
  std::string tcp;
  std::string frame;
};

const std::string kBareHeader = std::string(kHeader).substr(21);  // without the XML declaration
const std::string kMsg = "<m xmlns='jabber:client'/>";

TEST(XmlStream, RestrictedXmlRefused) {
  const std::vector<RestrictedCase> cases = {
      {"comment in prolog", "<!-- hi -->" + std::string(kHeader), "<!-- hi -->" + kMsg},
      {"comment between stanzas", stream("<!-- hi --><presence/>"), kMsg + "<!-- hi -->"},
      {"comment in stanza", stream("<message><!-- hi --></message>"),
       "<m xmlns='jabber:client'><!-- hi --></m>"},
      {"processing instruction in prolog", "<?foo bar?>" + std::string(kHeader),
       "<?foo bar?>" + kMsg},
      {"processing instruction in stanza", stream("<message><?foo bar?></message>"),
       "<m xmlns='jabber:client'><?foo?></m>"},
      {"xml-stylesheet", "<?xml version='1.0'?><?xml-stylesheet href='a'?>" + kBareHeader,
       "<?xml version='1.0'?><?xml-stylesheet href='a'?>" + kMsg},
      {"doctype without subset", "<!DOCTYPE stream:stream>" + kBareHeader, "<!DOCTYPE m>" + kMsg},
      {"doctype with external subset",
       "<!DOCTYPE stream:stream SYSTEM 'file:///etc/passwd'>" + kBareHeader,
       "<!DOCTYPE m SYSTEM 'file:///etc/passwd'>" + kMsg},
      {"doctype with internal subset", "<!DOCTYPE s [<!ELEMENT s ANY>]>" + kBareHeader,
       "<!DOCTYPE m [<!ELEMENT m ANY>]>" + kMsg},
      {"entity declaration", "<!DOCTYPE s [<!ENTITY e 'x'>]>" + kBareHeader,
       "<!DOCTYPE m [<!ENTITY e 'x'>]><m xmlns='jabber:client'>&e;</m>"},
      {"external entity",
       "<!DOCTYPE s [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>" + kBareHeader +
           "<message>&e;</message>",
       "<!DOCTYPE m [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><m xmlns='jabber:client'>&e;</m>"},
      {"undefined entity in text", stream("<message><body>&nbsp;</body></message>"),
       "<m xmlns='jabber:client'>&nbsp;</m>"},
      {"undefined entity in attribute", stream("<message to='&foo;'/>"),
       "<m xmlns='jabber:client' to='&foo;'/>"},
  };
  for (const auto& c : cases) {
    Harness h(Mode::kStream);
    auto error = h.parser.feed(c.tcp);
    ASSERT_TRUE(error) << c.what;
    EXPECT_EQ(error->kind, XmlError::kRestrictedXml) << c.what << ": " << error->text;
    EXPECT_TRUE(h.recorder.stanzas.empty()) << c.what;

    Harness b(Mode::kStream);
    std::optional<XmlParseError> byte_error;
    for (char ch : c.tcp) {
      byte_error = b.parser.feed(std::string_view(&ch, 1));
      if (byte_error) break;
    }
    ASSERT_TRUE(byte_error) << c.what;
    EXPECT_EQ(byte_error->kind, XmlError::kRestrictedXml) << c.what;
    EXPECT_TRUE(b.recorder.stanzas.empty()) << c.what;

    Harness f(Mode::kFramed);
    auto frame_error = f.parser.feed(c.frame);
    ASSERT_TRUE(frame_error) << c.what;
    EXPECT_EQ(frame_error->kind, XmlError::kRestrictedXml) << c.what << ": " << frame_error->text;
    EXPECT_TRUE(f.recorder.events.empty()) << c.what;
  }
}

TEST(XmlStream, BillionLaughsRefusedBeforeExpansion) {
  std::string doc = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>";
  std::string prev = "lol";
  for (int level = 1; level <= 9; ++level) {
    const std::string name = "lol" + std::to_string(level);
    doc += "<!ENTITY " + name + " '";
    for (int i = 0; i < 10; ++i) doc += "&" + prev + ";";
    doc += "'>";
    prev = name;
  }
  doc += "]>";
  const std::string tcp = doc + std::string(kHeader).substr(21) + "<message>&lol9;</message>";
  const std::string framed = doc + "<message xmlns='jabber:client'>&lol9;</message>";

  const auto start = std::chrono::steady_clock::now();
  Harness h(Mode::kStream);
  auto error = h.parser.feed(tcp);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kRestrictedXml);
  EXPECT_TRUE(h.recorder.events.empty());  // refused at <!DOCTYPE, before the header
  Harness f(Mode::kFramed);
  auto frame_error = f.parser.feed(framed);
  ASSERT_TRUE(frame_error);
  EXPECT_EQ(frame_error->kind, XmlError::kRestrictedXml);
  EXPECT_TRUE(f.recorder.events.empty());
  // Expanding would take ~3 GB and many seconds; refusal takes microseconds. The bound is a
  // tripwire far above any scheduling noise.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(XmlStream, StanzaAtTheSizeLimitPassesOneByteMoreFails) {
  // "<message><body>" + N x's + "</body></message>" is exactly 100 bytes for N = 68.
  const std::string fits = "<message><body>" + std::string(68, 'x') + "</body></message>";
  ASSERT_EQ(fits.size(), 100u);
  const std::string over = "<message><body>" + std::string(69, 'x') + "</body></message>";
  {
    Harness h(Mode::kStream, XmlLimits{.max_stanza_bytes = 100});
    ASSERT_EQ(h.parser.feed(shortStream("")), std::nullopt);
    for (char c : fits) ASSERT_EQ(h.parser.feed(std::string_view(&c, 1)), std::nullopt);
    EXPECT_EQ(h.parser.feed(fits), std::nullopt);
    EXPECT_EQ(h.recorder.stanzas.size(), 2u);
  }
  {
    Harness h(Mode::kStream, XmlLimits{.max_stanza_bytes = 100});
    auto error = h.parser.feed(shortStream(over));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
    EXPECT_EQ(error->text, "stanza exceeds 100 bytes");
    EXPECT_TRUE(h.recorder.stanzas.empty());
  }
  {
    Harness f(Mode::kFramed, XmlLimits{.max_stanza_bytes = 100});
    std::string frame = fits;
    frame.insert(8, " xmlns='a'");  // 110 bytes
    auto error = f.parser.feed(frame);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
  }
}

TEST(XmlStream, OversizeStanzaOfManySmallElements) {
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("<message>")), std::nullopt);
  std::optional<XmlParseError> error;
  std::size_t fed = 9;
  while (!error && fed < 200'000) {
    error = h.parser.feed("<b>hi</b>");
    fed += 9;
  }
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
  EXPECT_LE(fed, 64u * 1024 + 9);  // caught by the element that crosses the limit
  EXPECT_TRUE(h.recorder.stanzas.empty());
}

TEST(XmlStream, OversizeUnterminatedAttributeCaughtWhileGrowing) {
  // No handler runs while one token grows; the check after each feed catches it.
  Harness h(Mode::kStream);
  ASSERT_EQ(h.parser.feed(stream("<message to='")), std::nullopt);
  const std::string chunk(1000, 'a');
  std::size_t stanza_bytes = 13;
  std::optional<XmlParseError> error;
  while (!error && stanza_bytes < 10'000'000) {
    error = h.parser.feed(chunk);
    stanza_bytes += chunk.size();
  }
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
  EXPECT_GT(stanza_bytes, 64u * 1024);
  EXPECT_LE(stanza_bytes, 64u * 1024 + chunk.size());  // on the first feed over the limit
}

TEST(XmlStream, OversizeUnterminatedTokenInOneHugeFeed) {
  Harness h(Mode::kStream);
  auto error = h.parser.feed(stream("<message to='" + std::string(10'000'000, 'a')));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
}

TEST(XmlStream, OversizeStreamHeader) {
  Harness h(Mode::kStream, XmlLimits{.max_stanza_bytes = 100});
  auto error = h.parser.feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" +
                             std::string(100, 'a'));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
}

std::string nested(std::size_t depth) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += "<a>";
  for (std::size_t i = 0; i < depth; ++i) s += "</a>";
  return s;
}

TEST(XmlStream, DepthLimit) {
  {
    Harness h(Mode::kStream);
    EXPECT_EQ(h.parser.feed(stream(nested(32))), std::nullopt);
    EXPECT_EQ(h.recorder.stanzas.size(), 1u);
  }
  {
    Harness h(Mode::kStream);
    auto error = h.parser.feed(stream(nested(33)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
    EXPECT_TRUE(h.recorder.stanzas.empty());
  }
  {
    Harness f(Mode::kFramed);
    std::string frame = nested(33);
    frame.insert(2, " xmlns='jabber:client'");
    auto error = f.parser.feed(frame);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
  }
  {
    Harness h(Mode::kStream);  // a deep document is refused long before expat's own stack grows
    auto error = h.parser.feed(stream(nested(100'000)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
  }
}

std::string withAttributes(std::size_t n, std::size_t ns_decls = 0) {
  std::string s = "<message";
  for (std::size_t i = 0; i < n; ++i) s += " a" + std::to_string(i) + "='v'";
  for (std::size_t i = 0; i < ns_decls; ++i) s += " xmlns:p" + std::to_string(i) + "='urn:p'";
  return s + "/>";
}

TEST(XmlStream, AttributeLimit) {
  {
    Harness h(Mode::kStream);
    EXPECT_EQ(h.parser.feed(stream(withAttributes(64))), std::nullopt);
    ASSERT_EQ(h.recorder.stanzas.size(), 1u);
    EXPECT_EQ(h.recorder.stanzas[0].attributes().size(), 64u);
  }
  {
    Harness h(Mode::kStream);
    auto error = h.parser.feed(stream(withAttributes(65)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
  }
  {
    Harness h(Mode::kStream);  // namespace declarations count too
    auto error = h.parser.feed(stream(withAttributes(60, 5)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind, XmlError::kPolicyViolation);
  }
}

// Found by fuzzing: an element in the reserved xml namespace parsed, but its serialization
// (xmlns='http://www.w3.org/XML/1998/namespace') is not well-formed XML.
TEST(XmlStream, ElementsInReservedNamespacesAreInvalidNamespace) {
  for (std::string_view body : {"<xml:message/>", "<message xmlns='jabber:client'><xml:x/></message>"}) {
    Harness h(Mode::kStream);
    auto error = h.parser.feed(stream(body));
    ASSERT_TRUE(error) << body;
    EXPECT_EQ(error->kind, XmlError::kInvalidNamespace) << body;
    EXPECT_TRUE(h.recorder.stanzas.empty());
  }
}

TEST(XmlStream, WrongRootIsInvalidNamespace) {
  for (std::string_view input :
       {"<stream:stream xmlns:stream='urn:wrong' xmlns='jabber:client'>",
        "<stream xmlns='jabber:client'>",
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>",
        "<message xmlns='jabber:client'/>"}) {
    Harness h(Mode::kStream);
    auto error = h.parser.feed(input);
    ASSERT_TRUE(error) << input;
    EXPECT_EQ(error->kind, XmlError::kInvalidNamespace) << input;
    EXPECT_TRUE(h.recorder.events.empty());
  }
}

TEST(XmlStream, InvalidUtf8IsNotWellFormed) {
  for (std::string_view bad :
       {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xE2\x82", "\xF4\x90\x80\x80"}) {
    for (bool in_attribute : {false, true}) {
      Harness h(Mode::kStream);
      const std::string body = in_attribute
                                   ? "<message to='" + std::string(bad) + "'/>"
                                   : "<message><body>" + std::string(bad) + "</body></message>";
      auto error = h.parser.feed(stream(body));
      ASSERT_TRUE(error) << in_attribute;
      EXPECT_EQ(error->kind, XmlError::kNotWellFormed) << error->text;
      EXPECT_TRUE(h.recorder.stanzas.empty());
    }
  }
}

TEST(XmlStream, DeclaredEncodingIsIgnoredInFavourOfUtf8) {
  Harness h(Mode::kStream);
  auto error =
      h.parser.feed("<?xml version='1.0' encoding='ISO-8859-1'?>" +
                    std::string(kHeader).substr(21) + "<message><body>\xE9</body></message>");
  ASSERT_TRUE(error);  // Latin-1 é is not UTF-8
  EXPECT_EQ(error->kind, XmlError::kNotWellFormed);
}

TEST(XmlStream, MalformedXml) {
  for (std::string_view body : {"<a></b>", "<a b='1' b='2'/>", "<p:a/>", "<a <b/>", "<a>&#0;</a>",
                                "<a>&amp</a>", "<a x=1/>"}) {
    Harness h(Mode::kStream);
    auto error = h.parser.feed(stream(body));
    ASSERT_TRUE(error) << body;
    EXPECT_EQ(error->kind, XmlError::kNotWellFormed) << body << ": " << error->text;
  }
}

// RFC 7395 framed mode.
TEST(XmlFramed, OpenStanzaClose) {
  Harness f(Mode::kFramed);
  ASSERT_EQ(f.parser.feed("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.org' "
                          "version='1.0'/>"),
            std::nullopt);
  ASSERT_EQ(f.parser.feed("<message xmlns='jabber:client' to='r@muc.example.org' "
                          "type='groupchat'><body>hi</body></message>"),
            std::nullopt);
  ASSERT_EQ(f.parser.feed("<?xml version='1.0'?>\n<iq xmlns='jabber:client' id='1'/>\n"),
            std::nullopt);
  ASSERT_EQ(f.parser.feed("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"), std::nullopt);
  EXPECT_EQ(f.recorder.events, (std::vector<std::string>{
                                   "open open",
                                   "stanza <message xmlns='jabber:client' to='r@muc.example.org' "
                                   "type='groupchat'><body>hi</body></message>",
                                   "stanza <iq xmlns='jabber:client' id='1'/>", "close"}));
  ASSERT_EQ(f.recorder.headers.size(), 1u);
  EXPECT_EQ(f.recorder.headers[0].xmlns(), kFramingNs);
  EXPECT_EQ(f.recorder.headers[0].attributeOr("to", ""), "example.org");
  EXPECT_EQ(f.parser.defaultNamespace(), "");
  // Reopening after close works without reset(): every frame is its own document.
  EXPECT_EQ(f.parser.feed("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.org' "
                          "version='1.0'/>"),
            std::nullopt);
  EXPECT_EQ(f.recorder.headers.size(), 2u);
}

TEST(XmlFramed, FramesThatAreNotOneElement) {
  for (std::string_view frame :
       {"", "   ", "<message xmlns='jabber:client'>", "<message xmlns='jabber:client'><body>",
        "<iq xmlns='jabber:client'/><iq xmlns='jabber:client'/>", "<iq xmlns='jabber:client'/>junk",
        "text", "<iq xmlns='jabber:client'"}) {
    Harness f(Mode::kFramed);
    auto error = f.parser.feed(frame);
    ASSERT_TRUE(error) << frame;
    EXPECT_EQ(error->kind, XmlError::kNotWellFormed) << frame << ": " << error->text;
    EXPECT_TRUE(f.recorder.events.empty()) << frame;
  }
}

TEST(XmlFramed, PartialFrameIsNotCompletedByTheNextOne) {
  Harness f(Mode::kFramed);
  ASSERT_TRUE(f.parser.feed("<message xmlns='jabber:client'>"));
  auto error = f.parser.feed("</message>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kNotWellFormed);  // sticky
  EXPECT_TRUE(f.recorder.events.empty());
  f.parser.reset();
  EXPECT_EQ(f.parser.feed("<message xmlns='jabber:client'/>"), std::nullopt);
  EXPECT_EQ(f.recorder.stanzas.size(), 1u);
}

TEST(XmlFramed, StanzaWithoutNamespaceIsInvalidNamespace) {
  Harness f(Mode::kFramed);
  auto error = f.parser.feed("<message to='a@b'><body>x</body></message>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kInvalidNamespace);
  EXPECT_TRUE(f.recorder.events.empty());
}

TEST(XmlFramed, OpenInAnotherNamespaceIsAStanza) {
  Harness f(Mode::kFramed);
  ASSERT_EQ(f.parser.feed("<open xmlns='urn:other'/>"), std::nullopt);
  EXPECT_EQ(f.recorder.events, std::vector<std::string>{"stanza <open xmlns='urn:other'/>"});
}

TEST(XmlFramed, InvalidUtf8) {
  Harness f(Mode::kFramed);
  auto error = f.parser.feed("<message xmlns='jabber:client'><body>\xC3</body></message>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, XmlError::kNotWellFormed);
}

}  // namespace
}  // namespace throng::proto
