#include "proto/xml_stream.h"

#include <expat.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace throng::proto {

namespace {

// Separator between namespace URI and local name in the names expat reports (XML_ParserCreateNS).
// U+0001 cannot occur in a URI or a name: it is not an XML 1.0 Char (§2.2), not even as a
// character reference.
constexpr char kNsSeparator = '\x01';

struct QName {
  std::string_view ns;
  std::string_view local;
};

QName splitName(const XML_Char* name) {
  const std::string_view s(name);
  const auto sep = s.rfind(kNsSeparator);
  if (sep == std::string_view::npos) return {{}, s};
  return {s.substr(0, sep), s.substr(sep + 1)};
}

// XML 1.0 §2.3 white space: the only text allowed between stanzas (RFC 6120 §4.6.1 keepalives).
bool isXmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

std::string_view xmlErrorCondition(XmlError e) {
  switch (e) {
    case XmlError::kNotWellFormed:
      return "not-well-formed";  // RFC 6120 §4.9.3.13
    case XmlError::kRestrictedXml:
      return "restricted-xml";  // RFC 6120 §4.9.3.18
    case XmlError::kPolicyViolation:
      return "policy-violation";  // RFC 6120 §4.9.3.14
    case XmlError::kInvalidNamespace:
      return "invalid-namespace";  // RFC 6120 §4.9.3.10
    case XmlError::kBadFormat:
      return "bad-format";  // RFC 6120 §4.9.3.1
  }
  return "not-well-formed";
}

struct XmlStreamParser::Impl {
  Impl(Mode m, XmlLimits l, XmlStreamListener& li) : mode(m), limits(l), listener(li) {
    // Force UTF-8 whatever the XML declaration says: RFC 6120 §11.6 allows nothing else, and
    // bytes that are not UTF-8 then fail as not-well-formed.
    parser = XML_ParserCreateNS("UTF-8", kNsSeparator);
    if (parser) configure();
  }
  ~Impl() {
    if (parser) XML_ParserFree(parser);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  const Mode mode;
  const XmlLimits limits;
  XmlStreamListener& listener;  // not owned
  XML_Parser parser = nullptr;  // owned (XML_ParserFree)

  std::optional<XmlParseError> error;
  std::string default_ns;

  // Per-document state; cleared by resetDocument().
  bool root_open = false;          // kStream: the header was delivered and its end tag not yet seen
  bool root_closed = false;        // kStream: </stream:stream> was seen
  bool frame_complete = false;     // kFramed: the frame's element ended
  XmlElement stanza;               // the stanza being built
  std::vector<XmlElement*> open;   // open elements of `stanza`, outermost first (not owned)
  std::size_t ns_decls = 0;        // namespace declarations seen for the coming start tag
  std::uint64_t doc_fed = 0;       // bytes handed to expat in this document
  std::uint64_t stanza_start = 0;  // document offset where the current (or next) stanza begins

  // A reset() requested from a listener callback, i.e. while expat is running.
  bool in_parse = false;
  bool restart_pending = false;
  std::uint64_t restart_at = 0;  // document offset of the first byte of the new document

  void configure();
  void resetDocument();
  void fail(XmlError kind, std::string text);
  std::uint64_t endOfEvent() const;
  bool checkStanzaSize();
  void addAttributes(XmlElement& e, const XML_Char** atts);
  XmlParseError fromExpat() const;
  std::optional<XmlParseError> feedStream(std::string_view bytes);
  std::optional<XmlParseError> feedFrame(std::string_view bytes);

  void onNamespaceDecl(const XML_Char* prefix, const XML_Char* uri);
  void onStart(const XML_Char* name, const XML_Char** atts);
  void onEnd();
  void onText(const XML_Char* s, int len);

  bool stopped() const { return error.has_value() || restart_pending; }
};

void XmlStreamParser::Impl::configure() {
  XML_SetUserData(parser, this);
  // Never load an external DTD or parameter entity (RFC 6120 §11.1; also XXE). No external
  // entity handler is installed either, so expat cannot fetch anything.
  XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER);
  XML_SetStartNamespaceDeclHandler(parser,
                                   [](void* ud, const XML_Char* prefix, const XML_Char* uri) {
                                     static_cast<Impl*>(ud)->onNamespaceDecl(prefix, uri);
                                   });
  XML_SetElementHandler(
      parser,
      [](void* ud, const XML_Char* name, const XML_Char** atts) {
        static_cast<Impl*>(ud)->onStart(name, atts);
      },
      [](void* ud, const XML_Char*) { static_cast<Impl*>(ud)->onEnd(); });
  XML_SetCharacterDataHandler(
      parser, [](void* ud, const XML_Char* s, int len) { static_cast<Impl*>(ud)->onText(s, len); });
  // RFC 6120 §11.1: comments, processing instructions, DTDs (internal or external subset) and
  // entity declarations are forbidden. The DOCTYPE handler fires at "<!DOCTYPE name", before
  // any internal subset is read, so an entity-expansion ("billion laughs") document is refused
  // before a single entity is declared. The XML declaration is not a PI for expat and passes.
  XML_SetCommentHandler(parser, [](void* ud, const XML_Char*) {
    static_cast<Impl*>(ud)->fail(XmlError::kRestrictedXml, "comment (RFC 6120 §11.1)");
  });
  XML_SetProcessingInstructionHandler(parser, [](void* ud, const XML_Char*, const XML_Char*) {
    static_cast<Impl*>(ud)->fail(XmlError::kRestrictedXml,
                                 "processing instruction (RFC 6120 §11.1)");
  });
  XML_SetStartDoctypeDeclHandler(
      parser, [](void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        static_cast<Impl*>(ud)->fail(XmlError::kRestrictedXml, "DTD (RFC 6120 §11.1)");
      });
  XML_SetEntityDeclHandler(parser, [](void* ud, const XML_Char*, int, const XML_Char*, int,
                                      const XML_Char*, const XML_Char*, const XML_Char*,
                                      const XML_Char*) {
    static_cast<Impl*>(ud)->fail(XmlError::kRestrictedXml, "entity declaration (RFC 6120 §11.1)");
  });
  XML_SetSkippedEntityHandler(parser, [](void* ud, const XML_Char*, int) {
    static_cast<Impl*>(ud)->fail(XmlError::kRestrictedXml, "entity reference (RFC 6120 §11.1)");
  });
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 6)
  // Expat >= 2.6 may defer reparsing a partial token until more data arrives; a stanza whose
  // last bytes come in a small chunk would then wait for the next chunk. XMPP needs every
  // complete stanza at once; the rescanning cost is bounded by feeding at most
  // max_stanza_bytes per call (feedStream) and the stanza size limit.
  XML_SetReparseDeferralEnabled(parser, XML_FALSE);
#endif
}

