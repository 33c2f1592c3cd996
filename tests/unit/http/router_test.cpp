// Router: exact and prefix routes, HEAD via GET, 405 with Allow, the static fallback, and the
// per-route stats the metrics endpoint walks. RouteStats counting lives here too.
#include "http/route_stats.h"
#include "http/router.h"
#include "http/websocket.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace throng::http {
namespace {

using beast_http::verb;

// A handler that records which route ran; a Responder without a sink answers nowhere.
Handler marker(std::string* ran, std::string name) {
  return [ran, name = std::move(name)](RequestContext&, Responder) { *ran = name; };
}

class RouterTest : public ::testing::Test {
 protected:
  // Finds the route and runs its handler; returns the name the handler recorded ("" when no
  // handler matched).
  std::string dispatch(verb method, std::string_view path) {
    ran_.clear();
    auto match = router_.find(method, path);
    if (match.handler == nullptr) return "";
    RequestContext context;
    context.route_tail = match.tail;
    (*match.handler)(context,
                     Responder(nullptr, match.stats, 11, true, std::chrono::steady_clock::now()));
    return ran_;
  }

  std::set<std::string> labels() const {
    std::set<std::string> out;
    router_.forEachStats([&](const RouteStats& s) { out.insert(s.label()); });
    return out;
  }

  std::string ran_;  // which handler ran last; each route's handler writes its name here
  Router router_;
};

TEST_F(RouterTest, ExactRoutesMatchOnlyTheirPath) {
  router_.add(verb::get, "/api/health", marker(&ran_, "health"));
  router_.add(verb::get, "/api/events", marker(&ran_, "events"));

  EXPECT_EQ(dispatch(verb::get, "/api/health"), "health");
  EXPECT_EQ(dispatch(verb::get, "/api/events"), "events");

  for (std::string_view miss : {"/api/health/", "/api/healthz", "/api", "/API/health", "/"}) {
    auto match = router_.find(verb::get, miss);
    EXPECT_EQ(match.handler, nullptr) << miss;
    EXPECT_TRUE(match.allow.empty()) << miss;
    ASSERT_NE(match.stats, nullptr) << miss;
    EXPECT_EQ(match.stats->label(), "unmatched") << miss;
  }
}

TEST_F(RouterTest, ExactMatchHasNoTailAndUsesThePathAsLabel) {
  router_.add(verb::get, "/api/health", marker(&ran_, "health"));
  auto match = router_.find(verb::get, "/api/health");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_TRUE(match.tail.empty());
  ASSERT_NE(match.stats, nullptr);
  EXPECT_EQ(match.stats->label(), "/api/health");
}

TEST_F(RouterTest, PrefixRoutesPassTheTail) {
  router_.addPrefix(verb::get, "/api/events/", marker(&ran_, "event"));

  auto match = router_.find(verb::get, "/api/events/42/messages");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.tail, "42/messages");
  EXPECT_EQ(match.stats->label(), "/api/events/*");
  EXPECT_EQ(dispatch(verb::get, "/api/events/42"), "event");

  auto bare = router_.find(verb::get, "/api/events/");
  ASSERT_NE(bare.handler, nullptr);
  EXPECT_EQ(bare.tail, "");

  // Without the trailing slash the prefix does not match.
  EXPECT_EQ(router_.find(verb::get, "/api/events").handler, nullptr);
  EXPECT_EQ(router_.find(verb::get, "/api/eventsx").handler, nullptr);
}

TEST_F(RouterTest, FirstRegisteredRouteWins) {
  router_.add(verb::get, "/api/events/live", marker(&ran_, "live"));
  router_.addPrefix(verb::get, "/api/events/", marker(&ran_, "event"));
  EXPECT_EQ(dispatch(verb::get, "/api/events/live"), "live");
  EXPECT_EQ(dispatch(verb::get, "/api/events/7"), "event");
}

TEST_F(RouterTest, HeadIsAnsweredByGetRoutes) {
  router_.add(verb::get, "/page", marker(&ran_, "page"));
  router_.addPrefix(verb::get, "/files/", marker(&ran_, "files"));
  EXPECT_EQ(dispatch(verb::head, "/page"), "page");
  EXPECT_EQ(dispatch(verb::head, "/files/a.txt"), "files");
  EXPECT_EQ(router_.find(verb::head, "/files/a.txt").tail, "a.txt");
}

TEST_F(RouterTest, GetIsNotAnsweredByHeadOrOtherRoutes) {
  router_.add(verb::post, "/submit", marker(&ran_, "submit"));
  auto match = router_.find(verb::get, "/submit");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "POST");
  // HEAD maps to GET only, so a POST-only path answers HEAD with 405 too.
  EXPECT_EQ(router_.find(verb::head, "/submit").allow, "POST");
}

