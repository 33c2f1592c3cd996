#include "server/public_api.h"

#include "net/worker.h"
#include "rtc/rtc_service.h"
#include "server/event_json.h"

#include <fmt/format.h>

#include <chrono>
#include <charconv>

namespace throng::server {

namespace beast_http = boost::beast::http;
using nlohmann::json;
using store::EventRecord;

void addPublicApi(http::Router& router, store::Storage& storage, PublicChatInfo chat,
                  const rtc::RtcService* rtc) {
  auto* db = &storage;
  router.add(beast_http::verb::get, "/api/public/events",
             [db](http::RequestContext&, http::Responder responder) {
               auto ex = responder.executor();
               db->run<std::vector<EventRecord>>(
                   ex, [](store::Database& d) { return store::listEvents(d); },
                   [responder = std::move(responder)](
                       Result<std::vector<EventRecord>> events) mutable {
                     if (!events) {
                       responder.error(beast_http::status::service_unavailable,
                                       "storage unavailable");
                       return;
                     }
                     json out = json::array();
                     for (const auto& e : *events) out.push_back(publicEventJson(e));
                     responder.json(beast_http::status::ok, out.dump());
                   });
             });
  router.addPrefix(
      beast_http::verb::get, "/api/public/events/",
      [db, chat, rtc](http::RequestContext& context, http::Responder responder) {
        if (!store::isValidSlug(context.route_tail)) {
          responder.error(beast_http::status::not_found, "no such event");
          return;
        }
        auto ex = responder.executor();
        db->run<std::optional<EventRecord>>(
            ex, [slug = context.route_tail](store::Database& d) { return store::findEvent(d, slug); },
            [responder = std::move(responder), chat,
             rtc](Result<std::optional<EventRecord>> found) mutable {
              if (!found || !found->has_value()) {
                answerEvent(responder, found, publicEventJson, 503);
                return;
              }
              const auto& event = **found;
              auto out = publicEventJson(event);
              out["chat"] = {{"websocket_path", chat.websocket_path},
                             {"anonymous_domain", chat.anonymous_domain},
                             {"domain", chat.domain},
                             {"room", event.slug + "@" + chat.muc_domain}};
              out["whep_path"] = "/whep/" + event.slug;
              out["whip_path"] = "/whip/" + event.slug;
              const auto stream = rtc ? rtc->findStream(event.slug) : nullptr;
              out["live"] = stream && stream->live();
              out["viewers"] = stream ? stream->viewers() : 0;
              responder.json(beast_http::status::ok, out.dump());
            });
      },
      "/api/public/events/{slug}");
}

void addWatchPageRoute(http::Router& router, const http::StaticFiles& files) {
  router.addPrefix(
      beast_http::verb::get, "/live/",
      [&files](http::RequestContext& context, http::Responder responder) {
        if (!store::isValidSlug(context.route_tail)) {
          responder.error(beast_http::status::not_found, "no such event");
          return;
        }
        files.serveFile(context, std::move(responder), "live.html");
      },
      "/live/{slug}");
}

void addModeratePageRoute(http::Router& router, const http::StaticFiles& files) {
  router.addPrefix(
      beast_http::verb::get, "/moderate/",
      [&files](http::RequestContext& context, http::Responder responder) {
        if (!store::isValidSlug(context.route_tail)) {
          responder.error(beast_http::status::not_found, "no such event");
          return;
        }
        files.serveFile(context, std::move(responder), "moderate.html");
      },
      "/moderate/{slug}");
}

void addBusyRoute(http::Router& router) {
  router.add(beast_http::verb::get, "/debug/busy",
             [](http::RequestContext& context, http::Responder responder) {
               int ms = 100;
               if (auto text = context.target.param("ms")) {
                 auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
                 if (ec != std::errc() || ptr != text->data() + text->size() || ms < 0 ||
                     ms > 10000) {
                   responder.error(beast_http::status::bad_request,
                                   "ms: expected an integer from 0 to 10000");
                   return;
                 }
               }
               // Spin, not sleep: the point is a worker at 100% CPU.
               const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
               std::uint64_t spins = 0;
               while (std::chrono::steady_clock::now() < until) ++spins;
               const auto* worker = net::Worker::current();
               responder.text(beast_http::status::ok,
                              fmt::format("busy {} ms on worker {} ({} spins)\n", ms,
                                          worker ? worker->id() : -1, spins));
             });
}

}  // namespace throng::server
