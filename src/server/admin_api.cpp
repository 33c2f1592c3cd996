#include "server/admin_api.h"

#include "proto/datetime.h"
#include "server/account_auth.h"
#include "server/event_json.h"
#include "store/moderation_log.h"
#include "store/rooms.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <memory>

namespace throng::server {

namespace beast_http = boost::beast::http;
using nlohmann::json;
using store::EventRecord;

namespace {

std::int64_t unixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Parses a JSON object body; answers 400/415 and returns nullopt when it is not one.
std::optional<json> jsonBody(http::RequestContext& context, http::Responder& responder) {
  const auto type = context.request[beast_http::field::content_type];
  if (!type.starts_with("application/json")) {
    responder.error(beast_http::status::unsupported_media_type,
                    "Content-Type must be application/json");
    return std::nullopt;
  }
  json body = json::parse(context.request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    responder.error(beast_http::status::bad_request, "body: expected a JSON object");
    return std::nullopt;
  }
  return body;
}

// Reads an optional string field; answers 400 naming it when it has another type.
bool optionalString(const json& body, const char* field, std::optional<std::string>& out,
                    http::Responder& responder) {
  auto it = body.find(field);
  if (it == body.end()) return true;
  if (!it->is_string()) {
    responder.error(beast_http::status::bad_request, std::string(field) + ": expected a string");
    return false;
  }
  out = it->get<std::string>();
  return true;
}

// Reads an optional boolean field; answers 400 naming it when it has another type.
bool optionalBool(const json& body, const char* field, std::optional<bool>& out,
                  http::Responder& responder) {
  auto it = body.find(field);
  if (it == body.end()) return true;
  if (!it->is_boolean()) {
    responder.error(beast_http::status::bad_request, std::string(field) + ": expected true or false");
    return false;
  }
  out = it->get<bool>();
  return true;
}

void storageFailed(http::Responder& responder, const Error& error) {
  responder.error(beast_http::status::internal_server_error, "storage: " + error.message);
}

}  // namespace

void addAdminApi(control::ControlPlane& control, store::Storage& storage,
                 std::function<void(const store::EventRecord&)> on_created) {
  auto& router = control.router();
  auto* plane = &control;
  auto* db = &storage;

  router.add(beast_http::verb::get, "/api/events",
             [plane, db](http::RequestContext& context, http::Responder responder) {
               if (!plane->authorize(context, responder)) return;
               auto ex = responder.executor();
               db->run<std::vector<EventRecord>>(
                   ex, [](store::Database& d) { return store::listEvents(d); },
                   [responder = std::move(responder)](
                       Result<std::vector<EventRecord>> events) mutable {
                     if (!events) return storageFailed(responder, events.error());
                     json out = json::array();
                     for (const auto& e : *events) out.push_back(adminEventJson(e));
                     responder.json(beast_http::status::ok, out.dump());
                   });
             });

  router.add(
      beast_http::verb::post, "/api/events",
      [plane, db, on_created](http::RequestContext& context, http::Responder responder) {
        if (!plane->authorize(context, responder)) return;
        auto body = jsonBody(context, responder);
        if (!body) return;
        std::optional<std::string> slug, title, description;
        std::optional<bool> allow_takeover;
        if (!optionalString(*body, "slug", slug, responder) ||
            !optionalString(*body, "title", title, responder) ||
            !optionalString(*body, "description", description, responder) ||
            !optionalBool(*body, "allow_takeover", allow_takeover, responder)) {
          return;
        }
        store::NewEvent event{slug.value_or(""), title.value_or(""), description.value_or(""),
                              allow_takeover.value_or(false)};
        if (auto valid = store::validateNewEvent(event); !valid) {
          responder.error(beast_http::status::bad_request, valid.error().message);
          return;
        }
        auto ex = responder.executor();
        const auto now = unixMillis();
        db->run<std::optional<EventRecord>>(
            ex, [event, now](store::Database& d) { return store::createEvent(d, event, now); },
            [responder = std::move(responder), slug = event.slug,
             on_created](Result<std::optional<EventRecord>> created) mutable {
              if (!created) return storageFailed(responder, created.error());
              if (!created->has_value()) {
                responder.error(beast_http::status::conflict,
                                "slug: an event named '" + slug + "' exists");
                return;
              }
              if (on_created) on_created(**created);
              auto response = http::makeTextResponse(beast_http::status::created,
                                                     adminEventJson(**created).dump(),
                                                     "application/json");
              response.set(beast_http::field::location, "/api/events/" + slug);
              responder.send(std::move(response));
            });
      });

  router.addPrefix(
      beast_http::verb::get, "/api/events/",
      [plane, db](http::RequestContext& context, http::Responder responder) {
        if (!plane->authorize(context, responder)) return;
        auto ex = responder.executor();
        db->run<std::optional<EventRecord>>(
            ex, [slug = context.route_tail](store::Database& d) { return store::findEvent(d, slug); },
            [responder = std::move(responder)](Result<std::optional<EventRecord>> found) mutable {
              answerEvent(responder, found, adminEventJson, 500);
            });
      },
      "/api/events/{slug}");

  router.addPrefix(
      beast_http::verb::patch, "/api/events/",
      [plane, db](http::RequestContext& context, http::Responder responder) {
        if (!plane->authorize(context, responder)) return;
        auto body = jsonBody(context, responder);
        if (!body) return;
        store::EventUpdate update;
        if (!optionalString(*body, "title", update.title, responder) ||
            !optionalString(*body, "description", update.description, responder) ||
            !optionalBool(*body, "allow_takeover", update.allow_takeover, responder)) {
          return;
        }
        if (auto rotate = body->find("rotate_stream_key"); rotate != body->end()) {
          if (!rotate->is_boolean()) {
            responder.error(beast_http::status::bad_request,
                            "rotate_stream_key: expected true or false");
            return;
          }
          update.rotate_stream_key = rotate->get<bool>();
        }
        if (auto valid = store::validateEventUpdate(update); !valid) {
          responder.error(beast_http::status::bad_request, valid.error().message);
          return;
        }
        auto ex = responder.executor();
        db->run<std::optional<EventRecord>>(
            ex,
            [slug = context.route_tail, update](store::Database& d) {
              return store::updateEvent(d, slug, update);
            },
            [responder = std::move(responder)](Result<std::optional<EventRecord>> updated) mutable {
              answerEvent(responder, updated, adminEventJson, 500);
            });
      },
      "/api/events/{slug}");

  router.addPrefix(
      beast_http::verb::delete_, "/api/events/",
      [plane, db](http::RequestContext& context, http::Responder responder) {
        if (!plane->authorize(context, responder)) return;
        auto ex = responder.executor();
        db->run<bool>(
            ex, [slug = context.route_tail](store::Database& d) { return store::deleteEvent(d, slug); },
            [responder = std::move(responder)](Result<bool> deleted) mutable {
              if (!deleted) return storageFailed(responder, deleted.error());
              if (!*deleted) {
                responder.error(beast_http::status::not_found, "no such event");
                return;
              }
              responder.send(http::makeTextResponse(beast_http::status::no_content, "",
                                                    "text/plain"));
            });
      },
      "/api/events/{slug}");
}

namespace {

constexpr std::string_view kModerationLogPrefix = "/api/v1/rooms/";
constexpr std::string_view kModerationLogSuffix = "/moderation-log";
// Rows per page when the request names no limit; the store caps any limit at 500.
constexpr std::size_t kDefaultModerationLogPage = 50;

// Every Basic attempt on the public port, successful or not, per client address: a panel
// refreshes the log by hand, so a burst of 20 and one a second is plenty, and an account
// holder cannot keep a worker busy with PBKDF2s.
constexpr double kPublicAttemptBurst = 20;
constexpr double kPublicAttemptsPerSecond = 1;

// A query value that must be a positive decimal int64.
std::optional<std::int64_t> positiveInteger(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value < 0) return std::nullopt;  // past INT64_MAX
  }
  if (value < 1) return std::nullopt;
  return value;
}

