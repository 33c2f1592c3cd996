#include "chat/muc/recent_archive.h"

#include <algorithm>

namespace throng::chat::muc {

void RecentArchive::add(ArchivedMessage message) {
  entries_.push_back(std::move(message));
  while (entries_.size() > capacity_) {
    entries_.pop_front();
    holds_everything_ = false;
  }
}

ArchivedMessage* RecentArchive::find(const std::string& stanza_id) {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->stanza_id == stanza_id) return &*it;
  }
  return nullptr;
}

ArchivedMessage* RecentArchive::findFrom(const std::string& occupant_id, const std::string& id) {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->occupant_id == occupant_id && (it->client_id == id || it->stanza_id == id)) return &*it;
  }
  return nullptr;
}

bool RecentArchive::matches(const ArchivedMessage& m, const MamQuery& query,
                            std::optional<TimePoint> visible_at_most) const {
  if (query.with_nick && m.nick != *query.with_nick) return false;
  if (query.start && m.at < *query.start) return false;
  if (query.end && m.at > *query.end) return false;
  if (visible_at_most && m.visible_at > *visible_at_most) return false;
  return true;
}

std::optional<ArchiveSelection> RecentArchive::select(const MamQuery& query,
                                                      std::optional<TimePoint> visible_at_most) const {
  if (!query.ids.empty()) return std::nullopt;  // rare: the store answers
  // Positions of the paging ids; an id not in memory may still be in the store.
  std::size_t lower = 0;                 // first position in range
  std::size_t upper = entries_.size();   // one past the last
  bool lower_known = holds_everything_;  // nothing older than `lower` can match
  auto position = [&](const std::string& id) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].stanza_id == id) return i;
    }
    return std::nullopt;
  };
  if (query.after_id) {
    auto p = position(*query.after_id);
    if (!p) return std::nullopt;
    lower = *p + 1;
    lower_known = true;
  }
  if (query.before_id) {
    auto p = position(*query.before_id);
    if (!p) return std::nullopt;
    upper = *p;
  }
  // Everything at or after 'start' is here when the oldest entry here is older than 'start'.
  if (query.start && !entries_.empty() && entries_.front().at < *query.start) lower_known = true;

  ArchiveSelection out;
  const std::size_t want = query.max + 1;  // one more than the page: is there more?
  if (query.from_end) {
    std::vector<const ArchivedMessage*> newest_first;
    for (std::size_t i = upper; i > lower && newest_first.size() < want; --i) {
      if (matches(entries_[i - 1], query, visible_at_most)) newest_first.push_back(&entries_[i - 1]);
    }
    if (newest_first.size() < want && !lower_known) return std::nullopt;
    out.complete = newest_first.size() < want;
    if (!out.complete) newest_first.pop_back();
    out.messages.assign(newest_first.rbegin(), newest_first.rend());
    return out;
  }
  if (!lower_known) return std::nullopt;
  for (std::size_t i = lower; i < upper && out.messages.size() < want; ++i) {
    if (matches(entries_[i], query, visible_at_most)) out.messages.push_back(&entries_[i]);
  }
  out.complete = out.messages.size() < want;
  if (!out.complete) out.messages.pop_back();
  return out;
}

}  // namespace throng::chat::muc
