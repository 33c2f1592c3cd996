#include "store/storage.h"

#include "store/events.h"
#include "store/migrations.h"
#include "support/temp_dir.h"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace throng::store {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class StorageTest : public ::testing::Test {
 protected:
  std::unique_ptr<Storage> openStorage() {
    StorageOptions options;
    options.path = dir_ / "data" / "throng.sqlite";  // "data" does not exist yet
    auto storage = Storage::open(options);
    EXPECT_TRUE(storage.ok()) << storage.error().message;
    return std::move(storage).value();
  }

  // Reads through a second connection, which sees only committed data.
  std::int64_t committedCount(const std::string& table) {
    auto db = Database::open(dir_ / "data" / "throng.sqlite");
    EXPECT_TRUE(db.ok());
    auto stmt = (*db)->prepare("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(stmt.ok()) << stmt.error().message;
    auto row = (*stmt)->step();
    EXPECT_TRUE(row.ok() && *row);
    return (*stmt)->columnInt64(0);
  }

  static Storage::Job insertValue(int value) {
    return [value](Database& db) -> Status {
      auto stmt = db.cached("INSERT INTO kv (v) VALUES (?)");
      if (!stmt) return stmt.error();
      if (Status s = (*stmt)->bind(1, value); !s) return s;
      if (auto r = (*stmt)->step(); !r) return r.error();
      return {};
    };
  }

  std::vector<std::int64_t> values(Storage& storage) {
    std::vector<std::int64_t> out;
    storage.submit([&out](Database& db) -> Status {
      auto stmt = db.cached("SELECT v FROM kv ORDER BY v");
      if (!stmt) return stmt.error();
      ResetOnExit reset(**stmt);
      for (;;) {
        auto row = (*stmt)->step();
        if (!row) return row.error();
        if (!*row) return {};
        out.push_back((*stmt)->columnInt64(0));
      }
    });
    storage.flush();
    return out;
  }

  static void createKv(Storage& storage) {
    Status created = makeError("not run");
    storage.submit([](Database& db) { return db.exec("CREATE TABLE kv (v INTEGER NOT NULL)"); },
                   [&created](Status s) { created = std::move(s); });
    storage.flush();
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  testing::TempDir dir_;
};

TEST_F(StorageTest, OpenCreatesDirectoryAndUsesWal) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  EXPECT_EQ(storage->schemaVersion(), schemaMigrations().back().version);
  storage->start();
  std::string mode;
  storage->submit([&mode](Database& db) -> Status {
    auto stmt = db.prepare("PRAGMA journal_mode");
    if (!stmt) return stmt.error();
    if (auto row = (*stmt)->step(); !row || !*row) return makeError("no row");
    mode = std::string((*stmt)->columnText(0));
    return {};
  });
  storage->flush();
  EXPECT_EQ(mode, "wal");
}

TEST_F(StorageTest, MigrationsAreIdempotentAcrossReopen) {
  openStorage().reset();
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  EXPECT_EQ(storage->schemaVersion(), schemaMigrations().back().version);
  storage.reset();
  EXPECT_EQ(committedCount("schema_version"), static_cast<std::int64_t>(schemaMigrations().size()));
}

TEST_F(StorageTest, OpenRefusesNewerSchemaNamingPath) {
  openStorage().reset();
  {
    auto db = Database::open(dir_ / "data" / "throng.sqlite");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("INSERT INTO schema_version VALUES (99, 'from the future', 0)").ok());
  }
  StorageOptions options;
  options.path = dir_ / "data" / "throng.sqlite";
  auto storage = Storage::open(options);
  ASSERT_FALSE(storage.ok());
  EXPECT_TRUE(contains(storage.error().message, options.path.string())) << storage.error().message;
  EXPECT_TRUE(contains(storage.error().message, "downgrade")) << storage.error().message;
}

TEST_F(StorageTest, OpenUnderRegularFileFailsNamingPath) {
  { std::ofstream(dir_ / "plain-file") << "not a directory"; }
  StorageOptions options;
  options.path = dir_ / "plain-file" / "sub" / "throng.sqlite";
  auto storage = Storage::open(options);
  ASSERT_FALSE(storage.ok());
  EXPECT_TRUE(contains(storage.error().message, options.path.string())) << storage.error().message;
}

