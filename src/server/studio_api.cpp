// The studio's page route and API (see studio_api.h).
#include "server/studio_api.h"

#include "rtc/rtc_service.h"
#include "rtc/whip_endpoint.h"
#include "store/events.h"
#include "store/rooms.h"

#include <nlohmann/json.hpp>

#include <memory>

namespace throng::server {

namespace beast_http = boost::beast::http;
using nlohmann::json;

namespace {

constexpr std::string_view kStudioPagePrefix = "/studio/";
constexpr std::string_view kStudioApiPrefix = "/api/v1/events/";
constexpr std::string_view kStudioSuffix = "/studio";
constexpr std::string_view kRotateSuffix = "/studio/rotate-key";
// Every Basic attempt per client address: the page polls every 2 s, so one a second with a
// burst of 20 leaves room for a second tab, a rotation and a reload, while an account holder
// cannot keep a worker busy with PBKDF2s (one per request, about 2 ms).
constexpr double kAttemptBurst = 20;
constexpr double kAttemptsPerSecond = 1;
// RFC 9110 §7.2 allows more in Host, but a WHIP URL needs only a name or address and a port;
// anything else (or longer than a DNS name) is refused rather than echoed into a URL.
constexpr std::size_t kMaxHostBytes = 262;

bool isUrlHost(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostBytes) return false;
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

// Where OBS (or the page) sends the stream: absolute, because OBS needs the whole URL.
std::optional<std::string> whipUrl(const http::RequestContext& context,
                                   const StudioOptions& options, const std::string& slug) {
  const std::string path = std::string(rtc::kWhipPathPrefix) + slug;
  if (!options.public_url.empty()) {
    std::string base = options.public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + path;
  }
  const auto host = context.request[beast_http::field::host];
  if (!isUrlHost(host)) return std::nullopt;
  return std::string(options.tls ? "https://" : "http://") + std::string(host) + path;
}

json healthJson(const rtc::RtcService::BroadcastHealth& h) {
  return json{{"connected", h.connected},
              {"video_bitrate_bps", h.video_bitrate_bps},
              {"audio_bitrate_bps", h.audio_bitrate_bps},
              {"keyframe_interval_s", h.keyframe_interval_s},
              {"video_loss", h.video_loss},
              {"packets", h.packets},
              {"rejected", h.rejected},
              {"nacks_sent", h.nacks_sent},
              {"recovered", h.recovered},
              {"lost", h.lost},
              {"keyframe_requests", h.keyframe_requests},
              {"b_frames", h.b_frames},
              {"video_codec", h.video_codec}};
}

enum class StudioOutcome { kOk, kForbidden, kNoSuchEvent };

struct StudioAnswer {
  StudioOutcome outcome = StudioOutcome::kOk;
  store::EventRecord event;
};

// On the storage thread, in one transaction: may `principal` run the event's studio, and the
// event (its key rotated first when `rotate`). Rights are read before existence, so an account
// without them learns nothing about which events exist.
Result<StudioAnswer> studioJob(store::Database& d, const std::string& slug,
                               const Principal& principal, bool rotate) {
  StudioAnswer answer;
  if (!principal.server_admin) {
    // The event's room is named after it (ChatService::ensureEventRoom).
    auto affiliation = store::findRoomAffiliation(d, slug, principal.jid);
    if (!affiliation) return affiliation.error();
    if (*affiliation != "owner" && *affiliation != "admin") {
      answer.outcome = StudioOutcome::kForbidden;
      return answer;
    }
  }
  store::EventUpdate update;
  update.rotate_stream_key = true;
  auto found = rotate ? store::updateEvent(d, slug, update) : store::findEvent(d, slug);
  if (!found) return found.error();
  if (!found->has_value()) {
    answer.outcome = StudioOutcome::kNoSuchEvent;
    return answer;
  }
  answer.event = std::move(**found);
  return answer;
}

// Shared by the routes' handler copies on every worker.
struct StudioContext {
  StudioContext(store::Storage& s, const rtc::RtcService& r, StudioOptions o, AccountAccess a)
      : storage(&s), rtc(&r), options(std::move(o)),
        gate(std::move(a), kAttemptsPerSecond, kAttemptBurst) {}

