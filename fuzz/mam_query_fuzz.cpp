// Fuzzes the MAM query reader (src/chat/muc/mam_query.h) and the in-memory archive's page
// selection (recent_archive.h) behind it. The input is parsed as one stanza of an XMPP stream;
// a <query xmlns='urn:xmpp:mam:2'/> anywhere at the top of it is read as a room's MAM query.
// It must never crash; an accepted query must respect the page bounds, and a page chosen from
// memory must be in order, no longer than asked and only hold matching messages.
#include "chat/muc/mam_query.h"
#include "chat/muc/recent_archive.h"
#include "proto/xml_stream.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using throng::chat::muc::ArchivedMessage;
using throng::chat::muc::RecentArchive;
using throng::proto::XmlElement;

constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const std::string kRoom = "room@rooms.example";

const RecentArchive& archive() {
  static const RecentArchive kept = [] {
    RecentArchive a(40);
    const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    for (int i = 0; i < 60; ++i) {  // 20 fall out: memory does not hold everything
      ArchivedMessage m;
      m.stanza_id = "s" + std::to_string(i);
      m.at = t0 + std::chrono::seconds(i);
      m.visible_at = m.at + std::chrono::seconds(i % 3);
      m.nick = i % 2 == 0 ? "even" : "odd";
      m.xml = "<message/>";
      a.add(std::move(m));
    }
    return a;
  }();
  return kept;
}

class Reader : public throng::proto::XmlStreamListener {
 public:
  void onStreamOpen(const XmlElement&) override {}
  void onStreamClose() override {}
  void onStanza(XmlElement stanza) override {
    const XmlElement* query = stanza.child("query", "urn:xmpp:mam:2");
    if (query == nullptr) return;
    auto parsed = throng::chat::muc::parseMamQuery(*query, kRoom);
    if (!parsed) {
      if (parsed.error().message.empty()) std::abort();  // every refusal says why
      return;
    }
    if (parsed->max > throng::chat::muc::kMamMaxPage) std::abort();
    for (auto visible : {std::optional<std::chrono::system_clock::time_point>(),
                         std::optional(std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'030)))}) {
      auto page = archive().select(*parsed, visible);
      if (!page) continue;
      if (page->messages.size() > parsed->max) std::abort();
      for (std::size_t i = 0; i < page->messages.size(); ++i) {
        const ArchivedMessage* m = page->messages[i];
        if (i > 0 && !(page->messages[i - 1]->at < m->at)) std::abort();
        if (parsed->with_nick && m->nick != *parsed->with_nick) std::abort();
        if (visible && m->visible_at > *visible) std::abort();
      }
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader reader;
  throng::proto::XmlStreamParser parser(throng::proto::XmlStreamParser::Mode::kStream,
                                        throng::proto::XmlLimits{}, reader);
  if (parser.feed(kHeader)) return 0;
  (void)parser.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