void XmlStreamParser::Impl::resetDocument() {
  XML_ParserReset(parser, "UTF-8");  // clears handlers and user data: configure again
  configure();
  default_ns.clear();
  root_open = false;
  root_closed = false;
  frame_complete = false;
  stanza = XmlElement();
  open.clear();
  ns_decls = 0;
  doc_fed = 0;
  stanza_start = 0;
  restart_pending = false;
  restart_at = 0;
}

void XmlStreamParser::Impl::fail(XmlError kind, std::string text) {
  if (stopped()) return;
  error = XmlParseError{kind, std::move(text)};
  XML_StopParser(parser, XML_FALSE);
}

std::uint64_t XmlStreamParser::Impl::endOfEvent() const {
  // Valid inside a handler: the offset (from the document start) just past the current event.
  const auto index = XML_GetCurrentByteIndex(parser);
  const int count = XML_GetCurrentByteCount(parser);
  return static_cast<std::uint64_t>(std::max<XML_Index>(index, 0)) +
         static_cast<std::uint64_t>(std::max(count, 0));
}

bool XmlStreamParser::Impl::checkStanzaSize() {
  const std::uint64_t end = endOfEvent();
  if (end > stanza_start && end - stanza_start > limits.max_stanza_bytes) {
    fail(XmlError::kPolicyViolation,
         "stanza exceeds " + std::to_string(limits.max_stanza_bytes) + " bytes");
    return false;
  }
  return true;
}