TEST_F(StorageTest, OpenCorruptFileFailsNamingPath) {
  const auto path = dir_ / "corrupt.sqlite";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not an sqlite database ";
  }
  StorageOptions options;
  options.path = path;
  auto storage = Storage::open(options);
  ASSERT_FALSE(storage.ok());
  EXPECT_TRUE(contains(storage.error().message, path.string())) << storage.error().message;
  EXPECT_TRUE(contains(storage.error().message, "not a database")) << storage.error().message;
}

TEST_F(StorageTest, OpenRejectsUnknownSynchronous) {
  StorageOptions options;
  options.path = dir_ / "x.sqlite";
  options.synchronous = "off; DROP TABLE events";
  EXPECT_FALSE(Storage::open(options).ok());
  options.synchronous = "full";
  EXPECT_TRUE(Storage::open(options).ok());
}

TEST_F(StorageTest, FailingJobIsRolledBackAloneWithinItsBatch) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  storage->start();
  createKv(*storage);
  storage->stop();  // a fresh Storage whose queue fills before start(): one batch, for sure
  storage = openStorage();

  std::vector<Status> results(5, makeError("not called"));
  auto record = [&results](std::size_t i) { return [&results, i](Status s) { results[i] = s; }; };
  storage->submit(insertValue(1), record(0));
  storage->submit(
      [](Database& db) -> Status {
        if (Status s = insertValue(2)(db); !s) return s;
        return makeError("job 2 changed its mind");  // after writing: must be undone
      },
      record(1));
  storage->submit(
      [](Database& db) -> Status {
        if (Status s = insertValue(3)(db); !s) return s;
        return db.exec("INSERT INTO no_such_table VALUES (1)");  // SQL that fails
      },
      record(2));
  storage->submit(
      [](Database& db) -> Status {
        if (Status s = insertValue(4)(db); !s) return s;
        throw std::runtime_error("bug");  // a job must not throw, but one that does is contained
      },
      record(3));
  storage->submit(insertValue(5), record(4));
  storage->start();
  storage->flush();

  EXPECT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().message, "job 2 changed its mind");
  ASSERT_FALSE(results[2].ok());
  EXPECT_TRUE(contains(results[2].error().message, "no such table")) << results[2].error().message;
  ASSERT_FALSE(results[3].ok());
  EXPECT_TRUE(contains(results[3].error().message, "bug"));
  EXPECT_TRUE(results[4].ok());

  const StorageStats stats = storage->stats();
  EXPECT_EQ(stats.last_batch_jobs, 5u);
  EXPECT_EQ(stats.batches_committed, 1u);
  EXPECT_EQ(stats.jobs_committed, 2u);
  EXPECT_EQ(stats.jobs_failed, 3u);
  EXPECT_EQ(stats.commit_latency_count, 5u);
  EXPECT_EQ(stats.queued_jobs, 0u);
  EXPECT_EQ(values(*storage), (std::vector<std::int64_t>{1, 5}));
}

TEST_F(StorageTest, JobThatEndsTheTransactionFailsTheJobsBeforeIt) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  storage->start();
  createKv(*storage);
  storage->stop();
  storage = openStorage();

  std::vector<Status> results(3, makeError("not called"));
  auto record = [&results](std::size_t i) { return [&results, i](Status s) { results[i] = s; }; };
  storage->submit(insertValue(1), record(0));
  storage->submit([](Database& db) { return db.exec("ROLLBACK"); }, record(1));
  storage->submit(insertValue(3), record(2));
  storage->start();
  storage->flush();

  EXPECT_FALSE(results[0].ok());
  EXPECT_FALSE(results[1].ok());
  EXPECT_TRUE(results[2].ok()) << results[2].error().message;
  EXPECT_EQ(values(*storage), (std::vector<std::int64_t>{3}));
}