TEST_F(RouterTest, MethodNotAllowedNamesEachMethodOnce) {
  router_.add(verb::post, "/api/x", [](RequestContext&, Responder) {});
  router_.addPrefix(verb::post, "/api/", [](RequestContext&, Responder) {});
  EXPECT_EQ(router_.find(verb::get, "/api/x").allow, "POST");
}

TEST_F(RouterTest, MethodNotAllowedListsTheMethodsInRegistrationOrder) {
  router_.add(verb::get, "/r", marker(&ran_, "get"));
  router_.add(verb::post, "/r", marker(&ran_, "post"));

  auto match = router_.find(verb::delete_, "/r");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "GET, POST");
  ASSERT_NE(match.stats, nullptr);
  EXPECT_EQ(match.stats->label(), "/r");  // a 405 is counted on the route, not "unmatched"

  // Both registered methods still dispatch, and a match clears any Allow collected so far.
  EXPECT_EQ(dispatch(verb::get, "/r"), "get");
  EXPECT_EQ(dispatch(verb::post, "/r"), "post");
  EXPECT_TRUE(router_.find(verb::post, "/r").allow.empty());
}

TEST_F(RouterTest, MethodNotAllowedOnPrefixRoutes) {
  router_.addPrefix(verb::put, "/upload/", marker(&ran_, "upload"));
  auto match = router_.find(verb::get, "/upload/a");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "PUT");
}

TEST_F(RouterTest, FallbackAnswersOnlyGetAndHead) {
  router_.add(verb::get, "/api/health", marker(&ran_, "health"));
  router_.setFallback(marker(&ran_, "static"));

  EXPECT_EQ(dispatch(verb::get, "/index.html"), "static");
  EXPECT_EQ(dispatch(verb::head, "/app.js"), "static");
  auto get = router_.find(verb::get, "/index.html");
  EXPECT_EQ(get.stats->label(), "static");
  EXPECT_TRUE(get.tail.empty());

  for (verb method : {verb::post, verb::put, verb::delete_, verb::options, verb::patch}) {
    auto match = router_.find(method, "/index.html");
    EXPECT_EQ(match.handler, nullptr) << beast_http::to_string(method);
    EXPECT_TRUE(match.allow.empty()) << beast_http::to_string(method);
    EXPECT_EQ(match.stats->label(), "unmatched") << beast_http::to_string(method);
  }
  // A real route still wins over the fallback.
  EXPECT_EQ(dispatch(verb::get, "/api/health"), "health");
}

TEST_F(RouterTest, FallbackDoesNotHideMethodNotAllowed) {
  router_.add(verb::post, "/api/login", marker(&ran_, "login"));
  router_.setFallback(marker(&ran_, "static"));
  auto match = router_.find(verb::get, "/api/login");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "POST");
}

TEST_F(RouterTest, FallbackLabelIsConfigurable) {
  router_.setFallback(marker(&ran_, "static"), "web");
  EXPECT_EQ(router_.find(verb::get, "/x").stats->label(), "web");
}

TEST_F(RouterTest, UnmatchedRequestsShareOneStats) {
  auto a = router_.find(verb::get, "/nothing");
  auto b = router_.find(verb::post, "/else");
  ASSERT_NE(a.stats, nullptr);
  EXPECT_EQ(a.stats, b.stats);
  EXPECT_EQ(a.stats->label(), "unmatched");
  EXPECT_NE(a.stats, &router_.connectionStats());
  EXPECT_EQ(router_.connectionStats().label(), "connection");
}

TEST_F(RouterTest, LabelsNameRoutesInMetrics) {
  router_.add(verb::get, "/api/health", marker(&ran_, "health"));
  router_.addPrefix(verb::get, "/api/events/", marker(&ran_, "event"), "events");
  router_.add(verb::post, "/api/events/new", marker(&ran_, "new"), "events");
  router_.setFallback(marker(&ran_, "static"));

  EXPECT_EQ(labels(), (std::set<std::string>{"unmatched", "connection", "/api/health", "events",
                                             "static"}));
  // One label, one stats object, even across methods and route kinds.
  auto prefix = router_.find(verb::get, "/api/events/1");
  auto exact = router_.find(verb::post, "/api/events/new");
  EXPECT_EQ(prefix.stats, exact.stats);
  EXPECT_EQ(prefix.stats->label(), "events");

  int seen = 0;
  router_.forEachStats([&](const RouteStats& s) { seen += s.label() == "events" ? 1 : 0; });
  EXPECT_EQ(seen, 1);
}

