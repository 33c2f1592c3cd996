// Thin RAII wrappers over the sqlite3 C API. Nothing here throws: every call that can fail
// returns a Status/Result whose message carries sqlite3_errmsg.
//
// Thread: a Database and its Statements belong to one thread at a time. Storage opens the
// database on the starting thread, then hands it to the storage thread for good (storage.h);
// the connection is opened with SQLITE_OPEN_NOMUTEX because no two threads ever share it.
#pragma once

#include "base/result.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace throng::store {

class Database;

// One prepared statement. Owned by the Database that prepared it (statement cache) or by the
// caller of Database::prepare(); it must not outlive its Database.
class Statement {
 public:
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in sqlite3_bind_*. Text is copied (SQLITE_TRANSIENT), so the
  // view need only live for the call.
  Status bind(int index, std::int64_t value);
  Status bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Status bind(int index, double value);
  Status bind(int index, std::string_view value);
  Status bind(int index, std::nullptr_t);

  // true: a row is available (read it with column*); false: the statement is done.
  Result<bool> step();

  // Columns are 0-based. The text view stays valid until the next step(), reset() or
  // finalization; copy it to keep it. NULL reads as 0 / 0.0 / "".
  std::int64_t columnInt64(int index) const;
  double columnDouble(int index) const;
  std::string_view columnText(int index) const;
  bool columnIsNull(int index) const;

  // Rewinds the statement (keeps bindings). A statement stepped but not run to completion
  // keeps a read snapshot open until reset, so readers reset when done (see ResetOnExit).
  void reset();
  void clearBindings();

  sqlite3_stmt* raw() const { return stmt_; }

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}

  sqlite3_stmt* stmt_;  // allocated by this, finalized in the destructor
  sqlite3* db_;         // not owned: the Database that prepared the statement
};

// Resets a statement when the scope ends, whichever way it ends, so that a half-read SELECT
// never pins a snapshot across the rest of a storage batch.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& stmt) : stmt_(stmt) {}
  ~ResetOnExit() { stmt_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& stmt_;
};

class Database {
 public:
  // Opens (creating if missing) the database file at `path`, read-write. Errors name the path.
  static Result<std::unique_ptr<Database>> open(const std::filesystem::path& path);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more ';'-separated statements that return no rows of interest (DDL, PRAGMA,
  // BEGIN/COMMIT/SAVEPOINT).
  Status exec(std::string_view sql);

  // The prepared statement for `sql`, prepared on first use and cached by SQL text for the
  // life of the Database. Handed out reset with bindings cleared. The pointer stays valid
  // until the Database is destroyed; asking for the same SQL again resets the same object, so
  // finish with one use before starting another of the same text.
  Result<Statement*> cached(std::string_view sql);

  // A one-off statement owned by the caller (for SQL that is not worth caching).
  Result<std::unique_ptr<Statement>> prepare(std::string_view sql);

  std::int64_t lastInsertRowId() const;
  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  std::int64_t changes() const;
  // sqlite3_extended_errcode of the most recent failed call (e.g. SQLITE_CONSTRAINT_UNIQUE).
  int extendedErrorCode() const;
  // True while a transaction is open (false in autocommit mode).
  bool inTransaction() const;

  const std::filesystem::path& path() const { return path_; }
  sqlite3* raw() const { return db_; }

 private:
  Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;  // allocated by this, closed in the destructor after the statements
  std::filesystem::path path_;
  // std::less<> so that lookups by string_view do not allocate.
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

}  // namespace throng::store
