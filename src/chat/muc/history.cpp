#include "chat/muc/history.h"

namespace throng::chat::muc {

void HistoryRing::setCapacity(std::size_t capacity) {
  capacity_ = capacity;
  while (entries_.size() > capacity_) entries_.pop_front();
}

void HistoryRing::add(RoutedStanza stanza, TimePoint sent_at, std::string stanza_id) {
  if (capacity_ == 0) return;
  if (entries_.size() == capacity_) entries_.pop_front();
  entries_.push_back(Entry{std::move(stanza), sent_at, std::move(stanza_id)});
}

void HistoryRing::erase(const std::string& stanza_id) {
  std::erase_if(entries_, [&](const Entry& e) { return !stanza_id.empty() && e.stanza_id == stanza_id; });
}

std::vector<RoutedStanza> HistoryRing::select(const HistoryRequest& request, TimePoint now) const {
  std::size_t count = 0;
  std::uint64_t chars = 0;
  std::optional<TimePoint> not_before = request.since;
  if (request.seconds) {
    const auto cutoff = now - std::chrono::seconds(*request.seconds);
    if (!not_before || cutoff > *not_before) not_before = cutoff;
  }
  // Walk back from the newest entry until a limit is reached.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (request.max_stanzas && count >= *request.max_stanzas) break;
    if (not_before && it->sent_at < *not_before) break;
    const std::uint64_t size = it->stanza.sizeWithout();
    if (request.max_chars && chars + size > *request.max_chars) break;
    chars += size;
    ++count;
  }
  std::vector<RoutedStanza> out;
  out.reserve(count);
  for (auto it = entries_.end() - static_cast<std::ptrdiff_t>(count); it != entries_.end(); ++it) {
    out.push_back(it->stanza);
  }
  return out;
}

}  // namespace throng::chat::muc
