#include "rtc/whep_endpoint.h"

#include "base/random.h"
#include "http/router.h"
#include "rtc/dtls.h"
#include "rtc/media_stream.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"
#include "rtc/sdp_answer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace throng::rtc {

namespace {

namespace beast_http = boost::beast::http;
using http::RequestContext;
using http::Responder;
using http::StringResponse;

// How long a refused viewer should wait before trying again (RFC 9110 §10.2.3): long enough
// for a join storm to pass, short enough that nobody gives up.
constexpr const char* kRetryAfterSeconds = "5";

std::string mediaType(std::string_view header) {
  const auto semicolon = header.find(';');
  if (semicolon != std::string_view::npos) header = header.substr(0, semicolon);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  std::string type(header);
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

bool validSlug(std::string_view slug) {
  if (slug.empty() || slug.size() > 64) return false;
  return std::all_of(slug.begin(), slug.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

// "<event>" or "<event>/<token>".
struct WhepPath {
  std::string_view slug;
  std::string_view token;
  bool valid = false;
};

WhepPath splitPath(std::string_view tail) {
  WhepPath path;
  const auto slash = tail.find('/');
  path.slug = tail.substr(0, slash);
  if (slash != std::string_view::npos) path.token = tail.substr(slash + 1);
  path.valid = validSlug(path.slug) &&
               (slash == std::string_view::npos ||
                (path.token.size() == 32 &&
                 std::all_of(path.token.begin(), path.token.end(),
                             [](unsigned char c) { return std::isxdigit(c); })));
  return path;
}

void addCors(StringResponse& response) {
  // Players on other origins (an embed on the event's own site) may use the endpoint.
  response.set(beast_http::field::access_control_allow_origin, "*");
  response.set(beast_http::field::access_control_expose_headers,
               "Location, ETag, Link, Accept-Patch, Accept-Post");
}

void answer(Responder& responder, beast_http::status status, std::string body = {},
            std::string_view content_type = "text/plain; charset=utf-8") {
  StringResponse response{status, 11};
  if (!body.empty()) response.set(beast_http::field::content_type, content_type);
  response.body() = std::move(body);
  addCors(response);
  responder.send(std::move(response));
}

void fail(Responder& responder, beast_http::status status, std::string reason) {
  answer(responder, status, reason + "\n");
}

void onPost(RtcService& service, RequestContext& context, Responder responder) {
  const auto path = splitPath(context.route_tail);
  if (!path.valid || !path.token.empty()) {
    fail(responder, beast_http::status::not_found, "no such WHEP endpoint");
    return;
  }
  if (mediaType(context.request[beast_http::field::content_type]) != "application/sdp") {
    fail(responder, beast_http::status::unsupported_media_type,
         "Content-Type must be application/sdp (a WHEP offer)");
    return;
  }
  auto stream = service.findStream(path.slug);
  if (!stream) {
    fail(responder, beast_http::status::not_found,
         fmt::format("event '{}' is not live", path.slug));
    return;
  }
  switch (service.registry().reserve(stream.get())) {
    case SessionRegistry::Admission::kAdmitted:
      break;
    case SessionRegistry::Admission::kServerFull:
    case SessionRegistry::Admission::kStreamFull: {
      StringResponse response{beast_http::status::service_unavailable, 11};
      response.set(beast_http::field::content_type, "text/plain; charset=utf-8");
      response.set(beast_http::field::retry_after, kRetryAfterSeconds);
      response.body() = "the viewer limit is reached; try again shortly\n";
      addCors(response);
      responder.send(std::move(response));
      return;
    }
  }

  auto plan = std::make_unique<SessionPlan>();
  plan->token = randomHexToken(16);
  // RFC 8839 §5.4: ufrag ≥ 4 characters (24 bits of randomness), pwd ≥ 22 (128 bits).
  plan->local_ufrag = randomHexToken(4);
  plan->local_pwd = randomHexToken(16);
  plan->stream = stream;
  plan->created = std::chrono::steady_clock::now();

  AnswerParams params;
  params.ice_ufrag = plan->local_ufrag;
  params.ice_pwd = plan->local_pwd;
  params.fingerprint_sha256 = service.certificate().fingerprintSha256();
  params.candidates = service.candidates();
  params.cname = std::string(kStreamCname);
  params.session_id = std::stoull(randomHexToken(7), nullptr, 16);
  for (std::size_t i = 0; i < stream->tracks().size(); ++i) {
    const auto& description = stream->tracks()[i];
    OutgoingTrack track;
    track.kind = description.kind;
    track.codec = description.codec;
    track.clock_rate = description.clock_rate;
    track.channels = description.channels;
    track.fmtp = description.fmtp;
    track.ssrc = stream->ssrc(static_cast<int>(i));
    track.msid_stream = stream->slug();
    track.msid_track = description.kind == MediaKind::kVideo ? "video" : "audio";
    params.tracks.push_back(std::move(track));
  }
  auto result = answerViewerOffer(context.request.body(), params);
  if (auto* problem = std::get_if<OfferProblem>(&result)) {
    service.registry().release(stream.get());
    fail(responder,
         problem->kind == OfferProblemKind::kMalformed ? beast_http::status::bad_request
                                                       : beast_http::status::unprocessable_entity,
         problem->reason);
    return;
  }
  auto& viewer_answer = std::get<ViewerAnswer>(result);
  plan->remote_ufrag = viewer_answer.remote_ufrag;
  plan->remote_fingerprint = viewer_answer.remote_fingerprint;
  plan->payload_types.assign(stream->tracks().size(), -1);
  for (const auto& media : viewer_answer.media) {
    if (media.track >= 0) {
      plan->payload_types[static_cast<std::size_t>(media.track)] = media.payload_type;
    }
  }
  const std::string location =
      fmt::format("{}{}/{}", kWhepPathPrefix, path.slug, plan->token);
  const std::string etag = fmt::format("\"{}\"", plan->local_ufrag);
  service.registry().addPending(std::move(plan));

  StringResponse response{beast_http::status::created, 11};
  response.set(beast_http::field::content_type, "application/sdp");
  response.set(beast_http::field::location, location);
  response.set(beast_http::field::etag, etag);
  response.set("Accept-Patch", "application/trickle-ice-sdpfrag");
  response.body() = std::move(viewer_answer.sdp);
  addCors(response);
  responder.send(std::move(response));
}

void onDelete(RtcService& service, RequestContext& context, Responder responder) {
  const auto path = splitPath(context.route_tail);
  const auto owner = path.valid && !path.token.empty()
                         ? service.registry().find(path.slug, path.token)
                         : std::nullopt;
  if (!owner) {
    fail(responder, beast_http::status::not_found, "no such WHEP session");
    return;
  }
  if (owner->pending) {
    service.registry().cancelPending(path.token);
  } else {
    service.shard(owner->shard).postClose(std::string(path.token));
  }
  answer(responder, beast_http::status::ok);
}

void onPatch(RtcService& service, RequestContext& context, Responder responder) {
  const auto path = splitPath(context.route_tail);
  const auto owner = path.valid && !path.token.empty()
                         ? service.registry().find(path.slug, path.token)
                         : std::nullopt;
  if (!owner) {
    fail(responder, beast_http::status::not_found, "no such WHEP session");
    return;
  }
  if (mediaType(context.request[beast_http::field::content_type]) !=
      "application/trickle-ice-sdpfrag") {
    fail(responder, beast_http::status::unsupported_media_type,
         "Content-Type must be application/trickle-ice-sdpfrag (RFC 8840)");
    return;
  }
  // throng is ICE-lite (RFC 8445 §2.5): it learns the viewer's addresses from its binding
  // requests, so trickled candidates need nothing more. New credentials mean an ICE restart,
  // which throng does not do: the player starts a new session instead.
  const std::string_view body = context.request.body();
  if (body.find("a=ice-ufrag:") != std::string_view::npos ||
      body.find("a=ice-pwd:") != std::string_view::npos) {
    fail(responder, beast_http::status::unprocessable_entity,
         "ICE restart is not supported; DELETE this session and POST a new offer");
    return;
  }
  answer(responder, beast_http::status::no_content);
}

void onOptions(RtcService&, RequestContext& context, Responder responder) {
  const auto path = splitPath(context.route_tail);
  if (!path.valid) {
    fail(responder, beast_http::status::not_found, "no such WHEP endpoint");
    return;
  }
  StringResponse response{beast_http::status::no_content, 11};
  const bool endpoint = path.token.empty();
  const char* methods = endpoint ? "POST, HEAD, OPTIONS" : "PATCH, DELETE, OPTIONS";
  response.set(beast_http::field::allow, methods);
  response.set(beast_http::field::access_control_allow_methods, methods);
  response.set(beast_http::field::access_control_allow_headers,
               "Content-Type, Authorization, If-Match");
  response.set(beast_http::field::access_control_max_age, "86400");
  if (endpoint) response.set("Accept-Post", "application/sdp");
  if (!endpoint) response.set("Accept-Patch", "application/trickle-ice-sdpfrag");
  addCors(response);
  responder.send(std::move(response));
}

// GET is answered for HEAD only (the router sends HEAD to GET handlers): a player may ask
// whether the event is live before it makes an offer.
void onGet(RtcService& service, RequestContext& context, Responder responder) {
  const auto path = splitPath(context.route_tail);
  if (context.request.method() != beast_http::verb::head) {
    StringResponse response{beast_http::status::method_not_allowed, 11};
    response.set(beast_http::field::allow, path.token.empty() ? "POST, HEAD, OPTIONS"
                                                              : "PATCH, DELETE, OPTIONS");
    response.set(beast_http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "WHEP: POST an SDP offer to this URL\n";
    addCors(response);
    responder.send(std::move(response));
    return;
  }
  const bool live = path.valid && path.token.empty() && service.findStream(path.slug);
  StringResponse response{live ? beast_http::status::ok : beast_http::status::not_found, 11};
  response.set("Accept-Post", "application/sdp");
  addCors(response);
  responder.send(std::move(response));
}

}  // namespace

void addWhepRoutes(http::Router& router, RtcService& service) {
  const std::string prefix(kWhepPathPrefix);
  auto bind = [&service](void (*handler)(RtcService&, RequestContext&, Responder)) {
    return [&service, handler](RequestContext& context, Responder responder) {
      handler(service, context, std::move(responder));
    };
  };
  router.addPrefix(beast_http::verb::post, prefix, bind(onPost), "whep");
  router.addPrefix(beast_http::verb::delete_, prefix, bind(onDelete), "whep");
  router.addPrefix(beast_http::verb::patch, prefix, bind(onPatch), "whep");
  router.addPrefix(beast_http::verb::options, prefix, bind(onOptions), "whep");
  router.addPrefix(beast_http::verb::get, prefix, bind(onGet), "whep");
}

}  // namespace throng::rtc
