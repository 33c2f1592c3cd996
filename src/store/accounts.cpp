#include "store/accounts.h"

#include "store/sqlite.h"

namespace throng::store {
namespace {

// RFC 7622 §3.3.1 allows localparts up to 1023 bytes; 64 keeps JIDs, logs and the admin UI
// readable and matches the event slug limit.
constexpr std::size_t kMaxUsernameBytes = 64;

bool isUsernameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

Status validateCredentials(std::string_view scram_sha1, std::string_view scram_sha256) {
  if (scram_sha1.empty() || scram_sha256.empty()) {
    return makeError("credentials: must not be empty");
  }
  return {};
}

}  // namespace

Status validateUsername(std::string_view username) {
  if (username.empty() || username.size() > kMaxUsernameBytes) {
    return makeError("username: must be 1..64 characters");
  }
  for (const char c : username) {
    if (!isUsernameChar(c)) {
      return makeError("username: only lowercase a-z, 0-9, '.', '_' and '-' are allowed");
    }
  }
  return {};
}

Result<bool> createAccount(Database& db, const AccountRecord& account) {
  if (Status s = validateUsername(account.username); !s) return s.error();
  if (Status s = validateCredentials(account.scram_sha1, account.scram_sha256); !s) {
    return s.error();
  }
  // ON CONFLICT DO NOTHING: a taken name is an expected answer (false), decided by the primary
  // key in one statement.
  auto stmt = db.cached(
      "INSERT INTO accounts (username, scram_sha1, scram_sha256, created_at_ms)"
      " VALUES (?, ?, ?, ?) ON CONFLICT (username) DO NOTHING");
  if (!stmt) return stmt.error();
  Statement& insert = **stmt;
  for (Status s : {insert.bind(1, account.username), insert.bind(2, account.scram_sha1),
                   insert.bind(3, account.scram_sha256), insert.bind(4, account.created_at_ms)}) {
    if (!s) return s.error();
  }
  auto done = insert.step();
  if (!done) return done.error();
  return db.changes() > 0;
}

Result<std::optional<AccountRecord>> findAccount(Database& db, std::string_view username) {
  auto stmt = db.cached(
      "SELECT username, scram_sha1, scram_sha256, created_at_ms FROM accounts"
      " WHERE username = ?");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  if (Status s = (*stmt)->bind(1, username); !s) return s.error();
  auto row = (*stmt)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<AccountRecord>();
  AccountRecord account;
  account.username = std::string((*stmt)->columnText(0));
  account.scram_sha1 = std::string((*stmt)->columnText(1));
  account.scram_sha256 = std::string((*stmt)->columnText(2));
  account.created_at_ms = (*stmt)->columnInt64(3);
  return std::optional<AccountRecord>(std::move(account));
}

Result<bool> updateAccountCredentials(Database& db, std::string_view username,
                                      std::string_view scram_sha1, std::string_view scram_sha256) {
  if (Status s = validateCredentials(scram_sha1, scram_sha256); !s) return s.error();
  auto stmt = db.cached("UPDATE accounts SET scram_sha1 = ?, scram_sha256 = ? WHERE username = ?");
  if (!stmt) return stmt.error();
  Statement& set = **stmt;
  for (Status s : {set.bind(1, scram_sha1), set.bind(2, scram_sha256), set.bind(3, username)}) {
    if (!s) return s.error();
  }
  auto done = set.step();
  if (!done) return done.error();
  return db.changes() > 0;
}

Result<bool> deleteAccount(Database& db, std::string_view username) {
  auto stmt = db.cached("DELETE FROM accounts WHERE username = ?");
  if (!stmt) return stmt.error();
  if (Status s = (*stmt)->bind(1, username); !s) return s.error();
  auto done = (*stmt)->step();
  if (!done) return done.error();
  return db.changes() > 0;
}

Result<std::vector<std::string>> listAccounts(Database& db) {
  auto stmt = db.cached("SELECT username FROM accounts ORDER BY username");
  if (!stmt) return stmt.error();
  ResetOnExit reset(**stmt);
  std::vector<std::string> names;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return row.error();
    if (!*row) break;
    names.emplace_back((*stmt)->columnText(0));
  }
  return names;
}

}  // namespace throng::store
