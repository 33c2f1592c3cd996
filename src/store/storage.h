// Storage: the one thread that touches the SQLite database. Worker threads never block on
// disk: they submit jobs, and hear back through a completion that the storage thread calls
// (submit) or posts to their executor (run).
//
// Life of a job:
//   worker --submit()--> queue (mutex + condvar: the one cross-thread handoff in this layer)
//   storage thread: takes every queued job (up to max_batch_jobs) as one batch, runs the batch
//     in one transaction, each job inside its own SAVEPOINT, then COMMIT (group commit: one
//     fsync for the whole batch instead of one per job)
//   storage thread: calls each job's done(status) in submission order, after the COMMIT, so a
//     completion never reports data that is not yet durable.
#pragma once

#include "base/result.h"
#include "store/sqlite.h"

#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace throng::store {

struct StorageOptions {
  std::filesystem::path path;
  // PRAGMA synchronous: "normal" (WAL default: durable across process crashes; a power cut
  // may lose the last commits) or "full" (fsync every commit; survives power loss).
  std::string synchronous = "normal";
  // Bound on one group commit, so that a burst does not hold the write lock (and delay every
  // waiting completion) for an unbounded time.
  std::size_t max_batch_jobs = 512;
  // Bound on the queue (rule: every queue has a bound and a policy). Beyond it, submit() fails
  // the job at once with "storage queue full" rather than growing memory while the disk
  // stalls.
  std::size_t max_queued_jobs = 65536;
  // How long sqlite waits for a lock held by another process (e.g. an operator's backup)
  // before failing the batch with SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{5000};
};

// A snapshot of the counters, for the control plane's metrics.
struct StorageStats {
  std::uint64_t jobs_committed = 0;     // jobs whose done() got ok
  std::uint64_t jobs_failed = 0;        // jobs whose done() got an error from the batch
  std::uint64_t jobs_rejected = 0;      // refused by submit(): stopped or queue full
  std::uint64_t batches_committed = 0;  // successful COMMITs
  std::uint64_t last_batch_jobs = 0;    // size of the most recent batch
  std::uint64_t queued_jobs = 0;        // waiting for the storage thread right now
  // Sum and count of (done() called - submit()) in microseconds, over batched jobs.
  std::uint64_t commit_latency_us_total = 0;
  std::uint64_t commit_latency_count = 0;

  double meanCommitLatencyUs() const {
    return commit_latency_count == 0 ? 0.0
                                     : static_cast<double>(commit_latency_us_total) /
                                           static_cast<double>(commit_latency_count);
  }
};

class Storage {
 public:
  using Job = std::function<Status(Database&)>;
  using Done = std::function<void(Status)>;

  // Opens the database, applies the pragmas and the schema migrations, all on the calling
  // thread, so that a bad path or a corrupt or too-new database fails at startup. Errors name
  // the path.
  static Result<std::unique_ptr<Storage>> open(const StorageOptions& options);

  ~Storage();  // stop()
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Launches the storage thread ("throng-store"). Call once, from the owning thread.
  void start();

  // Thread: any. Queues `job` to run on the storage thread, in submission order. `done`, if
  // given, is called on the storage thread once the job's batch has committed (ok) or failed
  // (the job's own error, or the batch's). If the storage is stopped or the queue is full,
  // `done` is called at once on the calling thread with an error and the job never runs.
  // Jobs and completions must not throw (a job that does is failed and rolled back).
  void submit(Job job, Done done = {});

  // Thread: any. Runs `job` on the storage thread and, after the commit, posts
  // done(Result<T>) to `executor` (any Boost.Asio executor). If the batch fails to commit,
  // done gets that Error even though the job itself succeeded. `Done` may be move-only.
  template <class T, class Executor, class DoneFn>
  void run(Executor executor, std::function<Result<T>(Database&)> job, DoneFn done);

  // Thread: any but the storage thread. Blocks until every job submitted before the call has
  // been committed (or failed) and its done() has returned. Before start(), runs the queued
  // jobs on the calling thread instead.
  void flush();

  // Thread: the owner. Flushes, then stops and joins the storage thread; later submits are
  // rejected with "storage stopped". Idempotent.
  void stop();

  // Thread: any.
  StorageStats stats() const;
  int schemaVersion() const { return schema_version_; }
  const StorageOptions& options() const { return options_; }
  bool isStorageThread() const { return std::this_thread::get_id() == thread_id_.load(); }

 private:
  struct Queued {
    Job job;
    Done done;
    std::chrono::steady_clock::time_point submitted_at;
  };

  Storage(StorageOptions options, std::unique_ptr<Database> db, int schema_version);

  void threadMain();
  // Takes the next batch off the queue; the caller holds mu_.
  std::deque<Queued> takeBatchLocked();
  // Runs one batch in one transaction and calls the completions. Storage thread (or the
  // flushing thread before start()).
  void runBatch(std::deque<Queued>& batch);
  Status runInSavepoint(Queued& queued);
  void finishBatch(std::size_t count);

  const StorageOptions options_;
  const std::unique_ptr<Database> db_;  // used only by the storage thread once started
  const int schema_version_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // storage thread waits for jobs or stop
  std::condition_variable done_cv_;  // flush() waits for completed_ to catch up
  std::deque<Queued> queue_;         // guarded by mu_
  std::uint64_t submitted_ = 0;      // guarded by mu_: jobs accepted into the queue
  std::uint64_t completed_ = 0;      // guarded by mu_: jobs whose done() has returned
  bool stopping_ = false;            // guarded by mu_: the thread exits once queue_ drains
  bool rejecting_ = false;           // guarded by mu_: submit() refuses new jobs

  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};

  std::atomic<std::uint64_t> jobs_committed_{0};
  std::atomic<std::uint64_t> jobs_failed_{0};
  std::atomic<std::uint64_t> jobs_rejected_{0};
  std::atomic<std::uint64_t> batches_committed_{0};
  std::atomic<std::uint64_t> last_batch_jobs_{0};
  std::atomic<std::uint64_t> queued_jobs_{0};
  std::atomic<std::uint64_t> commit_latency_us_total_{0};
  std::atomic<std::uint64_t> commit_latency_count_{0};
};

template <class T, class Executor, class DoneFn>
void Storage::run(Executor executor, std::function<Result<T>(Database&)> job, DoneFn done) {
  // Shared between the job (storage thread) and the completion (storage thread, or the
  // submitting thread if rejected) - never both at once - so no lock. std::function needs
  // copyable callables; the shared_ptr lets `done` be move-only.
  struct State {
    std::optional<Result<T>> result;
    DoneFn done;
  };
  auto state = std::make_shared<State>(State{std::nullopt, std::move(done)});
  submit(
      [state, job = std::move(job)](Database& db) -> Status {
        state->result.emplace(job(db));
        if (!state->result->ok()) return state->result->error();
        return {};
      },
      [state, executor = std::move(executor)](Status status) mutable {
        // A job that succeeded in a batch that failed to commit reports the batch's error.
        Result<T> outcome = status.ok() ? std::move(*state->result) : Result<T>(status.error());
        boost::asio::post(executor, [state, posted = std::move(outcome)]() mutable {
          state->done(std::move(posted));
        });
      });
}

}  // namespace throng::store
