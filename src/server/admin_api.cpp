#include "server/admin_api.h"

#include "server/event_json.h"

#include <nlohmann/json.hpp>

#include <chrono>

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
        if (!optionalString(*body, "slug", slug, responder) ||
            !optionalString(*body, "title", title, responder) ||
            !optionalString(*body, "description", description, responder)) {
          return;
        }
        store::NewEvent event{slug.value_or(""), title.value_or(""), description.value_or("")};
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
            !optionalString(*body, "description", update.description, responder)) {
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

}  // namespace throng::server