TEST_F(RouterTest, ForEachStatsSeesRecordedCounts) {
  router_.add(verb::get, "/api/health", marker(&ran_, "health"));
  auto match = router_.find(verb::get, "/api/health");
  match.stats->record(200, 0.001);
  router_.find(verb::get, "/missing").stats->record(404, 0.001);

  std::uint64_t health_ok = 0;
  std::uint64_t unmatched_404 = 0;
  router_.forEachStats([&](const RouteStats& s) {
    if (s.label() == "/api/health") health_ok = s.count(200);
    if (s.label() == "unmatched") unmatched_404 = s.count(404);
  });
  EXPECT_EQ(health_ok, 1u);
  EXPECT_EQ(unmatched_404, 1u);
}

TEST_F(RouterTest, StatsAddressesStayStableAsRoutesAreAdded) {
  router_.add(verb::get, "/first", marker(&ran_, "first"));
  RouteStats* first = router_.find(verb::get, "/first").stats;
  for (int i = 0; i < 200; ++i) {
    router_.add(verb::get, "/r" + std::to_string(i), marker(&ran_, "r"));
  }
  EXPECT_EQ(router_.find(verb::get, "/first").stats, first);
  EXPECT_EQ(first->label(), "/first");
}

class NullWebSocketHandler : public WebSocketHandler {
 public:
  std::unique_ptr<WebSocketListener> onWebSocketOpen(WebSocketConnection&,
                                                     const Request&) override {
    return nullptr;
  }
};

TEST_F(RouterTest, WebSocketsMatchExactPathsOnly) {
  NullWebSocketHandler chat;
  NullWebSocketHandler xmpp;
  router_.addWebSocket("/ws/chat", &chat);
  router_.addWebSocket("/xmpp-websocket", &xmpp);
  EXPECT_EQ(router_.findWebSocket("/ws/chat"), &chat);
  EXPECT_EQ(router_.findWebSocket("/xmpp-websocket"), &xmpp);
  EXPECT_EQ(router_.findWebSocket("/ws/chat/"), nullptr);
  EXPECT_EQ(router_.findWebSocket("/ws"), nullptr);
  // WebSocket endpoints are not HTTP routes.
  EXPECT_EQ(router_.find(verb::get, "/ws/chat").handler, nullptr);
}

TEST(RouteStats, CountsEachListedStatus) {
  RouteStats stats("r");
  EXPECT_EQ(stats.label(), "r");
  for (unsigned status : RouteStats::kStatuses) EXPECT_EQ(stats.count(status), 0u) << status;

  stats.record(200, 0.001);
  stats.record(200, 0.002);
  stats.record(404, 0.003);
  stats.record(101, 0.004);
  stats.record(503, 0.005);

  EXPECT_EQ(stats.count(200), 2u);
  EXPECT_EQ(stats.count(404), 1u);
  EXPECT_EQ(stats.count(101), 1u);
  EXPECT_EQ(stats.count(503), 1u);
  EXPECT_EQ(stats.count(201), 0u);
  EXPECT_EQ(stats.count(500), 0u);
  EXPECT_EQ(stats.otherCount(), 0u);
}

TEST(RouteStats, UnlistedStatusesAreOther) {
  RouteStats stats("r");
  stats.record(418, 0.01);
  stats.record(599, 0.01);
  stats.record(0, 0.01);
  EXPECT_EQ(stats.otherCount(), 3u);
  EXPECT_EQ(stats.count(0), 3u);    // status 0 asks for "other"
  EXPECT_EQ(stats.count(418), 3u);  // any unlisted status reads the shared "other" counter
  EXPECT_EQ(stats.count(200), 0u);
}

TEST(RouteStats, EveryRecordLandsInTheLatencyHistogram) {
  RouteStats stats("r");
  stats.record(200, 0.0004);  // below the first bucket (0.5 ms)
  stats.record(404, 0.3);     // 0.25 < x <= 0.5
  stats.record(418, 20.0);    // above the last bound: +Inf only
  const auto snapshot = stats.latency().snapshot();
  EXPECT_EQ(snapshot.count, 3u);
  EXPECT_NEAR(snapshot.sum, 20.3004, 1e-9);

  const auto& bounds = stats.latency().upperBounds();
  ASSERT_EQ(snapshot.buckets.size(), bounds.size() + 1);
  EXPECT_EQ(snapshot.buckets.front(), 1u);  // le=0.0005
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const std::uint64_t expected = bounds[i] < 0.3 ? 1u : 2u;
    EXPECT_EQ(snapshot.buckets[i], expected) << "le=" << bounds[i];
  }
  EXPECT_EQ(snapshot.buckets.back(), 3u);  // +Inf
}

}  // namespace
}  // namespace throng::http