void XmlStreamParser::Impl::addAttributes(XmlElement& e, const XML_Char** atts) {
  for (const XML_Char** a = atts; *a; a += 2) {
    const QName q = splitName(a[0]);
    // A prefixed attribute whose local name is "xmlns" (p:xmlns='...') is legal XML but would
    // serialize as a namespace declaration; it means nothing to XMPP and is dropped.
    if (!q.ns.empty() && q.local == "xmlns") continue;
    // xml:lang is the one prefixed attribute XMPP gives meaning to (RFC 6120 §4.7.4, §8.1.5);
    // other attributes are keyed by local name.
    std::string key =
        (q.ns == kXmlNs && q.local == "lang") ? std::string("xml:lang") : std::string(q.local);
    e.setAttribute(std::move(key), std::string(a[1]));
  }
}

void XmlStreamParser::Impl::onNamespaceDecl(const XML_Char* prefix, const XML_Char* uri) {
  if (stopped()) return;
  ++ns_decls;
  // RFC 6120 §4.8.2: the default namespace of the stream header is the content namespace.
  if (mode == Mode::kStream && !root_open && !root_closed && prefix == nullptr) {
    default_ns = uri ? uri : "";
  }
}

namespace {
constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kXmlnsNamespace = "http://www.w3.org/2000/xmlns/";
}  // namespace

void XmlStreamParser::Impl::onStart(const XML_Char* name, const XML_Char** atts) {
  if (stopped()) return;
  std::size_t attribute_count = ns_decls;
  ns_decls = 0;
  for (const XML_Char** a = atts; *a; a += 2) ++attribute_count;
  if (attribute_count > limits.max_attributes) {
    return fail(XmlError::kPolicyViolation, "element has " + std::to_string(attribute_count) +
                                                " attributes, limit " +
                                                std::to_string(limits.max_attributes));
  }
  const QName q = splitName(name);
  // Namespaces in XML 1.0 §3 reserves the xml and xmlns namespaces: no element may be in
  // them (an <xml:foo/> could not even be written back out with a default namespace).
  if (q.ns == kXmlNamespace || q.ns == kXmlnsNamespace) {
    return fail(XmlError::kInvalidNamespace,
                "element '" + std::string(q.local) + "' in a reserved namespace");
  }

  if (mode == Mode::kStream && !root_open) {
    // RFC 6120 §4.8.1: the root is <stream> in http://etherx.jabber.org/streams.
    if (q.ns != kStreamsNs || q.local != "stream") {
      return fail(XmlError::kInvalidNamespace,
                  "stream root must be 'stream' in " + std::string(kStreamsNs));
    }
    XmlElement header{std::string(q.local), std::string(q.ns)};
    addAttributes(header, atts);
    root_open = true;
    stanza_start = endOfEvent();
    if (stanza_start > limits.max_stanza_bytes) {
      return fail(XmlError::kPolicyViolation,
                  "stream header exceeds " + std::to_string(limits.max_stanza_bytes) + " bytes");
    }
    listener.onStreamOpen(header);
    return;
  }

  if (open.empty()) {
    stanza = XmlElement(std::string(q.local), std::string(q.ns));
    stanza_start =
        static_cast<std::uint64_t>(std::max<XML_Index>(XML_GetCurrentByteIndex(parser), 0));
    open.push_back(&stanza);
  } else {
    if (open.size() >= limits.max_depth) {
      return fail(XmlError::kPolicyViolation,
                  "stanza nesting exceeds " + std::to_string(limits.max_depth));
    }
    // The parent's children vector may reallocate; only its closed children move, and no
    // pointer to them is kept.
    open.push_back(&open.back()->addChild(XmlElement(std::string(q.local), std::string(q.ns))));
  }
  addAttributes(*open.back(), atts);
  checkStanzaSize();
}

