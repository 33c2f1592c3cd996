// Accounts as the chat sees them: an immutable snapshot of SCRAM credentials held in memory,
// so that SASL never waits for the disk (design.md §3: workers never block on storage).
// Loaded from SQLite at start; replaced whole (atomically) when reloaded.
//
// Threading: snapshot() and lookup() from any thread; replace() from any thread.
#pragma once

#include "chat/sasl/scram.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace throng::chat {

class AccountDirectory {
 public:
  struct Entry {
    sasl::ScramCredentials sha1;
    sasl::ScramCredentials sha256;
  };
  using Map = std::unordered_map<std::string, Entry>;

  AccountDirectory() : accounts_(std::make_shared<const Map>()) {}

  void replace(Map accounts) { accounts_.store(std::make_shared<const Map>(std::move(accounts))); }

  std::optional<sasl::ScramCredentials> lookup(std::string_view username,
                                               sasl::ScramHash hash) const {
    const auto snapshot = accounts_.load();
    const auto it = snapshot->find(std::string(username));
    if (it == snapshot->end()) return std::nullopt;
    return hash == sasl::ScramHash::kSha1 ? it->second.sha1 : it->second.sha256;
  }

  std::size_t size() const { return accounts_.load()->size(); }

 private:
  std::atomic<std::shared_ptr<const Map>> accounts_;
};

}  // namespace throng::chat
