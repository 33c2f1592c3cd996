#include "store/metric_samples.h"

#include "store/sqlite.h"

#include <cmath>

namespace throng::store {
namespace {

Status insertAll(Database& db, const std::vector<MetricSample>& samples) {
  auto stmt = db.cached("INSERT INTO metric_samples (ts_ms, name, value) VALUES (?, ?, ?)");
  if (!stmt) return stmt.error();
  Statement& insert = **stmt;
  for (const MetricSample& sample : samples) {
    // sqlite stores NaN as NULL, which value's NOT NULL refuses; one bad gauge must not cost
    // the whole tick, so non-finite samples are skipped (a gap in the graph is the truth).
    if (!std::isfinite(sample.value)) continue;
    insert.reset();
    for (Status s : {insert.bind(1, sample.ts_ms), insert.bind(2, sample.name),
                     insert.bind(3, sample.value)}) {
      if (!s) return s;
    }
    if (auto done = insert.step(); !done) return done.error();
  }
  return {};
}

}  // namespace

Status insertSamples(Database& db, const std::vector<MetricSample>& samples) {
  if (samples.empty()) return {};
  // A savepoint makes the insert all-or-nothing whether or not the caller is in a transaction
  // (inside a Storage job it nests in the job's savepoint; outside, it is the transaction).
  if (Status s = db.exec("SAVEPOINT insert_samples"); !s) return s;
  Status inserted = insertAll(db, samples);
  if (inserted.ok()) return db.exec("RELEASE insert_samples");
  (void)db.exec("ROLLBACK TO insert_samples");
  (void)db.exec("RELEASE insert_samples");
  return inserted;
}

Result<std::vector<MetricSample>> loadSamplesSince(Database& db, std::int64_t since_ms) {
  auto stmt = db.cached(
      "SELECT ts_ms, name, value FROM metric_samples WHERE ts_ms >= ? ORDER BY ts_ms, name");
  if (!stmt) return stmt.error();
  Statement& select = **stmt;
  ResetOnExit reset(select);
  if (Status s = select.bind(1, since_ms); !s) return s.error();
  std::vector<MetricSample> samples;
  for (;;) {
    auto row = select.step();
    if (!row) return row.error();
    if (!*row) break;
    samples.push_back(MetricSample{select.columnInt64(0), std::string(select.columnText(1)),
                                   select.columnDouble(2)});
  }
  return samples;
}

Result<std::int64_t> pruneSamplesBefore(Database& db, std::int64_t before_ms) {
  auto stmt = db.cached("DELETE FROM metric_samples WHERE ts_ms < ?");
  if (!stmt) return stmt.error();
  if (Status s = (*stmt)->bind(1, before_ms); !s) return s.error();
  if (auto done = (*stmt)->step(); !done) return done.error();
  return db.changes();
}

}  // namespace throng::store
