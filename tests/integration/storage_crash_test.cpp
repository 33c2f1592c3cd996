// Every acknowledged write survives a SIGKILL in the middle of writing, and the database
// opens cleanly afterwards.
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <set>
#include <thread>

namespace throng::testing {
namespace {

TEST(StorageCrash, AcknowledgedWritesSurviveSigkill) {
  ServerProcess server;
  server.start();
  const auto token = server.adminToken();
  const auto port = server.controlPort();

  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> attempts{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 2000 && !stop; ++i) {
        const std::string slug = "e-" + std::to_string(w) + "-" + std::to_string(i);
        ++attempts;
        try {
          auto res = httpRequest(port, beast_http::verb::post, "/api/events",
                                 nlohmann::json{{"slug", slug}, {"title", "Event " + slug}}.dump(),
                                 "application/json", token);
          if (res.response.result_int() == 201) {
            std::lock_guard lock(mutex);
            acknowledged.insert(slug);
          }
        } catch (const std::exception&) {
          return;  // the server is gone
        }
      }
    });
  }
  // Kill once a few hundred writes are acknowledged, while the writers keep going.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex);
      if (acknowledged.size() >= 300) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server.signal(SIGKILL);
  EXPECT_EQ(server.waitExit(), 128 + SIGKILL);
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_GE(acknowledged.size(), 300u);
  std::printf("acknowledged %zu of %d attempted writes before SIGKILL\n", acknowledged.size(),
              attempts.load());

  // The database opens cleanly: integrity check passes with the WAL as it was left.
  const auto db_path = server.dataDir() / "throng.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "ok");
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  // Restarted on the same data, the server has every acknowledged event.
  ServerProcess::Options options;
  options.data_dir = server.dataDir();
  ServerProcess restarted(options);
  restarted.start();
  auto list = httpGet(restarted.controlPort(), "/api/events", restarted.adminToken());
  ASSERT_EQ(list.response.result_int(), 200);
  std::set<std::string> present;
  for (const auto& event : nlohmann::json::parse(list.response.body())) {
    present.insert(event["slug"].get<std::string>());
  }
  std::size_t missing = 0;
  for (const auto& slug : acknowledged) missing += present.count(slug) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0u);
}

}  // namespace
}  // namespace throng::testing
