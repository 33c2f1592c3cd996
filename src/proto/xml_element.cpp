#include "proto/xml_element.h"

#include <algorithm>

namespace throng::proto {

namespace {

bool matches(const XmlElement& e, std::string_view name, std::string_view xmlns) {
  return (name.empty() || e.name() == name) && (xmlns.empty() || e.xmlns() == xmlns);
}

}  // namespace

namespace {

// The character reference for `c` in text or in an attribute value, or nullptr to copy it.
const char* referenceFor(char c, bool in_attribute) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    // '>' only needs escaping after "]]" (XML 1.0 §2.4); escaping it always is simpler.
    case '>':
      return "&gt;";
    // A literal CR would be normalized to LF by the reader (XML 1.0 §2.11).
    case '\r':
      return "&#13;";
    // Attribute-value normalization (XML 1.0 §3.3.3) turns literal TAB/LF into spaces;
    // character references survive it. Quotes: both, whichever delimiter is used.
    case '\t':
      return in_attribute ? "&#9;" : nullptr;
    case '\n':
      return in_attribute ? "&#10;" : nullptr;
    case '"':
      return in_attribute ? "&quot;" : nullptr;
    case '\'':
      return in_attribute ? "&apos;" : nullptr;
    default:
      return nullptr;
  }
}

// Copies runs that need no escaping in one append each (this is the serializer's hot loop).
void escapeInto(std::string& out, std::string_view in, bool in_attribute) {
  std::size_t plain = 0;  // start of the run copied verbatim
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char* ref = referenceFor(in[i], in_attribute);
    if (ref == nullptr) continue;
    out.append(in.data() + plain, i - plain);
    out.append(ref);
    plain = i + 1;
  }
  out.append(in.data() + plain, in.size() - plain);
}

}  // namespace

void escapeText(std::string& out, std::string_view text) { escapeInto(out, text, false); }

void escapeAttribute(std::string& out, std::string_view value) { escapeInto(out, value, true); }

XmlElement::XmlElement(std::string name, std::string xmlns)
    : name_(std::move(name)), xmlns_(std::move(xmlns)) {}

const std::string* XmlElement::attribute(std::string_view key) const {
  for (const auto& [k, v] : attributes_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string_view XmlElement::attributeOr(std::string_view key, std::string_view fallback) const {
  const std::string* value = attribute(key);
  return value ? std::string_view(*value) : fallback;
}

XmlElement& XmlElement::setAttribute(std::string key, std::string value) {
  for (auto& [k, v] : attributes_) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  attributes_.emplace_back(std::move(key), std::move(value));
  return *this;
}

void XmlElement::removeAttribute(std::string_view key) {
  std::erase_if(attributes_, [key](const auto& kv) { return kv.first == key; });
}

XmlElement& XmlElement::addChild(XmlElement child) {
  return std::get<XmlElement>(children_.emplace_back(std::move(child)));
}

void XmlElement::addText(std::string text) {
  if (text.empty()) return;
  if (!children_.empty()) {
    if (auto* last = std::get_if<std::string>(&children_.back())) {
      last->append(text);
      return;
    }
  }
  children_.emplace_back(std::move(text));
}

void XmlElement::appendText(std::string_view text) {
  if (text.empty()) return;
  if (!children_.empty()) {
    if (auto* last = std::get_if<std::string>(&children_.back())) {
      last->append(text);
      return;
    }
  }
  children_.emplace_back(std::string(text));
}

const XmlElement* XmlElement::child(std::string_view name, std::string_view xmlns) const {
  for (const auto& node : children_) {
    if (const auto* e = std::get_if<XmlElement>(&node); e && matches(*e, name, xmlns)) return e;
  }
  return nullptr;
}

XmlElement* XmlElement::child(std::string_view name, std::string_view xmlns) {
  return const_cast<XmlElement*>(std::as_const(*this).child(name, xmlns));
}

std::vector<const XmlElement*> XmlElement::children(std::string_view name,
                                                    std::string_view xmlns) const {
  std::vector<const XmlElement*> out;
  for (const auto& node : children_) {
    if (const auto* e = std::get_if<XmlElement>(&node); e && matches(*e, name, xmlns)) {
      out.push_back(e);
    }
  }
  return out;
}

void XmlElement::removeChildren(std::string_view name, std::string_view xmlns) {
  std::erase_if(children_, [&](const XmlNode& node) {
    const auto* e = std::get_if<XmlElement>(&node);
    return e && matches(*e, name, xmlns);
  });
  // Removing an element may leave two text nodes side by side; merge them so that the
  // "adjacent text is one node" invariant holds.
  for (std::size_t i = 1; i < children_.size();) {
    auto* prev = std::get_if<std::string>(&children_[i - 1]);
    auto* cur = std::get_if<std::string>(&children_[i]);
    if (prev && cur) {
      prev->append(*cur);
      children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

std::string XmlElement::text() const {
  std::string out;
  for (const auto& node : children_) {
    if (const auto* s = std::get_if<std::string>(&node)) out += *s;
  }
  return out;
}

std::string XmlElement::serialize(std::string_view parent_xmlns) const {
  std::string out;
  serializeTo(out, parent_xmlns);
  return out;
}

void XmlElement::serializeTo(std::string& out, std::string_view parent_xmlns) const {
  out += '<';
  out += name_;
  if (xmlns_ != parent_xmlns) {
    // XML Namespaces 1.0 §6.2: a default-namespace declaration; xmlns='' undeclares it.
    out += " xmlns='";
    escapeAttribute(out, xmlns_);
    out += '\'';
  }
  for (const auto& [k, v] : attributes_) {
    out += ' ';
    out += k;
    out += "='";
    escapeAttribute(out, v);
    out += '\'';
  }
  if (children_.empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const auto& node : children_) {
    if (const auto* e = std::get_if<XmlElement>(&node)) {
      e->serializeTo(out, xmlns_);
    } else {
      escapeText(out, std::get<std::string>(node));
    }
  }
  out += "</";
  out += name_;
  out += '>';
}

}  // namespace throng::proto