void XmlStreamParser::Impl::onEnd() {
  if (stopped()) return;
  if (open.empty()) {  // kStream: </stream:stream> (RFC 6120 §4.4)
    root_open = false;
    root_closed = true;
    listener.onStreamClose();
    return;
  }
  open.pop_back();
  if (!checkStanzaSize() || !open.empty()) return;
  if (mode == Mode::kStream) {
    stanza_start = endOfEvent();
    listener.onStanza(std::move(stanza));
  } else {
    frame_complete = true;  // delivered once expat has seen the whole frame
  }
}

void XmlStreamParser::Impl::onText(const XML_Char* s, int len) {
  if (stopped()) return;
  const std::string_view text(s, static_cast<std::size_t>(len));
  if (open.empty()) {
    // kStream, between stanzas: only whitespace keepalives (RFC 6120 §4.6.1) are allowed.
    // (expat reports no text outside the root, so kFramed never gets here.)
    if (!std::all_of(text.begin(), text.end(), isXmlSpace)) {
      return fail(XmlError::kBadFormat, "text between stanzas");
    }
    stanza_start = endOfEvent();
    return;
  }
  open.back()->appendText(text);
  checkStanzaSize();
}

XmlParseError XmlStreamParser::Impl::fromExpat() const {
  const XML_Error code = XML_GetErrorCode(parser);
  std::string text = XML_ErrorString(code);
  text += " at line " + std::to_string(XML_GetCurrentLineNumber(parser)) + " column " +
          std::to_string(XML_GetCurrentColumnNumber(parser));
  switch (code) {
    // References to entities other than the five predefined ones (RFC 6120 §11.1).
    case XML_ERROR_UNDEFINED_ENTITY:
    case XML_ERROR_RECURSIVE_ENTITY_REF:
    case XML_ERROR_BINARY_ENTITY_REF:
    case XML_ERROR_ATTRIBUTE_EXTERNAL_ENTITY_REF:
    case XML_ERROR_EXTERNAL_ENTITY_HANDLING:
    case XML_ERROR_ENTITY_DECLARED_IN_PE:
    case XML_ERROR_NOT_STANDALONE:
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
    case XML_ERROR_AMPLIFICATION_LIMIT_BREACH:
#endif
      return {XmlError::kRestrictedXml, std::move(text)};
    case XML_ERROR_NO_MEMORY:
      return {XmlError::kPolicyViolation, std::move(text)};
    default:
      return {XmlError::kNotWellFormed, std::move(text)};
  }
}

std::optional<XmlParseError> XmlStreamParser::Impl::feedStream(std::string_view bytes) {
  // Slices of at most max_stanza_bytes: an unterminated token that expat keeps buffering is
  // then caught by the size check below after at most one slice beyond the limit, and expat
  // rescans a partial token at most a couple of times. Also keeps the length within int.
  const std::size_t slice_max =
      std::clamp<std::size_t>(limits.max_stanza_bytes, 4096, static_cast<std::size_t>(INT_MAX));
  while (!bytes.empty()) {
    const std::string_view slice = bytes.substr(0, slice_max);
    const std::uint64_t slice_base = doc_fed;
    doc_fed += slice.size();
    in_parse = true;
    const XML_Status status =
        XML_Parse(parser, slice.data(), static_cast<int>(slice.size()), XML_FALSE);
    in_parse = false;
    if (restart_pending) {
      // A callback asked for a stream restart (RFC 6120 §4.3.3). What followed the event that
      // triggered it starts the new document.
      const std::uint64_t used =
          restart_at > slice_base ? std::min<std::uint64_t>(restart_at - slice_base, slice.size())
                                  : 0;
      bytes.remove_prefix(static_cast<std::size_t>(used));
      error.reset();
      resetDocument();
      continue;
    }
    if (error) return error;
    if (status != XML_STATUS_OK) {
      error = fromExpat();
      return error;
    }
    bytes.remove_prefix(slice.size());
    // Bytes since the current stanza began (or since the last complete event between stanzas)
    // that expat is still holding: one giant unterminated token is caught here, since no
    // handler runs while it grows.
    if (!root_closed && doc_fed - stanza_start > limits.max_stanza_bytes) {
      error = XmlParseError{XmlError::kPolicyViolation,
                            "stanza exceeds " + std::to_string(limits.max_stanza_bytes) + " bytes"};
      return error;
    }
  }
  return std::nullopt;
}

