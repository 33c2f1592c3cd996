// Chat accounts (table accounts): one row per registered user. Passwords are never stored,
// only SCRAM credentials (RFC 5802 §3) serialized by the chat layer; the store keeps those
// strings opaque and does not depend on chat.
// Runs on the storage thread only.
#pragma once

#include "base/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::store {

class Database;

struct AccountRecord {
  std::string username;      // XMPP localpart: [a-z0-9._-], 1..64 bytes, unique
  std::string scram_sha1;    // serialized credentials (chat::sasl::ScramCredentials); secret
  std::string scram_sha256;  // ditto for SCRAM-SHA-256; also checks PLAIN passwords
  std::int64_t created_at_ms = 0;
};

// ok, or an Error naming the rule. Usernames become XMPP localparts (RFC 7622 §3.3), so throng
// takes a conservative subset that needs no case folding or normalization: 1..64 bytes of
// lowercase a-z, digits, '.', '_' and '-'.
Status validateUsername(std::string_view username);

// false when the username is taken. Refuses an invalid username or empty credentials.
Result<bool> createAccount(Database& db, const AccountRecord& account);
Result<std::optional<AccountRecord>> findAccount(Database& db, std::string_view username);
// false when no such account.
Result<bool> updateAccountCredentials(Database& db, std::string_view username,
                                      std::string_view scram_sha1, std::string_view scram_sha256);
// false when no such account.
Result<bool> deleteAccount(Database& db, std::string_view username);
// Every username, sorted.
Result<std::vector<std::string>> listAccounts(Database& db);

}  // namespace throng::store