  store::Storage* storage;     // non-owning
  const rtc::RtcService* rtc;  // non-owning
  const StudioOptions options;
  AccountGate gate;
};

void serveStudio(const std::shared_ptr<StudioContext>& studio, http::RequestContext& context,
                 http::Responder responder, bool rotate) {
  // Authentication first: nothing about events is said to a stranger.
  auto principal = studio->gate.authenticate(context, responder);
  if (!principal) return;
  const std::string_view tail = context.route_tail;
  const auto suffix = rotate ? kRotateSuffix : kStudioSuffix;
  const std::string slug(tail.substr(0, tail.size() - std::min(tail.size(), suffix.size())));
  if (!tail.ends_with(suffix) || !store::isValidSlug(slug)) {
    responder.error(beast_http::status::not_found, "no such resource");
    return;
  }
  auto url = whipUrl(context, studio->options, slug);
  if (!url) {
    responder.error(beast_http::status::bad_request, "Host: expected a host name and port");
    return;
  }
  auto ex = responder.executor();
  studio->storage->run<StudioAnswer>(
      ex,
      [slug, principal = std::move(*principal), rotate](store::Database& d) {
        return studioJob(d, slug, principal, rotate);
      },
      [responder = std::move(responder), studio, url = std::move(*url)](
          Result<StudioAnswer> answer) mutable {
        if (!answer) {
          responder.error(beast_http::status::service_unavailable, "storage unavailable");
          return;
        }
        if (answer->outcome == StudioOutcome::kForbidden) {
          responder.error(beast_http::status::forbidden,
                          "only the owners and admins of the event's room may open its studio");
          return;
        }
        if (answer->outcome == StudioOutcome::kNoSuchEvent) {
          responder.error(beast_http::status::not_found, "no such event");
          return;
        }
        const auto& event = answer->event;
        const auto stream = studio->rtc->findStream(event.slug);
        const auto health = studio->rtc->broadcastHealth(event.slug);
        json out{{"event", event.slug},
                 {"title", event.title},
                 {"whip_url", url},
                 {"stream_key", event.stream_key},
                 {"allow_takeover", event.allow_takeover},
                 {"live", stream && stream->live()},
                 {"viewers", stream ? stream->viewers() : 0},
                 {"health", health ? healthJson(*health) : json(nullptr)}};
        auto response =
            http::makeTextResponse(beast_http::status::ok, out.dump(), "application/json");
        // The key is a secret: no cache, shared or private, keeps it (RFC 9111 §5.2.2.5).
        response.set(beast_http::field::cache_control, "no-store");
        responder.send(std::move(response));
      });
}

}  // namespace

void addStudio(http::Router& router, const http::StaticFiles& files, store::Storage& storage,
               const rtc::RtcService& rtc, AccountAccess access, StudioOptions options) {
  router.addPrefix(
      beast_http::verb::get, std::string(kStudioPagePrefix),
      [&files](http::RequestContext& context, http::Responder responder) {
        if (!store::isValidSlug(context.route_tail)) {
          responder.error(beast_http::status::not_found, "no such event");
          return;
        }
        files.serveFile(context, std::move(responder), "studio.html");
      },
      "/studio/{slug}");

  auto studio =
      std::make_shared<StudioContext>(storage, rtc, std::move(options), std::move(access));
  router.addPrefix(
      beast_http::verb::get, std::string(kStudioApiPrefix),
      [studio](http::RequestContext& context, http::Responder responder) {
        serveStudio(studio, context, std::move(responder), /*rotate=*/false);
      },
      "/api/v1/events/{slug}/studio");
  router.addPrefix(
      beast_http::verb::post, std::string(kStudioApiPrefix),
      [studio](http::RequestContext& context, http::Responder responder) {
        serveStudio(studio, context, std::move(responder), /*rotate=*/true);
      },
      "/api/v1/events/{slug}/studio/rotate-key");
}

}  // namespace throng::server
