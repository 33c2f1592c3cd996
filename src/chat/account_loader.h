// Fills an AccountDirectory from the accounts table, on the storage thread, so that SASL
// reads credentials from memory. Called at start (blocking, before listeners open) and then
// periodically, so accounts added with `throng user` reach a running server.
#pragma once

#include "chat/account_directory.h"
#include "store/storage.h"

namespace throng::chat {

// Queues a job that reads every account and replaces the directory's snapshot. Rows whose
// credentials do not parse are skipped (and logged).
void reloadAccounts(store::Storage& storage, AccountDirectory& directory);

}  // namespace throng::chat
