// Fuzzes the XMPP XML stream parser (src/proto/xml_stream.h) in both modes. The input is split
// at a point derived from its first byte and fed as two chunks (kStream) or two frames
// (kFramed). It must never crash; once feed() has reported an error, every later feed() must
// report one too, and no callback may run; every stanza delivered must serialize to XML that
// parses back to the same serialization.
#include "proto/xml_stream.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using throng::proto::XmlElement;
using throng::proto::XmlStreamParser;

constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

class Checker : public throng::proto::XmlStreamListener {
 public:
  void onStreamOpen(const XmlElement& header) override {
    if (failed) std::abort();
    if (header.xmlns().empty()) std::abort();
  }
  void onStanza(XmlElement stanza) override {
    if (failed) std::abort();
    if (check_round_trip) roundTrip(stanza);
  }
  void onStreamClose() override {
    if (failed) std::abort();
  }
  bool failed = false;
  bool check_round_trip = true;

 private:
  static void roundTrip(const XmlElement& stanza);
};

class Collector : public throng::proto::XmlStreamListener {
 public:
  void onStreamOpen(const XmlElement&) override {}
  void onStanza(XmlElement stanza) override {
    ++count;
    text = stanza.serialize("jabber:client");
  }
  void onStreamClose() override {}
  int count = 0;
  std::string text;
};

void Checker::roundTrip(const XmlElement& stanza) {
  const std::string once = stanza.serialize("jabber:client");
  Collector collector;
  // Generous limits: serialization may grow a stanza (escaping, namespace declarations).
  XmlStreamParser again(XmlStreamParser::Mode::kStream,
                        {.max_stanza_bytes = 1 << 24, .max_depth = 1000, .max_attributes = 1000},
                        collector);
  if (again.feed(kHeader) || again.feed(once)) std::abort();
  if (collector.count != 1 || collector.text != once) std::abort();
}

void run(XmlStreamParser::Mode mode, std::string_view first, std::string_view second,
         std::string_view third) {
  Checker checker;
  XmlStreamParser parser(mode, {.max_stanza_bytes = 2048, .max_depth = 8, .max_attributes = 8},
                         checker);
  for (std::string_view chunk : {first, second, third}) {
    const auto error = parser.feed(chunk);
    if (checker.failed && !error) std::abort();  // errors are sticky
    if (error) checker.failed = true;
  }
  if (checker.failed && !parser.feed("<presence/>")) std::abort();
  parser.reset();
  checker.failed = false;
  (void)parser.feed(first);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty()) return 0;
  const std::size_t cut = static_cast<std::uint8_t>(input[0]) % input.size();
  const std::string_view body = input.substr(1);
  const std::size_t at = std::min(cut, body.size());
  // TCP: header, then the body in two chunks; also the raw input as a whole document.
  run(XmlStreamParser::Mode::kStream, kHeader, body.substr(0, at), body.substr(at));
  run(XmlStreamParser::Mode::kStream, body.substr(0, at), body.substr(at), {});
  // WebSocket: the two halves as two frames, and the body as one frame.
  run(XmlStreamParser::Mode::kFramed, body, body.substr(0, at), body.substr(at));
  return 0;
}
