// The admin API: authenticated, validated, durable answers.
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

namespace throng::testing {
namespace {

class AdminApi : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    token_ = server_.adminToken();
  }
  HttpResult call(beast_http::verb method, const std::string& target, const std::string& body = "",
                  const std::string& token = "use-admin") {
    return httpRequest(server_.controlPort(), method, target, body,
                       body.empty() ? "" : "application/json",
                       token == "use-admin" ? token_ : token);
  }
  ServerProcess server_;
  std::string token_;
};

TEST_F(AdminApi, RequiresTheAdminToken) {
  auto anonymous = call(beast_http::verb::get, "/api/events", "", "");
  EXPECT_EQ(anonymous.response.result_int(), 401);
  EXPECT_EQ(anonymous.response[beast_http::field::www_authenticate],
            "Bearer realm=\"throng admin\"");
  EXPECT_EQ(call(beast_http::verb::get, "/api/events", "", token_ + "x").response.result_int(),
            401);
  // The admin API is not reachable on the public port.
  EXPECT_EQ(httpGet(server_.httpPort(), "/api/events", token_).response.result_int(), 404);
}

TEST_F(AdminApi, CreateReadUpdateRotateDelete) {
  auto created = call(beast_http::verb::post, "/api/events",
                      R"({"slug":"launch","title":"Launch party","description":"Come"})");
  ASSERT_EQ(created.response.result_int(), 201) << created.response.body();
  EXPECT_EQ(created.response[beast_http::field::location], "/api/events/launch");
  auto event = nlohmann::json::parse(created.response.body());
  const std::string key = event["stream_key"];
  EXPECT_GE(key.size(), 32u);

  EXPECT_EQ(call(beast_http::verb::post, "/api/events", R"({"slug":"launch","title":"Again"})")
                .response.result_int(),
            409);

  auto updated = call(beast_http::verb::patch, "/api/events/launch",
                      R"({"title":"Launch!","rotate_stream_key":true})");
  ASSERT_EQ(updated.response.result_int(), 200) << updated.response.body();
  auto after = nlohmann::json::parse(updated.response.body());
  EXPECT_EQ(after["title"], "Launch!");
  EXPECT_NE(after["stream_key"], key);

  auto public_view = httpGet(server_.httpPort(), "/api/public/events/launch");
  EXPECT_EQ(nlohmann::json::parse(public_view.response.body())["title"], "Launch!");

  EXPECT_EQ(call(beast_http::verb::delete_, "/api/events/launch").response.result_int(), 204);
  EXPECT_EQ(call(beast_http::verb::get, "/api/events/launch").response.result_int(), 404);
  EXPECT_EQ(call(beast_http::verb::delete_, "/api/events/launch").response.result_int(), 404);
}

TEST_F(AdminApi, BadInputIsRefusedWithTheField) {
  auto bad_slug = call(beast_http::verb::post, "/api/events", R"({"slug":"Bad Slug","title":"x"})");
  EXPECT_EQ(bad_slug.response.result_int(), 400);
  EXPECT_NE(bad_slug.response.body().find("slug"), std::string::npos);
  auto no_title = call(beast_http::verb::post, "/api/events", R"({"slug":"ok"})");
  EXPECT_EQ(no_title.response.result_int(), 400);
  EXPECT_NE(no_title.response.body().find("title"), std::string::npos);
  auto wrong_type = call(beast_http::verb::post, "/api/events", R"({"slug":1,"title":"x"})");
  EXPECT_EQ(wrong_type.response.result_int(), 400);
  auto not_json = call(beast_http::verb::post, "/api/events", "{nope");
  EXPECT_EQ(not_json.response.result_int(), 400);
  auto wrong_media = httpRequest(server_.controlPort(), beast_http::verb::post, "/api/events",
                                 "slug=x", "application/x-www-form-urlencoded", token_);
  EXPECT_EQ(wrong_media.response.result_int(), 415);
}

}  // namespace
}  // namespace throng::testing
