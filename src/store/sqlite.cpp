#include "store/sqlite.h"

#include <sqlite3.h>

#include <limits>

namespace throng::store {
namespace {

Error sqliteError(sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return Error{std::move(message)};
}

// sqlite3 takes lengths as int; anything longer is refused rather than truncated.
bool fitsInt(std::size_t n) {
  return n <= static_cast<std::size_t>(std::numeric_limits<int>::max());
}

}  // namespace

// --- Statement ---

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Status Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) return sqliteError(db_, "bind");
  return {};
}

Status Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) return sqliteError(db_, "bind");
  return {};
}

Status Statement::bind(int index, std::string_view value) {
  if (!fitsInt(value.size())) return makeError("bind: text too long");
  // SQLITE_TRANSIENT: sqlite copies the bytes, so the caller's view may die after the call.
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    return sqliteError(db_, "bind");
  }
  return {};
}

Status Statement::bind(int index, std::nullptr_t) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) return sqliteError(db_, "bind");
  return {};
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string what = "step (";
  what += sqlite3_sql(stmt_);
  what += ")";
  Error error = sqliteError(db_, what);
  // Leave the statement ready for its next use; reset() repeats the error code, which we
  // already reported.
  sqlite3_reset(stmt_);
  return error;
}

std::int64_t Statement::columnInt64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

double Statement::columnDouble(int index) const {
  return sqlite3_column_double(stmt_, index);
}

std::string_view Statement::columnText(int index) const {
  // _text before _bytes, as the sqlite docs require, so the length is of the UTF-8 form.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

bool Statement::columnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

void Statement::reset() {
  sqlite3_reset(stmt_);
}

void Statement::clearBindings() {
  sqlite3_clear_bindings(stmt_);
}

// --- Database ---

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: one thread uses the connection at a time (see sqlite.h), so sqlite's own
  // per-connection mutex would be pure overhead. EXRESCODE: extended codes in errors.
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqliteError(db, "open " + path.string());
    sqlite3_close_v2(db);  // sqlite allocates a handle even on failure (null-safe)
    return error;
  }
  return std::unique_ptr<Database>(new Database(db, path));
}

Database::~Database() {
  cache_.clear();  // statements first: closing with live statements would defer the close
  sqlite3_close_v2(db_);
}

Status Database::exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string error = "exec (" + text + "): ";
    error += message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return Error{std::move(error)};
  }
  return {};
}

Result<std::unique_ptr<Statement>> Database::prepare(std::string_view sql) {
  if (!fitsInt(sql.size())) return makeError("prepare: SQL too long");
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return sqliteError(db_, "prepare (" + std::string(sql) + ")");
  }
  if (stmt == nullptr) return makeError("prepare: empty SQL");
  return std::unique_ptr<Statement>(new Statement(stmt, db_));
}

Result<Statement*> Database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto prepared = prepare(sql);
    if (!prepared) return prepared.error();
    it = cache_.emplace(std::string(sql), std::move(prepared).value()).first;
  }
  Statement* stmt = it->second.get();
  stmt->reset();
  stmt->clearBindings();
  return stmt;
}

std::int64_t Database::lastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

int Database::extendedErrorCode() const {
  return sqlite3_extended_errcode(db_);
}

bool Database::inTransaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

}  // namespace throng::store
