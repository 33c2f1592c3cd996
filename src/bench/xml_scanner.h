// XmlScanner: splits an XMPP byte stream (RFC 6120 §4) into its depth-1 elements without
// building them. The load generator's clients receive O(N) stanzas each in a join storm; full
// parsing (expat + XmlElement) made the tool, not the server, the bottleneck. The scanner only
// tracks tags and quotes, and hands each complete element over as raw bytes; the client parses
// the few it must understand (proto::XmlStreamParser) and classifies the rest by name and a
// start-tag attribute.
//
// It trusts the server to send well-formed XML (it is a measuring tool, not a server); it
// rejects what throng never sends and would make tag tracking ambiguous: comments, CDATA and
// DTDs (`<!`, forbidden or unused per RFC 6120 §11.1), and elements above max_element_bytes.
// Pure: no I/O. One scanner per connection, used on that connection's thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace throng::bench {

class XmlScannerListener {
 public:
  virtual ~XmlScannerListener() = default;
  // The stream header's start tag (<stream:stream ...>) is complete.
  virtual void onScanOpen() = 0;
  // A complete depth-1 element: its name as written (prefix included, e.g. "stream:features")
  // and its raw bytes from '<' to the final '>'. Both views are valid during the call only.
  virtual void onScanElement(std::string_view name, std::string_view raw) = 0;
  // </stream:stream>.
  virtual void onScanClose() = 0;
};

class XmlScanner {
 public:
  // A depth-1 element larger than this is an error; 1 MiB is far above any stanza a server
  // sends (throng's own limit on client stanzas is 64 KiB) and bounds the buffered bytes.
  static constexpr std::size_t kDefaultMaxElementBytes = 1 << 20;

  // listener: non-owning; it must outlive the scanner.
  explicit XmlScanner(XmlScannerListener& listener,
                      std::size_t max_element_bytes = kDefaultMaxElementBytes);

  // Feeds any chunk of the stream. Callbacks run synchronously; one may call reset() (stream
  // restart) — the rest of the chunk then starts a fresh document. Returns an error text once
  // the input cannot be scanned; the scanner then stays failed until reset().
  std::optional<std::string> feed(std::string_view bytes);

  // Stream restart (RFC 6120 §4.3.3): a new XML declaration and stream header follow.
  void reset();

 private:
  enum class State {
    kText,          // character data, or between elements
    kLt,            // just after '<'
    kStartName,     // in a start tag's name
    kStartAttrs,    // in a start tag after its name
    kStartQuote,    // in a quoted attribute value (quote_ holds the quote)
    kStartSlash,    // '/' seen in a start tag: '>' next makes it empty
    kEndTag,        // in an end tag
    kDecl,          // in <? ... ?>
    kDeclQuestion,  // '?' seen in <? ... ?>
  };

  void fail(std::string message);
  void startTagDone(bool empty, std::string_view chunk, std::size_t i);
  void endTagDone(std::string_view chunk, std::size_t i);
  void emit(std::string_view chunk, std::size_t end);

  XmlScannerListener& listener_;
  const std::size_t max_element_bytes_;
  State state_ = State::kText;
  char quote_ = 0;
  std::size_t depth_ = 0;          // 0: before the header, 1: in the stream, 2+: in an element
  std::string tag_name_;           // name of the start tag being read, if it is at depth 1
  std::string element_name_;       // name of the depth-1 element being read
  bool in_element_ = false;        // a depth-1 element has started
  std::size_t element_start_ = 0;  // its first byte in the current chunk, when it began there
  std::string carried_;            // its bytes from earlier chunks
  std::optional<std::string> error_;
};

// The value of attribute `key` on the start tag at the beginning of `raw` (an element as
// onScanElement gives it), with the five predefined entities decoded (XML 1.0 §4.6); nullopt
// when the start tag has no such attribute. Keys are matched as written (prefix included).
std::optional<std::string> startTagAttribute(std::string_view raw, std::string_view key);

}  // namespace throng::bench
