#include "store/storage.h"

#include "store/migrations.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <algorithm>
#include <cassert>
#include <exception>
#include <system_error>
#include <vector>

namespace throng::store {
namespace {

// A job's own SAVEPOINT. Jobs that want savepoints of their own use other names (nesting the
// same name works in sqlite, but would make a job's RELEASE ambiguous to a reader).
constexpr std::string_view kJobSavepoint = "SAVEPOINT throng_job";
constexpr std::string_view kJobRelease = "RELEASE throng_job";
constexpr std::string_view kJobRollback = "ROLLBACK TO throng_job";

Status setJournalModeWal(Database& db) {
  auto stmt = db.prepare("PRAGMA journal_mode=WAL");
  if (!stmt) return stmt.error();
  auto row = (*stmt)->step();
  if (!row) return row.error();
  // The pragma answers with the mode in force: anything but "wal" means sqlite refused (for
  // example on a filesystem without shared memory), and readers would then block the writer.
  const std::string_view mode = *row ? (*stmt)->columnText(0) : std::string_view{};
  if (mode != "wal")
    return makeError("journal_mode=WAL refused (mode is '" + std::string(mode) + "')");
  return {};
}

}  // namespace

Result<std::unique_ptr<Storage>> Storage::open(const StorageOptions& options) {
  const std::string where = "storage " + options.path.string() + ": ";
  auto fail = [&where](const std::string& message) { return Error{where + message}; };

  if (options.path.empty()) return fail("empty database path");
  if (options.synchronous != "normal" && options.synchronous != "full") {
    // Checked here because the value is spliced into a PRAGMA.
    return fail("synchronous must be \"normal\" or \"full\", not \"" + options.synchronous + "\"");
  }

  const std::filesystem::path parent = options.path.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return fail("cannot create directory " + parent.string() + ": " + ec.message());
    if (!std::filesystem::is_directory(parent, ec)) {
      return fail(parent.string() + " is not a directory");
    }
  }

  auto db = Database::open(options.path);
  if (!db) return fail(db.error().message);
  Database& d = **db;

  // busy_timeout first, so that the other pragmas wait for a lock held by another process.
  if (Status s = d.exec("PRAGMA busy_timeout=" + std::to_string(options.busy_timeout.count()));
      !s) {
    return fail(s.error().message);
  }
  // WAL: readers (a backup, the CLI) never block the storage thread and vice versa, and a
  // commit is one sequential append.
  if (Status s = setJournalModeWal(d); !s) return fail(s.error().message);
  if (Status s = d.exec("PRAGMA synchronous=" + options.synchronous); !s) {
    return fail(s.error().message);
  }
  if (Status s = d.exec("PRAGMA foreign_keys=ON"); !s) return fail(s.error().message);

  auto version = migrate(d, schemaMigrations());
  if (!version) return fail(version.error().message);

  return std::unique_ptr<Storage>(new Storage(options, std::move(db).value(), *version));
}

Storage::Storage(StorageOptions options, std::unique_ptr<Database> db, int schema_version)
    : options_(std::move(options)), db_(std::move(db)), schema_version_(schema_version) {}

Storage::~Storage() {
  stop();
}

void Storage::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { threadMain(); });
}

void Storage::submit(Job job, Done done) {
  const char* refusal = nullptr;
  {
    std::lock_guard lock(mu_);
    if (rejecting_) {
      refusal = "storage stopped";
    } else if (queue_.size() >= options_.max_queued_jobs) {
      refusal = "storage queue full";
    } else {
      queue_.push_back(Queued{std::move(job), std::move(done), std::chrono::steady_clock::now()});
      ++submitted_;
      queued_jobs_.store(queue_.size(), std::memory_order_relaxed);
    }
  }
  if (refusal != nullptr) {
    jobs_rejected_.fetch_add(1, std::memory_order_relaxed);
    if (done) done(Error{refusal});  // not moved from: only the accepting branch moves
    return;
  }
  work_cv_.notify_one();
}

void Storage::flush() {
  if (isStorageThread()) {
    // Waiting here for our own batch to finish would never return.
    assert(false && "Storage::flush() called on the storage thread");
    return;
  }
  std::unique_lock lock(mu_);
  const std::uint64_t target = submitted_;
  if (!thread_.joinable() && !stopping_) {
    // Not started: no storage thread exists, so the caller (the owner) may use the database.
    while (completed_ < target && !queue_.empty()) {
      std::deque<Queued> batch = takeBatchLocked();
      lock.unlock();
      runBatch(batch);
      lock.lock();
    }
    return;
  }
  done_cv_.wait(lock, [&] { return completed_ >= target; });
}

void Storage::stop() {
  bool started = false;
  {
    std::lock_guard lock(mu_);
    rejecting_ = true;
    started = thread_.joinable();
  }
  if (!started) {
    flush();  // never started: run what was queued on this thread
    std::lock_guard lock(mu_);
    stopping_ = true;
    return;
  }
  if (isStorageThread()) {
    // Cannot join ourselves; the owner's stop() (or the destructor) will.
    std::lock_guard lock(mu_);
    stopping_ = true;
    work_cv_.notify_one();
    return;
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;  // the thread drains the queue, then exits: stop() implies flush()
  }
  work_cv_.notify_one();
  thread_.join();
}

