// XmlStreamParser: turns the bytes of an XMPP stream into stream events and stanzas.
//
// Two framings share one parser (expat underneath):
//  - kStream: the TCP byte stream of RFC 6120 §4: one long XML document whose root is
//    <stream:stream>; each depth-1 child is a stanza (or a stream-level element such as
//    <starttls/> or <auth/>).
//  - kFramed: XMPP over WebSocket, RFC 7395 §3.3: each WebSocket message is one complete XML
//    document holding one element; <open/> and <close/> in urn:ietf:params:xml:ns:xmpp-framing
//    replace the stream header and footer.
//
// The parser enforces RFC 6120 §11.1 restricted XML (no comments, processing instructions,
// DTDs or entity references other than the five predefined ones — so no entity-expansion
// attack can start) and the size, depth and attribute limits of XmlLimits. Pure: no I/O.
//
// Threading: one parser belongs to one connection and is used on that connection's worker.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proto/xml_element.h"

namespace throng::proto {

inline constexpr std::string_view kStreamsNs =
    "http://etherx.jabber.org/streams";  // RFC 6120 §4.8.1
inline constexpr std::string_view kFramingNs =
    "urn:ietf:params:xml:ns:xmpp-framing";  // RFC 7395 §3.3.1
inline constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";  // xml: prefix

// RFC 6120 §4.9.3 stream error conditions the parser can detect.
enum class XmlError {
  kNotWellFormed,
  kRestrictedXml,
  kPolicyViolation,
  kInvalidNamespace,
  kBadFormat
};

// The RFC 6120 §4.9.3 element name of the condition, e.g. "not-well-formed".
std::string_view xmlErrorCondition(XmlError e);

struct XmlParseError {
  XmlError kind;
  std::string text;  // human-readable detail (e.g. "stanza exceeds 65536 bytes")
};

struct XmlLimits {
  // A stanza, counted in raw bytes from its start tag to its end tag. 64 KiB is well above any
  // chat message and matches the common server default (Prosody, ejabberd: 64-256 KiB).
  std::size_t max_stanza_bytes = 64 * 1024;
  // Nesting inside a stanza, the stanza itself being depth 1. Real stanzas stay under 10
  // (message > x > item > ... data forms); the bound keeps recursion and stacks small.
  std::size_t max_depth = 32;
  // Attributes on one element, namespace declarations included. Real elements carry < 10.
  std::size_t max_attributes = 64;
};

// Implemented by the owner of the parser (the session). Callbacks run synchronously inside
// feed(), on the caller's thread. A callback may call reset() (stream restart); it must not call
// feed() or destroy the parser. No callback runs after feed() has reported an error.
class XmlStreamListener {
 public:
  virtual ~XmlStreamListener() = default;
  // kStream: the <stream:stream> header, delivered when its start tag is parsed (an element
  // with no children, namespace http://etherx.jabber.org/streams, its attributes; the default
  // namespace declared on it is XmlStreamParser::defaultNamespace()). kFramed: the RFC 7395
  // <open/> element.
  virtual void onStreamOpen(const XmlElement& header) = 0;
  // A complete depth-1 element (kStream) or a complete frame element other than open/close
  // (kFramed).
  virtual void onStanza(XmlElement stanza) = 0;
  // </stream:stream> (kStream) or <close/> (kFramed).
  virtual void onStreamClose() = 0;
};

class XmlStreamParser {
 public:
  enum class Mode { kStream, kFramed };

  // listener: non-owning; it must outlive the parser.
  XmlStreamParser(Mode mode, XmlLimits limits, XmlStreamListener& listener);
  ~XmlStreamParser();
  XmlStreamParser(const XmlStreamParser&) = delete;
  XmlStreamParser& operator=(const XmlStreamParser&) = delete;

  // kStream: feeds any chunk of the TCP byte stream. kFramed: feeds exactly one WebSocket
  // message, which must be one complete element (RFC 7395 §3.3.3).
  // Returns nullopt on success. After an error the parser stays failed — every later feed()
  // returns the same error — until reset().
  //
  // Error choices where RFC 6120 leaves room: non-whitespace text between stanzas (depth 1) is
  // well-formed XML but not a valid stream, so it is kBadFormat (§4.9.3.1); a wrong root element
  // or root namespace is kInvalidNamespace (§4.9.3.10); a frame holding no element, a partial
  // element or more than one element is kNotWellFormed.
  std::optional<XmlParseError> feed(std::string_view bytes);

  // Stream restart (RFC 6120 §4.3.3, after SASL success or STARTTLS): a fresh document is
  // expected; also clears a failure. May be called from a listener callback: the rest of the
  // bytes being fed after the current event then go to the fresh document.
  void reset();

  // kStream: the default namespace declared on the stream header ("jabber:client" for clients,
  // RFC 6120 §4.8.2); stanzas without an explicit namespace get it. Empty before the header and
  // in kFramed mode.
  const std::string& defaultNamespace() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;  // allocated by this; keeps expat out of the header
};

}  // namespace throng::proto