TEST_F(StorageTest, DoneRunsAfterCommitInSubmissionOrderOnStorageThread) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  storage->start();
  createKv(*storage);

  std::vector<int> order;
  std::vector<std::int64_t> visible;  // rows a second connection saw when done() ran
  bool all_on_storage_thread = true;
  for (int i = 1; i <= 20; ++i) {
    storage->submit(insertValue(i), [&, i](Status s) {
      EXPECT_TRUE(s.ok());
      all_on_storage_thread = all_on_storage_thread && storage->isStorageThread();
      order.push_back(i);
      visible.push_back(committedCount("kv"));
    });
  }
  storage->flush();
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i + 1);
  // Each completion already sees its own row committed, whatever the batching was.
  for (std::size_t i = 0; i < visible.size(); ++i) {
    EXPECT_GE(visible[i], static_cast<std::int64_t>(i + 1));
  }
  EXPECT_TRUE(all_on_storage_thread);
}

TEST_F(StorageTest, FlushWaitsForEveryEarlierJobFromManyThreads) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  storage->start();
  createKv(*storage);

  constexpr int kThreads = 4;
  constexpr int kJobsPerThread = 100;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int j = 0; j < kJobsPerThread; ++j) {
        storage->submit(insertValue(t * kJobsPerThread + j), [&done](Status s) {
          if (s.ok()) done.fetch_add(1);
        });
      }
      storage->flush();
      // Everything this thread submitted is done by the time its flush returns.
      EXPECT_GE(done.load(), kJobsPerThread);
    });
  }
  for (auto& th : threads) th.join();
  storage->flush();
  EXPECT_EQ(done.load(), kThreads * kJobsPerThread);
  EXPECT_EQ(committedCount("kv"), kThreads * kJobsPerThread);
  EXPECT_GE(storage->stats().jobs_committed, static_cast<std::uint64_t>(kThreads * kJobsPerThread));
}

TEST_F(StorageTest, FlushBeforeStartRunsQueuedJobsOnCaller) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  bool ran = false;
  std::thread::id ran_on;
  storage->submit([](Database& db) { return db.exec("CREATE TABLE kv (v INTEGER NOT NULL)"); },
                  [&](Status s) {
                    ran = s.ok();
                    ran_on = std::this_thread::get_id();
                  });
  storage->flush();
  EXPECT_TRUE(ran);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST_F(StorageTest, MaxBatchJobsBoundsOneCommit) {
  StorageOptions options;
  options.path = dir_ / "data" / "throng.sqlite";
  options.max_batch_jobs = 3;
  auto storage = Storage::open(options);
  ASSERT_TRUE(storage.ok());
  for (int i = 0; i < 7; ++i) storage.value()->submit([](Database&) { return Status(); });
  storage.value()->start();
  storage.value()->flush();
  EXPECT_EQ(storage.value()->stats().batches_committed, 3u);  // 3 + 3 + 1
  EXPECT_EQ(storage.value()->stats().last_batch_jobs, 1u);
}

TEST_F(StorageTest, QueueFullRejectsAtOnce) {
  StorageOptions options;
  options.path = dir_ / "data" / "throng.sqlite";
  options.max_queued_jobs = 2;
  auto storage = Storage::open(options);
  ASSERT_TRUE(storage.ok());
  Status third;
  for (int i = 0; i < 2; ++i) storage.value()->submit([](Database&) { return Status(); });
  storage.value()->submit([](Database&) { return Status(); }, [&third](Status s) { third = s; });
  ASSERT_FALSE(third.ok());  // called synchronously, before start()
  EXPECT_EQ(third.error().message, "storage queue full");
  EXPECT_EQ(storage.value()->stats().jobs_rejected, 1u);
  EXPECT_EQ(storage.value()->stats().queued_jobs, 2u);
}