std::optional<XmlParseError> XmlStreamParser::Impl::feedFrame(std::string_view bytes) {
  // RFC 7395 §3.3.3: one message is one complete element, parsed as its own document.
  if (bytes.size() > limits.max_stanza_bytes || bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    error = XmlParseError{XmlError::kPolicyViolation,
                          "stanza exceeds " + std::to_string(limits.max_stanza_bytes) + " bytes"};
    return error;
  }
  if (doc_fed != 0) resetDocument();
  doc_fed = bytes.size();
  in_parse = true;
  const XML_Status status =
      XML_Parse(parser, bytes.data(), static_cast<int>(bytes.size()), XML_TRUE);
  in_parse = false;
  if (error) return error;
  if (status != XML_STATUS_OK) {
    error = fromExpat();
    return error;
  }
  if (!frame_complete) {  // not reachable with a final parse, kept as a guard
    error = XmlParseError{XmlError::kNotWellFormed, "frame holds no complete element"};
    return error;
  }
  XmlElement element = std::move(stanza);
  stanza = XmlElement();
  frame_complete = false;
  if (element.xmlns() == kFramingNs && element.name() == "open") {
    listener.onStreamOpen(element);  // RFC 7395 §3.3.2
  } else if (element.xmlns() == kFramingNs && element.name() == "close") {
    listener.onStreamClose();  // RFC 7395 §3.6
  } else if (element.xmlns().empty()) {
    // There is no stream header to inherit a default namespace from: each frame's element
    // must declare it (RFC 7395 §3.3.3, xmlns='jabber:client').
    error = XmlParseError{XmlError::kInvalidNamespace,
                          "element '" + element.name() + "' has no namespace"};
    return error;
  } else {
    listener.onStanza(std::move(element));
  }
  return std::nullopt;
}

XmlStreamParser::XmlStreamParser(Mode mode, XmlLimits limits, XmlStreamListener& listener)
    : impl_(std::make_unique<Impl>(mode, limits, listener)) {}

XmlStreamParser::~XmlStreamParser() = default;

std::optional<XmlParseError> XmlStreamParser::feed(std::string_view bytes) {
  assert(!impl_->in_parse && "feed() called from a listener callback");
  if (impl_->error) return impl_->error;
  if (impl_->parser == nullptr) {  // XML_ParserCreateNS failed: out of memory
    impl_->error = XmlParseError{XmlError::kPolicyViolation, "cannot allocate XML parser"};
    return impl_->error;
  }
  return impl_->mode == Mode::kStream ? impl_->feedStream(bytes) : impl_->feedFrame(bytes);
}

void XmlStreamParser::reset() {
  Impl& s = *impl_;
  if (s.parser == nullptr) return;
  if (s.in_parse) {
    // Called from a callback: expat cannot be reset under its own feet. Stop it; feedStream()
    // resets and hands it the rest of the bytes.
    if (!s.restart_pending) {
      s.restart_at = s.endOfEvent();
      s.restart_pending = true;
      XML_StopParser(s.parser, XML_FALSE);
    }
    return;
  }
  s.error.reset();
  s.resetDocument();
}

const std::string& XmlStreamParser::defaultNamespace() const {
  return impl_->default_ns;
}

}  // namespace throng::proto
