// SessionRegistry: the one place where workers and the HTTP handlers meet over sessions.
// It admits viewers against the caps, keeps plans until a worker claims them by ICE username,
// and remembers which worker owns each session so that a DELETE reaches it.
//
// Threads: any; one mutex. It is touched once per session event (POST, first STUN, DELETE,
// close), never per packet.
#pragma once

#include "rtc/session_plan.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace throng::rtc {

class SessionRegistry {
 public:
  SessionRegistry(std::size_t max_viewers, std::size_t max_viewers_per_stream);

  enum class Admission { kAdmitted, kServerFull, kStreamFull };
  // Takes a place for one viewer of `stream` (released by cancel/forget/expire, or release()).
  Admission reserve(const MediaStream* stream);
  void release(const MediaStream* stream);

  // The plan of an admitted viewer (or of a publisher, which takes no viewer's place), waiting
  // for its first binding request.
  void addPending(std::unique_ptr<SessionPlan> plan);

  // On the worker that received a binding request for `local_ufrag`: if a pending plan has that
  // username and `authenticate` accepts it (MESSAGE-INTEGRITY with the plan's password), the
  // plan moves to the caller, which owns the session from now on as worker `shard`.
  std::unique_ptr<SessionPlan> claim(std::string_view local_ufrag, int shard,
                                     const std::function<bool(const SessionPlan&)>& authenticate);

  struct Owner {
    bool pending = false;  // not claimed yet
    int shard = -1;        // the owning worker once claimed
    SessionRole role = SessionRole::kViewer;
  };
  // Where the session with this token of this event is; nullopt = no such session.
  std::optional<Owner> find(std::string_view slug, std::string_view token) const;

  // DELETE of a session not claimed yet: drops the plan and its place. False if not pending.
  bool cancelPending(std::string_view token);
  // A worker closed a claimed session: forgets it and frees its place.
  void forget(std::string_view token);
  // Plans nobody claimed within `timeout`: dropped with their places; returns how many.
  std::size_t expirePending(std::chrono::steady_clock::time_point now,
                            std::chrono::steady_clock::duration timeout);

  std::size_t total() const;

 private:
  struct Entry {
    std::string slug;
    std::string local_ufrag;
    const MediaStream* stream = nullptr;  // null for a publisher: no place to free
    SessionRole role = SessionRole::kViewer;
    std::unique_ptr<SessionPlan> plan;  // set while pending
    int shard = -1;
    std::chrono::steady_clock::time_point created;
  };
  void eraseLocked(std::map<std::string, Entry, std::less<>>::iterator it);

  const std::size_t max_viewers_;
  const std::size_t max_viewers_per_stream_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<const MediaStream*, std::size_t> per_stream_;
  std::map<std::string, Entry, std::less<>> by_token_;
  std::map<std::string, std::string, std::less<>> token_by_ufrag_;  // pending only
};

}  // namespace throng::rtc
