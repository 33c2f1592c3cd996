#include "chat/account_loader.h"

#include "store/accounts.h"

#include <spdlog/spdlog.h>

namespace throng::chat {

void reloadAccounts(store::Storage& storage, AccountDirectory& directory) {
  storage.submit([&directory](store::Database& db) -> Status {
    auto names = store::listAccounts(db);
    if (!names) return names.error();
    AccountDirectory::Map accounts;
    for (const auto& name : *names) {
      auto record = store::findAccount(db, name);
      if (!record || !record->has_value()) continue;
      auto sha1 = sasl::ScramCredentials::parse((*record)->scram_sha1);
      auto sha256 = sasl::ScramCredentials::parse((*record)->scram_sha256);
      if (!sha1 || !sha256) {
        spdlog::warn("account '{}': stored credentials do not parse; skipped", name);
        continue;
      }
      accounts.emplace(name, AccountDirectory::Entry{*sha1, *sha256});
    }
    directory.replace(std::move(accounts));
    return {};
  });
}

}  // namespace throng::chat