TEST_F(StorageTest, RunPostsResultToExecutor) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  storage->start();
  boost::asio::io_context io;

  std::optional<Result<std::int64_t>> answer;
  std::thread::id answered_on;
  auto token = std::make_unique<int>(7);  // a move-only completion
  storage->run<std::int64_t>(
      io.get_executor(), [](Database&) -> Result<std::int64_t> { return 42; },
      [&, token = std::move(token)](Result<std::int64_t> r) {
        answer.emplace(std::move(r));
        answered_on = std::this_thread::get_id();
        EXPECT_EQ(*token, 7);
      });
  std::optional<Result<std::int64_t>> failed;
  storage->run<std::int64_t>(
      io.get_executor(), [](Database&) -> Result<std::int64_t> { return makeError("nope"); },
      [&](Result<std::int64_t> r) { failed.emplace(std::move(r)); });
  std::optional<Status> void_result;
  storage->run<void>(
      io.get_executor(), [](Database& db) { return db.exec("CREATE TABLE r (x)"); },
      [&](Status s) { void_result = std::move(s); });

  storage->flush();
  EXPECT_FALSE(answer.has_value());  // posted, not called on the storage thread
  EXPECT_EQ(io.run(), 3u);
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->ok());
  EXPECT_EQ(answer->value(), 42);
  EXPECT_EQ(answered_on, std::this_thread::get_id());
  ASSERT_TRUE(failed.has_value());
  ASSERT_FALSE(failed->ok());
  EXPECT_EQ(failed->error().message, "nope");
  ASSERT_TRUE(void_result.has_value());
  EXPECT_TRUE(void_result->ok());
}

TEST_F(StorageTest, RunWithRepositoryAcrossReopen) {
  const NewEvent spec{"launch-day", "Launch day", "We go live.", false};
  {
    auto storage = openStorage();
    ASSERT_TRUE(storage);
    storage->start();
    boost::asio::io_context io;
    std::optional<Result<std::optional<EventRecord>>> created;
    storage->run<std::optional<EventRecord>>(
        io.get_executor(), [&](Database& db) { return createEvent(db, spec, 1000); },
        [&](Result<std::optional<EventRecord>> r) { created.emplace(std::move(r)); });
    storage->flush();
    io.run();
    ASSERT_TRUE(created && created->ok());
    ASSERT_TRUE(created->value().has_value());
    storage->stop();
  }
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  storage->start();
  std::promise<Result<std::optional<EventRecord>>> found;
  auto future = found.get_future();
  storage->submit([&found](Database& db) -> Status {
    found.set_value(findEvent(db, "launch-day"));
    return {};
  });
  auto result = future.get();
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_TRUE(result.value().has_value());
  EXPECT_EQ(result.value()->title, "Launch day");
  EXPECT_EQ(result.value()->created_at_ms, 1000);
}

TEST_F(StorageTest, SubmitAfterStopReportsErrorAndStopIsIdempotent) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  storage->start();
  bool before_ran = false;
  storage->submit([](Database&) { return Status(); }, [&](Status s) { before_ran = s.ok(); });
  storage->stop();
  EXPECT_TRUE(before_ran);  // stop() flushes first
  storage->stop();

  std::optional<Status> after;
  bool job_ran = false;
  storage->submit(
      [&job_ran](Database&) {
        job_ran = true;
        return Status();
      },
      [&after](Status s) { after = std::move(s); });
  ASSERT_TRUE(after.has_value());
  ASSERT_FALSE(after->ok());
  EXPECT_EQ(after->error().message, "storage stopped");
  EXPECT_FALSE(job_ran);
  EXPECT_EQ(storage->stats().jobs_rejected, 1u);
  storage->flush();  // returns at once after stop

  boost::asio::io_context io;
  std::optional<Result<int>> ran;
  storage->run<int>(
      io.get_executor(), [](Database&) -> Result<int> { return 1; },
      [&ran](Result<int> r) { ran.emplace(std::move(r)); });
  io.run();
  ASSERT_TRUE(ran.has_value());
  EXPECT_FALSE(ran->ok());
}

TEST_F(StorageTest, StopBeforeStartRunsQueuedJobs) {
  auto storage = openStorage();
  ASSERT_TRUE(storage);
  bool ran = false;
  storage->submit([](Database&) { return Status(); }, [&ran](Status s) { ran = s.ok(); });
  storage->stop();
  EXPECT_TRUE(ran);
  storage->start();  // no effect after stop
  std::optional<Status> after;
  storage->submit([](Database&) { return Status(); }, [&after](Status s) { after = s; });
  ASSERT_TRUE(after.has_value());
  EXPECT_FALSE(after->ok());
}

}  // namespace
}  // namespace throng::store
