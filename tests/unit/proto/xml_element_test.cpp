#include "proto/xml_element.h"

#include <gtest/gtest.h>

namespace throng::proto {
namespace {

TEST(XmlElement, BuildsAndSerializes) {
  XmlElement message("message", "jabber:client");
  message.setAttribute("to", "room@muc.example.org").setAttribute("type", "groupchat");
  message.addChild(XmlElement("body", "jabber:client")).addText("hello");
  EXPECT_EQ(message.serialize(),
            "<message xmlns='jabber:client' to='room@muc.example.org' type='groupchat'>"
            "<body>hello</body></message>");
  // Inside a stream whose default namespace is jabber:client no declaration is needed.
  EXPECT_EQ(message.serialize("jabber:client"),
            "<message to='room@muc.example.org' type='groupchat'><body>hello</body></message>");
}

TEST(XmlElement, EmptyElementIsSelfClosing) {
  XmlElement ping("ping", "urn:xmpp:ping");
  EXPECT_EQ(ping.serialize(), "<ping xmlns='urn:xmpp:ping'/>");
  EXPECT_EQ(ping.serialize("urn:xmpp:ping"), "<ping/>");
}

TEST(XmlElement, EscapesAttributesAndText) {
  XmlElement e("body", "jabber:client");
  e.setAttribute("a", "<&>\"'");
  e.addText("1 < 2 & 3 > 2 \"quoted\" 'single'");
  EXPECT_EQ(e.serialize("jabber:client"),
            "<body a='&lt;&amp;&gt;&quot;&apos;'>1 &lt; 2 &amp; 3 &gt; 2 \"quoted\" "
            "'single'</body>");
}

TEST(XmlElement, EscapesWhitespaceThatXmlWouldNormalize) {
  XmlElement e("x", "");
  e.setAttribute("v", "a\tb\nc\rd");
  e.addText("l1\r\nl2");
  EXPECT_EQ(e.serialize(), "<x v='a&#9;b&#10;c&#13;d'>l1&#13;\nl2</x>");
}

TEST(XmlElement, NamespaceDeclaredWhereItChanges) {
  XmlElement presence("presence", "jabber:client");
  XmlElement& x = presence.addChild(XmlElement("x", "http://jabber.org/protocol/muc"));
  x.addChild(XmlElement("history", "http://jabber.org/protocol/muc"))
      .setAttribute("maxstanzas", "0");
  presence.addChild(XmlElement("show", "jabber:client")).addText("away");
  EXPECT_EQ(presence.serialize("jabber:client"),
            "<presence><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x>"
            "<show>away</show></presence>");
  EXPECT_EQ(presence.serialize("jabber:server"),
            "<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'>"
            "<history maxstanzas='0'/></x><show>away</show></presence>");
}

TEST(XmlElement, EmptyNamespaceUnderNamespacedParentIsUndeclared) {
  XmlElement parent("a", "urn:a");
  parent.addChild(XmlElement("b", ""));
  EXPECT_EQ(parent.serialize(), "<a xmlns='urn:a'><b xmlns=''/></a>");
}

TEST(XmlElement, Attributes) {
  XmlElement e("iq", "jabber:client");
  EXPECT_EQ(e.attribute("id"), nullptr);
  EXPECT_EQ(e.attributeOr("type", "get"), "get");
  e.setAttribute("id", "1");
  e.setAttribute("type", "set");
  e.setAttribute("id", "2");  // replaces, keeps the position
  ASSERT_NE(e.attribute("id"), nullptr);
  EXPECT_EQ(*e.attribute("id"), "2");
  EXPECT_EQ(e.attributeOr("type", "get"), "set");
  ASSERT_EQ(e.attributes().size(), 2u);
  EXPECT_EQ(e.attributes()[0].first, "id");
  e.removeAttribute("id");
  EXPECT_EQ(e.attribute("id"), nullptr);
  EXPECT_EQ(e.attributes().size(), 1u);
  e.setAttribute("xml:lang", "en");
  EXPECT_EQ(e.serialize("jabber:client"), "<iq type='set' xml:lang='en'/>");
}

TEST(XmlElement, ChildLookupAndRemoval) {
  XmlElement m("message", "jabber:client");
  m.addChild(XmlElement("body", "jabber:client")).addText("hi");
  m.addText("  ");
  m.addChild(XmlElement("x", "urn:a"));
  m.addText("tail");
  m.addChild(XmlElement("x", "urn:b"));
  EXPECT_EQ(m.childCount(), 5u);
  ASSERT_NE(m.child("body"), nullptr);
  EXPECT_EQ(m.child("body")->text(), "hi");
  EXPECT_EQ(m.child("body", "urn:other"), nullptr);
  ASSERT_NE(m.child("x"), nullptr);
  EXPECT_EQ(m.child("x")->xmlns(), "urn:a");
  ASSERT_NE(m.child("x", "urn:b"), nullptr);
  EXPECT_EQ(m.children("x").size(), 2u);
  EXPECT_EQ(m.children().size(), 3u);
  EXPECT_EQ(m.children("", "urn:b").size(), 1u);
  EXPECT_EQ(m.text(), "  tail");

  XmlElement* body = m.child("body");
  body->setAttribute("k", "v");
  EXPECT_EQ(*m.child("body")->attribute("k"), "v");

  m.removeChildren("x", "urn:a");  // text nodes around it merge
  EXPECT_EQ(m.childCount(), 3u);
  EXPECT_EQ(m.children("x").size(), 1u);
  m.removeChildren("x", "");
  EXPECT_EQ(m.childCount(), 2u);
  EXPECT_EQ(m.text(), "  tail");
}

TEST(XmlElement, AdjacentTextMerges) {
  XmlElement e("body", "");
  e.addText("a");
  e.appendText("b");
  e.addText("");
  e.addText("c");
  EXPECT_EQ(e.childCount(), 1u);
  EXPECT_EQ(e.text(), "abc");
}

TEST(XmlElement, CopyAndMoveKeepTree) {
  XmlElement a("a", "urn:a");
  a.addChild(XmlElement("b", "urn:a")).addChild(XmlElement("c", "urn:c")).addText("deep");
  XmlElement copy = a;
  XmlElement moved = std::move(a);
  EXPECT_EQ(copy.serialize(), moved.serialize());
  EXPECT_EQ(copy.serialize(), "<a xmlns='urn:a'><b><c xmlns='urn:c'>deep</c></b></a>");
}

}  // namespace
}  // namespace throng::proto
