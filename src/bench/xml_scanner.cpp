#include "bench/xml_scanner.h"

#include <cstring>

namespace throng::bench {
namespace {

// Names we keep (the stream header's and depth-1 elements') are short; a longer one means the
// input is not an XMPP stream.
constexpr std::size_t kMaxNameBytes = 128;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The position of the first `c` in `bytes` at or after `from`, or bytes.size(). Character data
// and attribute values are most of a message's bytes and none of them matters to the scanner:
// memchr skips them many bytes at a time instead of one switch per byte.
std::size_t findFrom(std::string_view bytes, std::size_t from, char c) {
  const void* at = std::memchr(bytes.data() + from, c, bytes.size() - from);
  return at == nullptr ? bytes.size() : static_cast<std::size_t>(static_cast<const char*>(at) -
                                                                 bytes.data());
}

void appendDecoded(std::string& out, std::string_view value) {
  // XML 1.0 §4.6: the five predefined entities. Character references pass through undecoded:
  // what the tool compares (JIDs, ids, types) never needs them.
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&apos;", '\''}, {"&quot;", '"'}};
  for (std::size_t i = 0; i < value.size();) {
    bool matched = false;
    if (value[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (value.substr(i).starts_with(entity)) {
          out.push_back(c);
          i += entity.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) out.push_back(value[i++]);
  }
}

}  // namespace

XmlScanner::XmlScanner(XmlScannerListener& listener, std::size_t max_element_bytes)
    : listener_(listener), max_element_bytes_(max_element_bytes) {}

void XmlScanner::reset() {
  state_ = State::kText;
  quote_ = 0;
  depth_ = 0;
  tag_name_.clear();
  element_name_.clear();
  in_element_ = false;
  element_start_ = 0;
  carried_.clear();
  error_.reset();
}

void XmlScanner::fail(std::string message) {
  if (!error_) error_ = std::move(message);
}

std::optional<std::string> XmlScanner::feed(std::string_view bytes) {
  if (error_) return error_;
  element_start_ = 0;  // an element carried over from an earlier chunk continues at byte 0
  for (std::size_t i = 0; i < bytes.size() && !error_; ++i) {
    const char c = bytes[i];
    switch (state_) {
      case State::kText:
        if (c != '<') {
          i = findFrom(bytes, i, '<');
          if (i == bytes.size()) break;  // the rest of the chunk is text
        }
        state_ = State::kLt;
        if (depth_ == 1) {  // a depth-1 element starts here, unless this is </stream:stream>
          in_element_ = true;
          element_start_ = i;
          carried_.clear();
        }
        break;
      case State::kLt:
        if (c == '/') {
          state_ = State::kEndTag;
          if (depth_ == 1) in_element_ = false;
        } else if (c == '?') {
          state_ = State::kDecl;
          if (depth_ == 1) in_element_ = false;
        } else if (c == '!') {
          fail("comment, CDATA or DTD in the stream");
        } else {
          state_ = State::kStartName;
          tag_name_.clear();
          if (depth_ <= 1) tag_name_.push_back(c);
        }
        break;
      case State::kStartName:
        if (c == '>') {
          startTagDone(false, bytes, i);
        } else if (c == '/') {
          state_ = State::kStartSlash;
        } else if (isSpace(c)) {
          state_ = State::kStartAttrs;
        } else if (depth_ <= 1) {
          if (tag_name_.size() >= kMaxNameBytes) fail("element name too long");
          tag_name_.push_back(c);
        }
        break;
      case State::kStartAttrs:
        if (c == '\'' || c == '"') {
          quote_ = c;
          state_ = State::kStartQuote;
        } else if (c == '/') {
          state_ = State::kStartSlash;
        } else if (c == '>') {
          startTagDone(false, bytes, i);
        }
        break;
      case State::kStartQuote:
        if (c != quote_) {
          i = findFrom(bytes, i, quote_);
          if (i == bytes.size()) break;  // the value goes on in the next chunk
        }
        state_ = State::kStartAttrs;
        break;
      case State::kStartSlash:
        if (c == '>') {
          startTagDone(true, bytes, i);
        } else if (c == '\'' || c == '"') {  // not well-formed; keep quotes tracked anyway
          quote_ = c;
          state_ = State::kStartQuote;
        } else {
          state_ = State::kStartAttrs;
        }
        break;
      case State::kEndTag:
        if (c != '>') {
          i = findFrom(bytes, i, '>');
          if (i == bytes.size()) break;
        }
        endTagDone(bytes, i);
        break;
      case State::kDecl:
        if (c == '?') state_ = State::kDeclQuestion;
        break;
      case State::kDeclQuestion:
        if (c == '>') {
          state_ = State::kText;
        } else if (c != '?') {
          state_ = State::kDecl;
        }
        break;
    }
  }
  if (!error_ && in_element_) {
    carried_.append(bytes.substr(element_start_));
    if (carried_.size() > max_element_bytes_) fail("element larger than the scanner's limit");
  }
  return error_;
}

void XmlScanner::startTagDone(bool empty, std::string_view chunk, std::size_t i) {
  state_ = State::kText;
  if (depth_ == 0) {
    if (empty) return fail("empty stream header");
    depth_ = 1;
    listener_.onScanOpen();
    return;
  }
  if (depth_ == 1) {
    element_name_ = tag_name_;
    if (empty) return emit(chunk, i + 1);
  }
  if (!empty) ++depth_;
}

void XmlScanner::endTagDone(std::string_view chunk, std::size_t i) {
  state_ = State::kText;
  if (depth_ <= 1) {  // </stream:stream>
    depth_ = 0;
    listener_.onScanClose();
    return;
  }
  if (--depth_ == 1) emit(chunk, i + 1);
}

void XmlScanner::emit(std::string_view chunk, std::size_t end) {
  in_element_ = false;
  std::string_view raw;
  if (!carried_.empty()) {
    carried_.append(chunk.substr(0, end));
    raw = carried_;
  } else {
    raw = chunk.substr(element_start_, end - element_start_);
  }
  if (raw.size() > max_element_bytes_) return fail("element larger than the scanner's limit");
  listener_.onScanElement(element_name_, raw);  // may call reset()
  carried_.clear();
}

std::optional<std::string> startTagAttribute(std::string_view raw, std::string_view key) {
  // Skip '<' and the element name, then walk name='value' pairs up to the tag's end.
  std::size_t i = 1;
  while (i < raw.size() && !isSpace(raw[i]) && raw[i] != '>' && raw[i] != '/') ++i;
  while (i < raw.size()) {
    while (i < raw.size() && isSpace(raw[i])) ++i;
    if (i >= raw.size() || raw[i] == '>' || raw[i] == '/') return std::nullopt;
    const std::size_t name_start = i;
    while (i < raw.size() && raw[i] != '=' && !isSpace(raw[i]) && raw[i] != '>') ++i;
    const std::string_view name = raw.substr(name_start, i - name_start);
    while (i < raw.size() && (isSpace(raw[i]) || raw[i] == '=')) ++i;
    if (i >= raw.size() || (raw[i] != '\'' && raw[i] != '"')) return std::nullopt;
    const char quote = raw[i++];
    const std::size_t value_end = raw.find(quote, i);
    if (value_end == std::string_view::npos) return std::nullopt;
    if (name == key) {
      std::string value;
      appendDecoded(value, raw.substr(i, value_end - i));
      return value;
    }
    i = value_end + 1;
  }
  return std::nullopt;
}

}  // namespace throng::bench
