// The room's recent messages, kept in memory and pre-serialized: a join replays them to the
// joiner without touching the disk or serializing anything (design.md §2: Prosody read history
// files on every join).
//
// Each entry is a RoutedStanza that already carries its XEP-0203 <delay/>, so serving history
// is N reference-count increments. The ring is bounded by the room's muc#maxhistoryfetch.
#pragma once

#include "chat/routed_stanza.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace throng::chat::muc {

// What the joiner asked for in <history/> (XEP-0045 §7.2.15); every limit is optional and
// they combine (the strictest wins).
struct HistoryRequest {
  std::optional<std::uint64_t> max_stanzas;
  std::optional<std::uint64_t> max_chars;  // counted over the stanzas' serialized bytes
  std::optional<std::uint64_t> seconds;
  std::optional<std::chrono::system_clock::time_point> since;
};

class HistoryRing {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit HistoryRing(std::size_t capacity) : capacity_(capacity) {}

  void setCapacity(std::size_t capacity);
  // `stanza_id` lets a retraction take the message out again (erase()).
  void add(RoutedStanza stanza, TimePoint sent_at, std::string stanza_id = {});
  void erase(const std::string& stanza_id);
  // The newest entries that satisfy every limit, oldest first.
  std::vector<RoutedStanza> select(const HistoryRequest& request, TimePoint now) const;
  std::size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }

 private:
  struct Entry {
    RoutedStanza stanza;
    TimePoint sent_at;
    std::string stanza_id;
  };
  std::size_t capacity_;
  std::deque<Entry> entries_;
};

}  // namespace throng::chat::muc