enum class LogOutcome { kOk, kForbidden, kNoSuchRoom };

struct LogAnswer {
  LogOutcome outcome = LogOutcome::kOk;
  store::ModerationLogPage page;
};

json moderationEntryJson(const store::ModerationLogEntry& e) {
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  return json{{"id", e.id},
              {"at", proto::formatXmppDateTime(system_clock::time_point(milliseconds(e.at_ms)))},
              {"actor", e.actor},
              {"actor_nick", e.actor_nick},
              {"action", e.action},
              {"target", e.target},
              {"reason", e.reason}};
}

// How one mount of the moderation-log route authenticates.
struct LogRouteAuth {
  // Whether the request carries the admin token; empty where the token is not accepted.
  std::function<bool(const http::RequestContext&)> admin_token;
  std::shared_ptr<AccountGate> accounts;  // Basic credentials and their limits
};

http::Handler moderationLogHandler(store::Storage& storage, LogRouteAuth auth) {
  auto* db = &storage;
  return [db, auth = std::move(auth)](http::RequestContext& context, http::Responder responder) {
    // Authentication first: nothing about rooms is said to a stranger.
    Principal principal;
    if (auth.admin_token && auth.admin_token(context)) {
      principal.server_admin = true;
    } else {
      auto account =
          auth.accounts->authenticate(context, responder, static_cast<bool>(auth.admin_token));
      if (!account) return;
      principal = std::move(*account);
    }
    std::string_view tail = context.route_tail;
    if (!tail.ends_with(kModerationLogSuffix)) {
      responder.error(beast_http::status::not_found, "no such resource");
      return;
    }
    const std::string room(tail.substr(0, tail.size() - kModerationLogSuffix.size()));
    if (room.empty() || room.find('/') != std::string::npos) {
      responder.error(beast_http::status::not_found, "no such resource");
      return;
    }
    std::optional<std::int64_t> before;
    if (auto text = context.target.param("before")) {
      before = positiveInteger(*text);
      if (!before) {
        responder.error(beast_http::status::bad_request,
                        "before: expected a positive entry id");
        return;
      }
    }
    std::size_t limit = kDefaultModerationLogPage;
    if (auto text = context.target.param("limit")) {
      const auto n = positiveInteger(*text);
      if (!n) {
        responder.error(beast_http::status::bad_request,
                        "limit: expected a positive number (at most " +
                            std::to_string(store::kMaxModerationLogPage) + " are returned)");
        return;
      }
      limit = static_cast<std::size_t>(
          std::min<std::int64_t>(*n, static_cast<std::int64_t>(store::kMaxModerationLogPage)));
    }

    auto ex = responder.executor();
    db->run<LogAnswer>(
        ex,
        [room, principal, before, limit](store::Database& d) -> Result<LogAnswer> {
          LogAnswer answer;
          if (!principal.server_admin) {
            auto affiliation = store::findRoomAffiliation(d, room, principal.jid);
            if (!affiliation) return affiliation.error();
            if (*affiliation != "owner" && *affiliation != "admin") {
              answer.outcome = LogOutcome::kForbidden;
              return answer;
            }
          }
          auto stored = store::roomExists(d, room);
          if (!stored) return stored.error();
          if (!*stored) {
            auto logged = store::hasModerationLog(d, room);
            if (!logged) return logged.error();
            if (!*logged) {
              answer.outcome = LogOutcome::kNoSuchRoom;
              return answer;
            }
          }
          auto page = store::listModerationLog(d, room, before, limit);
          if (!page) return page.error();
          answer.page = std::move(*page);
          return answer;
        },
        [responder = std::move(responder)](Result<LogAnswer> answer) mutable {
          if (!answer) return storageFailed(responder, answer.error());
          if (answer->outcome == LogOutcome::kForbidden) {
            responder.error(beast_http::status::forbidden,
                            "only the room's owners and admins may read its moderation log");
            return;
          }
          if (answer->outcome == LogOutcome::kNoSuchRoom) {
            responder.error(beast_http::status::not_found, "no such room");
            return;
          }
          json entries = json::array();
          for (const auto& e : answer->page.entries) entries.push_back(moderationEntryJson(e));
          json out{{"entries", std::move(entries)}, {"next_before", nullptr}};
          if (answer->page.next_before) out["next_before"] = *answer->page.next_before;
          responder.json(beast_http::status::ok, out.dump());
        });
  };
}

}  // namespace

void addModerationLogApi(control::ControlPlane& control, store::Storage& storage,
                         ModerationLogAccess access) {
  auto* plane = &control;
  LogRouteAuth auth;
  auth.admin_token = [plane](const http::RequestContext& context) {
    return plane->hasAdminToken(context);
  };
  auth.accounts = std::make_shared<AccountGate>(std::move(access), 0, 0);
  control.router().addPrefix(beast_http::verb::get, std::string(kModerationLogPrefix),
                             moderationLogHandler(storage, std::move(auth)),
                             "/api/v1/rooms/{room}/moderation-log");
}

void addPublicModerationLogApi(http::Router& router, store::Storage& storage,
                               ModerationLogAccess access) {
  LogRouteAuth auth;
  auth.accounts = std::make_shared<AccountGate>(std::move(access), kPublicAttemptsPerSecond,
                                                kPublicAttemptBurst);
  router.addPrefix(beast_http::verb::get, std::string(kModerationLogPrefix),
                   moderationLogHandler(storage, std::move(auth)),
                   "/api/v1/rooms/{room}/moderation-log");
}

}  // namespace throng::server