StorageStats Storage::stats() const {
  StorageStats s;
  s.jobs_committed = jobs_committed_.load(std::memory_order_relaxed);
  s.jobs_failed = jobs_failed_.load(std::memory_order_relaxed);
  s.jobs_rejected = jobs_rejected_.load(std::memory_order_relaxed);
  s.batches_committed = batches_committed_.load(std::memory_order_relaxed);
  s.last_batch_jobs = last_batch_jobs_.load(std::memory_order_relaxed);
  s.queued_jobs = queued_jobs_.load(std::memory_order_relaxed);
  s.commit_latency_us_total = commit_latency_us_total_.load(std::memory_order_relaxed);
  s.commit_latency_count = commit_latency_count_.load(std::memory_order_relaxed);
  return s;
}

void Storage::threadMain() {
  thread_id_.store(std::this_thread::get_id());
  // Shows in top -H, perf and gdb; Linux allows 15 characters.
  pthread_setname_np(pthread_self(), "throng-store");
  for (;;) {
    std::deque<Queued> batch;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping, and everything queued has run
      batch = takeBatchLocked();
    }
    runBatch(batch);
  }
  thread_id_.store(std::thread::id{});
}

std::deque<Storage::Queued> Storage::takeBatchLocked() {
  const std::size_t limit = std::max<std::size_t>(1, options_.max_batch_jobs);
  std::deque<Queued> batch;
  if (queue_.size() <= limit) {
    batch.swap(queue_);
  } else {
    for (std::size_t i = 0; i < limit; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  queued_jobs_.store(queue_.size(), std::memory_order_relaxed);
  return batch;
}

Status Storage::runInSavepoint(Queued& queued) {
  if (Status s = db_->exec(kJobSavepoint); !s) return s;
  Status result;
  if (!queued.job) {
    result = makeError("empty job");
  } else {
    // Jobs must not throw; one that does is a bug, but it must not take the storage thread
    // (and every later write) down with it.
    try {
      result = queued.job(*db_);
    } catch (const std::exception& e) {
      result = makeError(std::string("job threw: ") + e.what());
    } catch (...) {
      result = makeError("job threw");
    }
  }
  if (!db_->inTransaction()) return result;  // the transaction is gone; runBatch handles it
  if (result.ok()) {
    Status released = db_->exec(kJobRelease);
    if (released.ok()) return result;
    result = released;
  }
  // Undo this job alone; the rest of the batch keeps its work.
  Status undone = db_->exec(kJobRollback);
  if (undone.ok()) undone = db_->exec(kJobRelease);
  if (!undone.ok()) {
    // Cannot undo the job alone: abandon the whole transaction rather than commit its
    // half-done work. runBatch sees the transaction gone and fails the jobs it held.
    spdlog::error("storage: rollback to savepoint failed: {}", undone.error().message);
    (void)db_->exec("ROLLBACK");
  }
  return result;
}

void Storage::runBatch(std::deque<Queued>& batch) {
  const std::size_t n = batch.size();
  std::vector<Status> results(n);
  std::size_t first = 0;  // first job in the open transaction
  Status open = db_->exec("BEGIN IMMEDIATE");
  for (std::size_t i = 0; i < n; ++i) {
    if (!open.ok()) {
      results[i] = open;
      continue;
    }
    results[i] = runInSavepoint(batch[i]);
    if (!db_->inTransaction()) {
      // sqlite rolls the whole transaction back on some errors (SQLITE_FULL, IOERR, NOMEM),
      // or the job ran COMMIT/ROLLBACK itself: the jobs since `first` are not committed.
      Error lost{
          "batch transaction aborted by a job: " +
          (results[i].ok() ? std::string("it ended the transaction") : results[i].error().message)};
      spdlog::error("storage: {}", lost.message);
      for (std::size_t j = first; j <= i; ++j) results[j] = lost;
      open = db_->exec("BEGIN IMMEDIATE");
      first = i + 1;
    }
  }
  if (open.ok()) {
    Status committed = db_->exec("COMMIT");
    if (committed.ok()) {
      batches_committed_.fetch_add(1, std::memory_order_relaxed);
    } else {
      spdlog::error("storage: {}", committed.error().message);
      (void)db_->exec("ROLLBACK");  // fails harmlessly if sqlite already rolled back
      for (std::size_t j = first; j < n; ++j) results[j] = committed;
    }
  } else {
    spdlog::error("storage: {}", open.error().message);
  }

  // Counters first, so that a completion reading stats() sees its own job counted.
  std::uint64_t ok = 0;
  for (const Status& s : results) ok += s.ok() ? 1 : 0;
  jobs_committed_.fetch_add(ok, std::memory_order_relaxed);
  jobs_failed_.fetch_add(n - ok, std::memory_order_relaxed);
  last_batch_jobs_.store(n, std::memory_order_relaxed);

  for (std::size_t i = 0; i < n; ++i) {
    const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - batch[i].submitted_at);
    commit_latency_us_total_.fetch_add(static_cast<std::uint64_t>(waited.count()),
                                       std::memory_order_relaxed);
    commit_latency_count_.fetch_add(1, std::memory_order_relaxed);
    if (!batch[i].done) continue;
    try {
      batch[i].done(std::move(results[i]));
    } catch (const std::exception& e) {
      spdlog::error("storage: completion threw: {}", e.what());
    } catch (...) {
      spdlog::error("storage: completion threw");
    }
  }
  batch.clear();  // destroy the jobs' captures here, before flush() callers are released

  finishBatch(n);
}

void Storage::finishBatch(std::size_t count) {
  {
    std::lock_guard lock(mu_);
    completed_ += count;
  }
  done_cv_.notify_all();
}

}  // namespace throng::store
