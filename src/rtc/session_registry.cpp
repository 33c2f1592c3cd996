#include "rtc/session_registry.h"

#include "rtc/media_stream.h"

namespace throng::rtc {

SessionRegistry::SessionRegistry(std::size_t max_viewers, std::size_t max_viewers_per_stream)
    : max_viewers_(max_viewers), max_viewers_per_stream_(max_viewers_per_stream) {}

SessionRegistry::Admission SessionRegistry::reserve(const MediaStream* stream) {
  std::lock_guard lock(mutex_);
  if (total_ >= max_viewers_) return Admission::kServerFull;
  auto& count = per_stream_[stream];
  if (count >= max_viewers_per_stream_) return Admission::kStreamFull;
  ++count;
  ++total_;
  return Admission::kAdmitted;
}

void SessionRegistry::release(const MediaStream* stream) {
  std::lock_guard lock(mutex_);
  auto it = per_stream_.find(stream);
  if (it == per_stream_.end() || it->second == 0) return;
  if (--it->second == 0) per_stream_.erase(it);
  --total_;
}

void SessionRegistry::addPending(std::unique_ptr<SessionPlan> plan) {
  std::lock_guard lock(mutex_);
  Entry entry;
  entry.slug = plan->stream->slug();
  entry.local_ufrag = plan->local_ufrag;
  entry.stream = plan->role == SessionRole::kViewer ? plan->stream.get() : nullptr;
  entry.role = plan->role;
  entry.created = plan->created;
  const std::string token = plan->token;
  entry.plan = std::move(plan);
  token_by_ufrag_[entry.local_ufrag] = token;
  by_token_.emplace(token, std::move(entry));
}

std::unique_ptr<SessionPlan> SessionRegistry::claim(
    std::string_view local_ufrag, int shard,
    const std::function<bool(const SessionPlan&)>& authenticate) {
  std::lock_guard lock(mutex_);
  auto ufrag = token_by_ufrag_.find(local_ufrag);
  if (ufrag == token_by_ufrag_.end()) return nullptr;
  auto it = by_token_.find(ufrag->second);
  if (it == by_token_.end() || !it->second.plan) return nullptr;
  if (!authenticate(*it->second.plan)) return nullptr;
  it->second.shard = shard;
  token_by_ufrag_.erase(ufrag);
  return std::move(it->second.plan);
}

std::optional<SessionRegistry::Owner> SessionRegistry::find(std::string_view slug,
                                                            std::string_view token) const {
  std::lock_guard lock(mutex_);
  auto it = by_token_.find(token);
  if (it == by_token_.end() || it->second.slug != slug) return std::nullopt;
  return Owner{it->second.plan != nullptr, it->second.shard, it->second.role};
}

void SessionRegistry::eraseLocked(std::map<std::string, Entry, std::less<>>::iterator it) {
  if (it->second.plan) token_by_ufrag_.erase(it->second.local_ufrag);
  auto count = it->second.stream ? per_stream_.find(it->second.stream) : per_stream_.end();
  if (count != per_stream_.end() && count->second > 0) {
    if (--count->second == 0) per_stream_.erase(count);
    --total_;
  }
  by_token_.erase(it);
}

bool SessionRegistry::cancelPending(std::string_view token) {
  std::unique_ptr<SessionPlan> plan;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  auto it = by_token_.find(token);
  if (it == by_token_.end() || !it->second.plan) return false;
  plan = std::move(it->second.plan);
  token_by_ufrag_.erase(it->second.local_ufrag);
  eraseLocked(it);
  return true;
}

void SessionRegistry::forget(std::string_view token) {
  std::lock_guard lock(mutex_);
  auto it = by_token_.find(token);
  if (it != by_token_.end()) eraseLocked(it);
}

std::size_t SessionRegistry::expirePending(std::chrono::steady_clock::time_point now,
                                           std::chrono::steady_clock::duration timeout) {
  std::vector<std::unique_ptr<SessionPlan>> expired;  // destroyed outside the lock
  {
    std::lock_guard lock(mutex_);
    for (auto it = by_token_.begin(); it != by_token_.end();) {
      auto next = std::next(it);
      if (it->second.plan && now - it->second.created > timeout) {
        token_by_ufrag_.erase(it->second.local_ufrag);
        expired.push_back(std::move(it->second.plan));
        eraseLocked(it);
      }
      it = next;
    }
  }
  return expired.size();
}

std::size_t SessionRegistry::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace throng::rtc
