#include "rtc/whep_endpoint.h"

#include "base/random.h"
#include "http/router.h"
#include "rtc/dtls.h"
#include "rtc/endpoint_http.h"
#include "rtc/media_stream.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"
#include "rtc/sdp_answer.h"
#include "rtc/whep_layer.h"

#include <fmt/format.h>


namespace throng::rtc {

namespace {

namespace beast_http = boost::beast::http;
using http::RequestContext;
using http::Responder;
using http::StringResponse;

// How long a refused viewer should wait before trying again (RFC 9110 §10.2.3): long enough
// for a join storm to pass, short enough that nobody gives up.
constexpr const char* kRetryAfterSeconds = "5";

using endpoint_http::addCors;
using endpoint_http::answer;
using endpoint_http::fail;
using endpoint_http::mediaType;
using endpoint_http::splitPath;

void onPost(RtcService& service, RequestContext& context, Responder responder) {
  if (isWhepLayerPath(context.route_tail)) {
    answerWhepLayer(service, context, std::move(responder));
    return;
  }
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
  auto& viewer_answer = std::get<SdpAnswer>(result);
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
  response.set(beast_http::field::link,
               fmt::format("<{}{}>; rel=\"{}\"", location, kWhepLayerSuffix, kWhepLayerRel));
  response.body() = std::move(viewer_answer.sdp);
  addCors(response);
  responder.send(std::move(response));
}

void onDelete(RtcService& service, RequestContext& context, Responder responder) {
  if (isWhepLayerPath(context.route_tail)) {
    answerWhepLayer(service, context, std::move(responder));
    return;
  }
  const auto path = splitPath(context.route_tail);
  auto owner = path.valid && !path.token.empty()
                   ? service.registry().find(path.slug, path.token)
                   : std::nullopt;
  if (owner && owner->role != SessionRole::kViewer) owner.reset();
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
  if (isWhepLayerPath(context.route_tail)) {
    answerWhepLayer(service, context, std::move(responder));
    return;
  }
  const auto path = splitPath(context.route_tail);
  auto owner = path.valid && !path.token.empty()
                   ? service.registry().find(path.slug, path.token)
                   : std::nullopt;
  if (owner && owner->role != SessionRole::kViewer) owner.reset();
  if (!owner) {
    fail(responder, beast_http::status::not_found, "no such WHEP session");
    return;
  }
  endpoint_http::answerTrickle(context, responder);
}

void onOptions(RtcService& service, RequestContext& context, Responder responder) {
  if (isWhepLayerPath(context.route_tail)) {
    answerWhepLayer(service, context, std::move(responder));
    return;
  }
  endpoint_http::answerOptions(context, responder, "WHEP", "POST, HEAD, OPTIONS");
}

// GET is answered for HEAD only (the router sends HEAD to GET handlers): a player may ask
// whether the event is live before it makes an offer.
void onGet(RtcService& service, RequestContext& context, Responder responder) {
  if (isWhepLayerPath(context.route_tail)) {
    answerWhepLayer(service, context, std::move(responder));
    return;
  }
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
