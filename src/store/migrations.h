// Versioned schema migrations. The database records every migration it has applied in table
// schema_version; migrate() applies the rest, each in its own transaction, so a crash between
// two migrations leaves a database at a known version.
//
// Thread: runs on the thread that opens the database (Storage::open), before the storage
// thread starts.
#pragma once

#include "base/result.h"

#include <string_view>
#include <vector>

namespace throng::store {

class Database;

struct Migration {
  int version;                   // strictly increasing, starting at 1
  std::string_view description;  // recorded in schema_version, shown in errors
  std::string_view sql;          // one or more statements; runs inside a transaction
};

// The project's schema history. Append only: never edit a migration that has shipped, add a
// new one that changes what it did.
const std::vector<Migration>& schemaMigrations();

// Applies every migration whose version is above the database's, in order, and returns the
// resulting version. Refuses a list that is not strictly increasing from 1 and a database
// newer than the newest migration in the list (running an old binary on a newer database
// would silently misread it).
Result<int> migrate(Database& db, const std::vector<Migration>& migrations);

// The highest applied version, 0 for a fresh database.
Result<int> schemaVersionOf(Database& db);

}  // namespace throng::store
