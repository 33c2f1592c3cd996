// The studio API on the real binary's public port (GET /api/v1/events/{event}/studio and POST
// .../studio/rotate-key): who may read the stream key (server admins, the event room's owners
// and admins, by HTTP Basic with their account), what everyone else gets, the WHIP URL built
// from the request's Host (or server.public_url), and a rotation that WHIP honours at once.
// The page that calls it is tested in a browser by tests/clients/studio/studio_browser.mjs.
#include "base/base64.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/shell.h"

#include <boost/beast/core.hpp>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <csignal>

namespace throng::testing {
namespace {

namespace beast = boost::beast;

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

// One request with any Authorization and Host (the shared client fixes Host to 127.0.0.1).
HttpResult request(std::uint16_t port, beast_http::verb method, const std::string& target,
                   const std::string& authorization, const std::string& host = "",
                   const std::string& body = "", const std::string& content_type = "") {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(5));
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  beast_http::request<beast_http::string_body> req{method, target, 11};
  req.set(beast_http::field::host, host.empty() ? "127.0.0.1:" + std::to_string(port) : host);
  if (!authorization.empty()) req.set(beast_http::field::authorization, authorization);
  if (!content_type.empty()) req.set(beast_http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  beast_http::write(stream, req);
  beast::flat_buffer buffer;
  HttpResult result;
  beast_http::read(stream, buffer, result.response);
  return result;
}

constexpr const char* kStudio = "/api/v1/events/launch/studio";
constexpr const char* kRotate = "/api/v1/events/launch/studio/rotate-key";

class StudioApi : public ::testing::Test {
 protected:
  // alice: server admin (xmpp.admins); carol: owner of the event's room; dave: its admin;
  // erin: a member; bob: no affiliation.
  void SetUp() override {
    const auto data_dir = dir_ / "data";
    for (const auto* name : {"alice", "bob", "carol", "dave", "erin"}) {
      addUser(data_dir, name, std::string(name) + "-pw");
    }
    {
      ServerProcess first(options(data_dir));
      first.start();
      for (const auto* slug : {"launch", "other"}) {
        auto created = httpRequest(first.controlPort(), beast_http::verb::post, "/api/events",
                                   std::string(R"({"slug":")") + slug + R"(","title":"T"})",
                                   "application/json", first.adminToken());
        ASSERT_EQ(created.response.result_int(), 201) << created.response.body();
      }
      first.signal(SIGTERM);
      ASSERT_EQ(first.waitExit(), 0);
    }
    // Owners grant these over XMPP (XEP-0045 §10.3, §10.5); the table is what the route reads.
    sql(data_dir / "throng.db",
        "INSERT INTO room_affiliations (room, jid, affiliation, reason) VALUES"
        " ('launch', 'carol@localhost', 'owner', ''),"
        " ('launch', 'dave@localhost', 'admin', ''),"
        " ('launch', 'erin@localhost', 'member', '')");
    server_ = std::make_unique<ServerProcess>(options(data_dir));
    server_->start();
  }

  virtual ServerProcess::Options options(const std::filesystem::path& data_dir) {
    ServerProcess::Options options;
    options.data_dir = data_dir;
    options.extra_toml["xmpp.admins"] = "\"alice@localhost\"";
    return options;
  }

  HttpResult get(const std::string& target, const std::string& authorization,
                 const std::string& host = "") {
    return request(server_->httpPort(), beast_http::verb::get, target, authorization, host);
  }
  HttpResult post(const std::string& target, const std::string& authorization) {
    return request(server_->httpPort(), beast_http::verb::post, target, authorization);
  }
  std::string adminKey(const std::string& slug = "launch") {
    auto event = httpGet(server_->controlPort(), "/api/events/" + slug, server_->adminToken());
    return nlohmann::json::parse(event.response.body())["stream_key"].get<std::string>();
  }
  int whipPost(const std::string& key) {
    // A key that passes gets to the offer, which is malformed here: 400, not 401.
    const std::string offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    return request(server_->httpPort(), beast_http::verb::post, "/whip/launch", "Bearer " + key,
                   "", offer, "application/sdp")
        .response.result_int();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(StudioApi, ServerAdminsOwnersAndAdminsSeeTheKeyAndTheWhipUrl) {
  const auto key = adminKey();
  const auto url = "http://127.0.0.1:" + std::to_string(server_->httpPort()) + "/whip/launch";
  for (const auto* name : {"alice", "carol", "dave"}) {
    auto answer = get(kStudio, basic(name, std::string(name) + "-pw"));
    ASSERT_EQ(answer.response.result_int(), 200) << name << answer.response.body();
    EXPECT_EQ(answer.response[beast_http::field::content_type], "application/json");
    EXPECT_EQ(answer.response[beast_http::field::cache_control], "no-store");
    const auto body = nlohmann::json::parse(answer.response.body());
    EXPECT_EQ(body["stream_key"], key) << name;
    EXPECT_EQ(body["whip_url"], url);
    EXPECT_EQ(body["event"], "launch");
    EXPECT_EQ(body["live"], false);
    EXPECT_EQ(body["viewers"], 0);
    EXPECT_TRUE(body["health"].is_null());
  }
  // The WHIP URL follows the address the browser used.
  auto named = get(kStudio, basic("carol", "carol-pw"), "studio.example:8443");
  ASSERT_EQ(named.response.result_int(), 200);
  EXPECT_EQ(nlohmann::json::parse(named.response.body())["whip_url"],
            "http://studio.example:8443/whip/launch");
  auto v6 = get(kStudio, basic("carol", "carol-pw"), "[::1]:8080");
  EXPECT_EQ(nlohmann::json::parse(v6.response.body())["whip_url"], "http://[::1]:8080/whip/launch");
  EXPECT_EQ(get(kStudio, basic("carol", "carol-pw"), "evil/path?x").response.result_int(), 400);
}

TEST_F(StudioApi, EveryoneElseIsRefused) {
  auto nothing = get(kStudio, "");
  EXPECT_EQ(nothing.response.result_int(), 401);
  auto challenges = nothing.response.equal_range(beast_http::field::www_authenticate);
  std::string all;
  for (auto it = challenges.first; it != challenges.second; ++it) all += std::string(it->value());
  EXPECT_NE(all.find("Basic realm="), std::string::npos) << all;
  EXPECT_EQ(all.find("Bearer"), std::string::npos) << "the admin token is not taken here: " << all;
  EXPECT_EQ(get(kStudio, "Bearer " + server_->adminToken()).response.result_int(), 401);

  auto wrong_password = get(kStudio, basic("carol", "nope"));
  auto unknown_user = get(kStudio, basic("mallory", "nope"));
  EXPECT_EQ(wrong_password.response.result_int(), 401);
  EXPECT_EQ(unknown_user.response.result_int(), 401);
  EXPECT_EQ(wrong_password.response.body(), unknown_user.response.body());
  EXPECT_EQ(get(kStudio, "Basic " + base64Encode("no-colon")).response.result_int(), 401);
  // Anonymous users have no password: their JIDs are no accounts.
  EXPECT_EQ(get(kStudio, basic("anon.localhost", "")).response.result_int(), 401);

  // Valid accounts without rights: 403, and nothing about the key.
  for (const auto* name : {"bob", "erin"}) {
    auto refused = get(kStudio, basic(name, std::string(name) + "-pw"));
    EXPECT_EQ(refused.response.result_int(), 403) << name;
    EXPECT_EQ(refused.response.body().find(adminKey()), std::string::npos);
    EXPECT_EQ(post(kRotate, basic(name, std::string(name) + "-pw")).response.result_int(), 403);
  }
  // carol owns "launch" only; an event that does not exist is named only to a server admin.
  EXPECT_EQ(get("/api/v1/events/other/studio", basic("carol", "carol-pw")).response.result_int(),
            403);
  EXPECT_EQ(get("/api/v1/events/other/studio", basic("alice", "alice-pw")).response.result_int(),
            200);
  EXPECT_EQ(get("/api/v1/events/nowhere/studio", basic("carol", "carol-pw")).response.result_int(),
            403);
  EXPECT_EQ(get("/api/v1/events/nowhere/studio", basic("alice", "alice-pw")).response.result_int(),
            404);
  EXPECT_EQ(get("/api/v1/events/nowhere/studio", "").response.result_int(), 401);
  // Paths that are not the studio's.
  for (const auto* path : {"/api/v1/events/launch", "/api/v1/events/launch/other",
                           "/api/v1/events/Bad_Slug/studio", "/api/v1/events//studio",
                           "/api/v1/events/launch/studio/rotate-key"}) {
    EXPECT_EQ(get(path, basic("alice", "alice-pw")).response.result_int(), 404) << path;
  }
  EXPECT_EQ(post(kStudio, basic("alice", "alice-pw")).response.result_int(), 404);

  for (const auto* secret : {"carol-pw", "bob-pw", "erin-pw", "alice-pw"}) {
    EXPECT_EQ(server_->logText().find(secret), std::string::npos) << secret;
  }
}

TEST_F(StudioApi, RotationTakesEffectAtOnceAndOnlyForTheEvent) {
  const auto old_key = adminKey();
  const auto other_key = adminKey("other");
  EXPECT_EQ(whipPost(old_key), 400) << "the current key passes (and the offer is refused)";

  auto rotated = post(kRotate, basic("carol", "carol-pw"));
  ASSERT_EQ(rotated.response.result_int(), 200) << rotated.response.body();
  EXPECT_EQ(rotated.response[beast_http::field::cache_control], "no-store");
  const auto body = nlohmann::json::parse(rotated.response.body());
  const auto new_key = body["stream_key"].get<std::string>();
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(new_key.size(), old_key.size());
  EXPECT_EQ(body["whip_url"],
            "http://127.0.0.1:" + std::to_string(server_->httpPort()) + "/whip/launch");
  EXPECT_EQ(adminKey(), new_key) << "stored";
  EXPECT_EQ(adminKey("other"), other_key) << "another event keeps its key";
  EXPECT_EQ(nlohmann::json::parse(get(kStudio, basic("dave", "dave-pw")).response.body())
                ["stream_key"],
            new_key);

  EXPECT_EQ(whipPost(old_key), 401) << "the old key is refused at once";
  EXPECT_EQ(whipPost(new_key), 400);

  // Neither key reaches the log.
  EXPECT_EQ(server_->logText().find(old_key), std::string::npos);
  EXPECT_EQ(server_->logText().find(new_key), std::string::npos);
}

TEST_F(StudioApi, FailedLoginsAreLimitedPerAddress) {
  int refused = 0;
  int limited = 0;
  for (int i = 0; i < 14; ++i) {
    const auto status =
        get(kStudio, basic("carol", "guess" + std::to_string(i))).response.result_int();
    refused += status == 401;
    limited += status == 429;
  }
  EXPECT_EQ(refused, 10);  // the burst
  EXPECT_EQ(limited, 4);
  auto spent = get(kStudio, basic("carol", "carol-pw"));
  EXPECT_EQ(spent.response.result_int(), 429) << "spent: even the right password waits";
  EXPECT_EQ(spent.response[beast_http::field::retry_after], "60");
}

// Behind a reverse proxy, server.public_url names the address OBS must use.
class StudioApiBehindProxy : public StudioApi {
 protected:
  ServerProcess::Options options(const std::filesystem::path& data_dir) override {
    auto options = StudioApi::options(data_dir);
    options.extra_toml["server.public_url"] = "\"https://live.example.org/\"";
    return options;
  }
};

TEST_F(StudioApiBehindProxy, TheWhipUrlIsOnThePublicUrl) {
  auto answer = get(kStudio, basic("carol", "carol-pw"));
  ASSERT_EQ(answer.response.result_int(), 200) << answer.response.body();
  EXPECT_EQ(nlohmann::json::parse(answer.response.body())["whip_url"],
            "https://live.example.org/whip/launch");
}

}  // namespace
}  // namespace throng::testing
