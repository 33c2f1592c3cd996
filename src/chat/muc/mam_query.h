// A MAM query to a room (XEP-0313 `urn:xmpp:mam:2`), read from the client's <query/> with
// its data form (§4.1) and RSM paging (XEP-0059), and checked before anything runs: a bad
// form, an unknown field or an absurd paging value is a bad-request naming what is wrong
// (XEP-0313 §4.1.1: "If the server receives a field it does not understand, it MUST return
// bad-request"), so a malformed query never reaches the archive.
#pragma once

#include "base/result.h"
#include "proto/xml_element.h"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace throng::chat::muc {

// Pages are at most this long whatever the client asks (XEP-0059 §2.1 lets the responder
// return fewer): one query costs the room a bounded amount of work and memory.
inline constexpr std::size_t kMamMaxPage = 250;
inline constexpr std::size_t kMamDefaultPage = 50;
// An RSM <max/> above this is not a page size but nonsense: bad-request.
inline constexpr std::size_t kMamAbsurdMax = 100000;
inline constexpr std::size_t kMamMaxIds = 250;

struct MamQuery {
  using TimePoint = std::chrono::system_clock::time_point;

  std::string query_id;              // echoed in every <result/> (§4.2)
  std::optional<std::string> with_nick;  // 'with' = room@service/nick
  std::optional<TimePoint> start;
  std::optional<TimePoint> end;
  std::optional<std::string> after_id;   // RSM <after/> or the after-id field
  std::optional<std::string> before_id;  // RSM <before>id</before> or the before-id field
  std::vector<std::string> ids;          // the ids field (urn:xmpp:mam:2#extended)
  bool from_end = false;                 // RSM <before/>: page backwards from the end
  std::size_t max = kMamDefaultPage;     // clamped to kMamMaxPage
};

// `query` is the <query xmlns='urn:xmpp:mam:2'/> of an IQ set to the room whose bare JID is
// `room_jid`. The error text says which field or element is wrong.
Result<MamQuery> parseMamQuery(const proto::XmlElement& query, const std::string& room_jid);

// The query form a client asks for with an IQ get (XEP-0313 §5.1.1).
proto::XmlElement mamQueryForm();

}  // namespace throng::chat::muc
