// GET /api/v1/rooms/{room}/moderation-log on the real binary: who may read it (the admin
// token, server admins and the room's owners and admins by HTTP Basic), what everyone else
// gets, and the query checks. Rooms cannot be moderated from outside yet, so the log read here
// is empty; the rows themselves are tested in tests/unit/store/moderation_log_test.cpp.
#include "base/base64.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/shell.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <csignal>

namespace throng::testing {
namespace {

std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + base64Encode(user + ":" + password);
}

void addUser(const std::filesystem::path& data_dir, const std::string& name,
             const std::string& password) {
  const std::string out =
      runCommand("printf '%s\\n' '" + password + "' | " + throngBinary() + " user add " + name +
                 " --password-stdin --data-dir " + data_dir.string() + " 2>&1");
  ASSERT_NE(out.find("user " + name + " added"), std::string::npos) << out;
}

void sql(const std::filesystem::path& db_path, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

ServerProcess::Options withAdmins(const std::filesystem::path& data_dir) {
  ServerProcess::Options options;
  options.data_dir = data_dir;
  options.extra_toml["xmpp.admins"] = "\"alice@localhost\"";
  return options;
}

constexpr const char* kLog = "/api/v1/rooms/launch/moderation-log";

class ModerationLogApi : public ::testing::Test {
 protected:
  // alice: server admin (xmpp.admins); carol: admin of room "launch"; bob: no rights there.
  void SetUp() override {
    const auto data_dir = dir_ / "data";
    addUser(data_dir, "alice", "alice-pw");
    addUser(data_dir, "bob", "bob-pw");
    addUser(data_dir, "carol", "carol-pw");
    {
      // The event's room is a stored room; stopping the server commits it.
      ServerProcess first(withAdmins(data_dir));
      first.start();
      auto created = httpRequest(first.controlPort(), beast_http::verb::post, "/api/events",
                                 R"({"slug":"launch","title":"Launch"})", "application/json",
                                 first.adminToken());
      ASSERT_EQ(created.response.result_int(), 201) << created.response.body();
      first.signal(SIGTERM);
      ASSERT_EQ(first.waitExit(), 0);
    }
    // An owner would grant this over XMPP (XEP-0045 §10.5); the table is what the route reads.
    sql(data_dir / "throng.db",
        "INSERT INTO room_affiliations (room, jid, affiliation, reason)"
        " VALUES ('launch', 'carol@localhost', 'admin', '')");
    server_ = std::make_unique<ServerProcess>(withAdmins(data_dir));
    server_->start();
  }

  HttpResult get(const std::string& target, const std::string& authorization) {
    return httpGetWithAuthorization(server_->controlPort(), target, authorization);
  }
  std::string bearer() { return "Bearer " + server_->adminToken(); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ModerationLogApi, AdminTokenServerAdminsAndRoomAdminsReadTheLog) {
  for (const auto& authorization :
       {bearer(), basic("alice", "alice-pw"), basic("carol", "carol-pw")}) {
    auto answer = get(kLog, authorization);
    ASSERT_EQ(answer.response.result_int(), 200) << authorization << answer.response.body();
    EXPECT_EQ(answer.response[beast_http::field::content_type], "application/json");
    const auto body = nlohmann::json::parse(answer.response.body());
    EXPECT_EQ(body["entries"], nlohmann::json::array());
    EXPECT_TRUE(body["next_before"].is_null());
  }
}

TEST_F(ModerationLogApi, EveryoneElseIsRefusedWithoutLearningWhichAccountsExist) {
  auto nothing = get(kLog, "");
  EXPECT_EQ(nothing.response.result_int(), 401);
  auto challenges = nothing.response.equal_range(beast_http::field::www_authenticate);
  std::string all;
  for (auto it = challenges.first; it != challenges.second; ++it) all += std::string(it->value());
  EXPECT_NE(all.find("Basic realm="), std::string::npos) << all;
  EXPECT_NE(all.find("Bearer realm="), std::string::npos) << all;

  auto wrong_password = get(kLog, basic("bob", "nope"));
  auto unknown_user = get(kLog, basic("mallory", "nope"));
  EXPECT_EQ(wrong_password.response.result_int(), 401);
  EXPECT_EQ(unknown_user.response.result_int(), 401);
  EXPECT_EQ(wrong_password.response.body(), unknown_user.response.body());
  EXPECT_EQ(get(kLog, "Basic !!!").response.result_int(), 401);
  EXPECT_EQ(get(kLog, "Basic " + base64Encode("no-colon")).response.result_int(), 401);
  EXPECT_EQ(get(kLog, "Bearer " + server_->adminToken() + "x").response.result_int(), 401);

  // A valid account without rights on the room: 403.
  auto bob = get(kLog, basic("bob", "bob-pw"));
  EXPECT_EQ(bob.response.result_int(), 403) << bob.response.body();
  // carol is admin of "launch" only.
  EXPECT_EQ(
      get("/api/v1/rooms/other/moderation-log", basic("carol", "carol-pw")).response.result_int(),
      403);

  // The password never reaches the log, whatever happened to the request.
  EXPECT_EQ(server_->logText().find("bob-pw"), std::string::npos);
  EXPECT_EQ(server_->logText().find("carol-pw"), std::string::npos);
}

TEST_F(ModerationLogApi, UnknownRoomsAreNamedOnlyAfterAuthentication) {
  EXPECT_EQ(get("/api/v1/rooms/nowhere/moderation-log", "").response.result_int(), 401);
  auto admin = get("/api/v1/rooms/nowhere/moderation-log", bearer());
  EXPECT_EQ(admin.response.result_int(), 404) << admin.response.body();
  EXPECT_EQ(
      get("/api/v1/rooms/nowhere/moderation-log", basic("alice", "alice-pw")).response.result_int(),
      404);
  EXPECT_EQ(get("/api/v1/rooms/launch/other", bearer()).response.result_int(), 404);
}

TEST_F(ModerationLogApi, BadQueryValuesAreRefusedWithTheReason) {
  for (const std::string query :
       {"before=abc", "before=0", "before=-3", "before=99999999999999999999"}) {
    auto answer = get(std::string(kLog) + "?" + query, bearer());
    EXPECT_EQ(answer.response.result_int(), 400) << query;
    EXPECT_NE(answer.response.body().find("before"), std::string::npos) << query;
  }
  for (const std::string query : {"limit=0", "limit=x", "limit="}) {
    auto answer = get(std::string(kLog) + "?" + query, bearer());
    EXPECT_EQ(answer.response.result_int(), 400) << query;
    EXPECT_NE(answer.response.body().find("limit"), std::string::npos) << query;
  }
  // Large limits are capped, not refused.
  EXPECT_EQ(get(std::string(kLog) + "?limit=100000&before=5", bearer()).response.result_int(), 200);
}

TEST_F(ModerationLogApi, FailedBasicAttemptsAreLimitedPerAddress) {
  int refused = 0;
  int limited = 0;
  for (int i = 0; i < 15; ++i) {
    const auto status = get(kLog, basic("bob", "guess" + std::to_string(i))).response.result_int();
    refused += status == 401;
    limited += status == 429;
  }
  EXPECT_EQ(refused, 10);  // the burst
  EXPECT_EQ(limited, 5);
  // Spent, even the right password waits; the admin token is not a guess and still works.
  EXPECT_EQ(get(kLog, basic("bob", "bob-pw")).response.result_int(), 429);
  EXPECT_EQ(get(kLog, bearer()).response.result_int(), 200);
}

}  // namespace
}  // namespace throng::testing
