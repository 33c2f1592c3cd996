// XmlElement: the in-memory form of one XMPP element (a stanza or anything inside it), as built
// by XmlStreamParser (xml_stream.h) and serialized back onto the wire.
//
// Names are namespace-resolved (XML Namespaces 1.0 §5): an element has a local name and the
// namespace URI it belongs to; prefixes are not kept. Attribute keys are local names, except
// xml:lang (RFC 6120 §4.7.4), whose key is "xml:lang". Text is stored unescaped.
//
// Not thread-safe; an element is a value and may be moved to another thread with its stanza.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace throng::proto {

class XmlElement;

// A child node: an element or a run of text (unescaped). Adjacent text is merged into one node,
// so the node count does not depend on how the parser's input was split.
using XmlNode = std::variant<XmlElement, std::string>;

class XmlElement {
 public:
  XmlElement() = default;
  XmlElement(std::string name, std::string xmlns);

  const std::string& name() const { return name_; }    // local name, e.g. "message"
  const std::string& xmlns() const { return xmlns_; }  // namespace URI, e.g. "jabber:client"

  // Attributes other than namespace declarations, in document order.
  const std::string* attribute(std::string_view key) const;  // nullptr if absent
  std::string_view attributeOr(std::string_view key, std::string_view fallback) const;
  XmlElement& setAttribute(std::string key, std::string value);  // replaces an existing value
  void removeAttribute(std::string_view key);
  const std::vector<std::pair<std::string, std::string>>& attributes() const { return attributes_; }

  // Children. The reference returned by addChild() stays valid until the next child is added
  // to this element (children live in a vector).
  XmlElement& addChild(XmlElement child);
  void addText(std::string text);          // merged into the last node when that is text
  void appendText(std::string_view text);  // same, without a temporary string (parser path)

  // Lookups: an empty name or xmlns matches any.
  const XmlElement* child(std::string_view name, std::string_view xmlns = {}) const;
  XmlElement* child(std::string_view name, std::string_view xmlns = {});
  std::vector<const XmlElement*> children(std::string_view name = {},
                                          std::string_view xmlns = {}) const;
  void removeChildren(std::string_view name, std::string_view xmlns);
  const std::vector<XmlNode>& nodes() const { return children_; }

  std::string text() const;  // concatenation of the direct text children
  std::size_t childCount() const { return children_.size(); }  // elements + text nodes

  // Serializes as XML 1.0 (no declaration). Escaping: & < > " ' in attribute values (plus
  // TAB, LF and CR as character references, so that attribute-value normalization, XML 1.0
  // §3.3.3, gives back the same value); & < > in text (plus CR, XML 1.0 §2.11). An xmlns='...'
  // declaration is written on this element when its namespace differs from `parent_xmlns`, and
  // on every descendant whose namespace differs from its parent's. Attribute values use single
  // quotes.
  std::string serialize(std::string_view parent_xmlns = {}) const;
  void serializeTo(std::string& out, std::string_view parent_xmlns = {}) const;

 private:
  std::string name_;
  std::string xmlns_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  std::vector<XmlNode> children_;
};

// Appends `text` to `out` escaped for character data (& < > and CR).
void escapeText(std::string& out, std::string_view text);
// Appends `value` escaped for a single- or double-quoted attribute value.
void escapeAttribute(std::string& out, std::string_view value);

}  // namespace throng::proto
