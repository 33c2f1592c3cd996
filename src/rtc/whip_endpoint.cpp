#include "rtc/whip_endpoint.h"

#include "base/per_address_limiter.h"
#include "base/random.h"
#include "http/router.h"
#include "rtc/dtls.h"
#include "rtc/endpoint_http.h"
#include "rtc/h264_profile.h"
#include "rtc/media_stream.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"
#include "rtc/sdp_answer.h"
#include "rtc/sdp_text.h"

#include <boost/beast/core/string.hpp>
#include <fmt/format.h>

#include <memory>

namespace throng::rtc {

namespace {

namespace beast_http = boost::beast::http;
using endpoint_http::addCors;
using endpoint_http::answer;
using endpoint_http::fail;
using endpoint_http::mediaType;
using endpoint_http::splitPath;
using http::RequestContext;
using http::Responder;
using http::StringResponse;
using sdp_text::iequals;

// Wrong keys per client address: a burst of 10, then one every 6 s (a key has 128 bits; this
// only stops a client from making us look keys up for it all day).
constexpr double kFailedKeyBurst = 10;
constexpr double kFailedKeysPerSecond = 1.0 / 6;

// The tracks throng takes from a publisher, in preference order within each kind: the codec
// the event's stream already has (so its viewers keep watching without reconnecting), then
// VP8 (every browser decodes it), then H.264 (OBS sends nothing else).
std::vector<OutgoingTrack> acceptedTracks(const MediaStream* current) {
  std::vector<OutgoingTrack> tracks;
  auto add = [&](MediaKind kind, std::string codec, std::uint32_t clock_rate, int channels) {
    for (const auto& t : tracks) {
      if (t.kind == kind && iequals(t.codec, codec)) return;
    }
    OutgoingTrack track;
    track.kind = kind;
    track.codec = std::move(codec);
    track.clock_rate = clock_rate;
    track.channels = channels;
    tracks.push_back(std::move(track));
  };
  if (current) {
    for (const auto& t : current->tracks()) add(t.kind, t.codec, t.clock_rate, t.channels);
  }
  add(MediaKind::kVideo, "VP8", 90000, 1);
  add(MediaKind::kVideo, "H264", 90000, 1);
  add(MediaKind::kAudio, "opus", 48000, 2);  // RFC 7587 §7: always opus/48000/2 in SDP
  return tracks;
}

// The publisher's tracks can go on in `stream`: each has a track there of the same kind and
// codec (for H.264, the same profile, which the viewers' answers named).
bool fitsStream(const std::vector<TrackDescription>& published, const MediaStream& stream) {
  for (const auto& p : published) {
    bool found = false;
    for (const auto& t : stream.tracks()) {
      if (t.kind != p.kind || !iequals(t.codec, p.codec)) continue;
      if (iequals(p.codec, "H264") && h264ProfileOfFmtp(p.fmtp) != h264ProfileOfFmtp(t.fmtp)) {
        continue;
      }
      found = true;
    }
    if (!found) return false;
  }
  return true;
}

std::optional<std::string> bearerToken(std::string_view header) {
  static constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() ||
      !boost::beast::iequals(header.substr(0, kBearer.size()), kBearer)) {
    return std::nullopt;
  }
  header.remove_prefix(kBearer.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty() || header.size() > 256) return std::nullopt;
  return std::string(header);
}

void unauthorized(Responder& responder, std::string reason) {
  StringResponse response{beast_http::status::unauthorized, 11};
  response.set(beast_http::field::www_authenticate, "Bearer realm=\"throng\"");
  response.set(beast_http::field::content_type, "text/plain; charset=utf-8");
  response.body() = std::move(reason) + "\n";
  addCors(response);
  responder.send(std::move(response));
}

struct WhipContext {
  WhipContext(RtcService& s, IngestAuthorizer a) : service(s), authorize(std::move(a)) {}
  RtcService& service;
  IngestAuthorizer authorize;
  PerAddressLimiter failed{kFailedKeysPerSecond, kFailedKeyBurst};
};

// After the key checked out: negotiate, reserve the event, and leave the plan for a worker.
void admitPublisher(WhipContext& whip, std::string slug, const std::string& offer,
                    bool allow_takeover, Responder& responder) {
  auto& service = whip.service;
  auto current = service.findStream(slug);
  auto plan = std::make_unique<SessionPlan>();
  plan->role = SessionRole::kPublisher;
  plan->token = randomHexToken(16);
  // RFC 8839 §5.4: ufrag ≥ 4 characters (24 bits of randomness), pwd ≥ 22 (128 bits).
  plan->local_ufrag = randomHexToken(4);
  plan->local_pwd = randomHexToken(16);
  plan->created = std::chrono::steady_clock::now();

  AnswerParams params;
  params.ice_ufrag = plan->local_ufrag;
  params.ice_pwd = plan->local_pwd;
  params.fingerprint_sha256 = service.certificate().fingerprintSha256();
  params.candidates = service.candidates();
  params.cname = std::string(kStreamCname);
  params.session_id = std::stoull(randomHexToken(7), nullptr, 16);
  params.tracks = acceptedTracks(current.get());
  auto result = answerPublisherOffer(offer, params);
  if (auto* problem = std::get_if<OfferProblem>(&result)) {
    fail(responder,
         problem->kind == OfferProblemKind::kMalformed ? beast_http::status::bad_request
                                                       : beast_http::status::unprocessable_entity,
         problem->reason);
    return;
  }
  auto& negotiated = std::get<SdpAnswer>(result);

  // What the publisher will send, one track per kind, video first.
  std::vector<TrackDescription> published;
  std::vector<int> published_pt;
  for (MediaKind kind : {MediaKind::kVideo, MediaKind::kAudio}) {
    for (const auto& media : negotiated.media) {
      if (media.track < 0 || media.kind != kind) continue;
      const auto& accepted = params.tracks[static_cast<std::size_t>(media.track)];
      TrackDescription track;
      track.kind = kind;
      track.codec = accepted.codec;
      track.clock_rate = accepted.clock_rate;
      track.channels = accepted.channels;
      track.fmtp = kind == MediaKind::kAudio ? "minptime=10;useinbandfec=1" : media.fmtp;
      published.push_back(std::move(track));
      published_pt.push_back(media.payload_type);
      if (kind == MediaKind::kVideo) {
        plan->nack = media.nack;
        plan->pli = media.pli;
        plan->fir = media.fir;
        plan->remb = media.remb;
        plan->rids = media.rids;
        plan->rid_extension = media.rid_extension;
      }
    }
  }
  // The event's stream if the codecs fit (its viewers stay); otherwise a new stream, which
  // replaces it when this publisher connects.
  std::shared_ptr<MediaStream> stream =
      current && fitsStream(published, *current) ? current : service.newStream(slug, published);
  plan->payload_types.assign(stream->tracks().size(), -1);
  for (std::size_t p = 0; p < published.size(); ++p) {
    for (std::size_t t = 0; t < stream->tracks().size(); ++t) {
      if (stream->tracks()[t].kind == published[p].kind) plan->payload_types[t] = published_pt[p];
    }
  }
  plan->stream = stream;
  plan->remote_ufrag = negotiated.remote_ufrag;
  plan->remote_fingerprint = negotiated.remote_fingerprint;

  const std::string token = plan->token;
  const std::string location = fmt::format("{}{}/{}", kWhipPathPrefix, slug, token);
  const std::string etag = fmt::format("\"{}\"", plan->local_ufrag);
  // Registered before the event is taken: beginBroadcast counts a holder the registry does not
  // know as gone, so a second POST on another worker, between the two, would be let in too.
  service.registry().addPending(std::move(plan));
  if (service.beginBroadcast(slug, token, allow_takeover) ==
      RtcService::BroadcastAdmission::kBusy) {
    service.registry().cancelPending(token);
    fail(responder, beast_http::status::conflict,
         fmt::format("event '{}' already has a live publisher; end it first (DELETE its WHIP "
                     "resource) or allow takeover for the event",
                     slug));
    return;
  }

  StringResponse response{beast_http::status::created, 11};
  response.set(beast_http::field::content_type, "application/sdp");
  response.set(beast_http::field::location, location);
  response.set(beast_http::field::etag, etag);
  response.set("Accept-Patch", "application/trickle-ice-sdpfrag");
  response.body() = std::move(negotiated.sdp);
  addCors(response);
  responder.send(std::move(response));
}

void onPost(const std::shared_ptr<WhipContext>& whip, RequestContext& context,
            Responder responder) {
  const auto path = splitPath(context.route_tail);
  if (!path.valid || !path.token.empty()) {
    fail(responder, beast_http::status::not_found, "no such WHIP endpoint");
    return;
  }
  const std::string address = context.remote.to_string();
  const auto now = std::chrono::steady_clock::now();
  if (!whip->failed.allowed(address, now)) {
    StringResponse response{beast_http::status::too_many_requests, 11};
    response.set(beast_http::field::retry_after, "6");
    response.set(beast_http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "too many wrong stream keys from this address; try again later\n";
    addCors(response);
    responder.send(std::move(response));
    return;
  }
  auto key = bearerToken(context.request[beast_http::field::authorization]);
  if (!key) {
    unauthorized(responder, "WHIP needs the event's stream key: Authorization: Bearer <key>");
    return;
  }
  if (mediaType(context.request[beast_http::field::content_type]) != "application/sdp") {
    fail(responder, beast_http::status::unsupported_media_type,
         "Content-Type must be application/sdp (a WHIP offer)");
    return;
  }
  auto executor = responder.executor();
  auto pending = std::make_shared<Responder>(std::move(responder));
  whip->authorize(
      std::string(path.slug), std::move(*key), executor,
      [whip, pending, address, slug = std::string(path.slug),
       offer = std::string(context.request.body())](IngestGrant grant) {
        switch (grant.verdict) {
          case IngestGrant::Verdict::kUnavailable:
            fail(*pending, beast_http::status::service_unavailable,
                 "the stream key cannot be checked right now; try again");
            return;
          case IngestGrant::Verdict::kDenied:
            whip->failed.record(address, std::chrono::steady_clock::now());
            unauthorized(*pending, "the stream key is not this event's key");
            return;
          case IngestGrant::Verdict::kGranted:
            admitPublisher(*whip, slug, offer, grant.allow_takeover, *pending);
            return;
        }
      });
}

void onDelete(const std::shared_ptr<WhipContext>& whip, RequestContext& context,
              Responder responder) {
  auto& service = whip->service;
  const auto path = splitPath(context.route_tail);
  auto owner = path.valid && !path.token.empty() ? service.registry().find(path.slug, path.token)
                                                 : std::nullopt;
  if (owner && owner->role != SessionRole::kPublisher) owner.reset();
  if (!owner) {
    fail(responder, beast_http::status::not_found, "no such WHIP session");
    return;
  }
  if (owner->pending) {
    service.registry().cancelPending(path.token);
    service.endBroadcast(path.slug, path.token);
  } else {
    service.shard(owner->shard).postClose(std::string(path.token));
  }
  answer(responder, beast_http::status::ok);
}

void onPatch(const std::shared_ptr<WhipContext>& whip, RequestContext& context,
             Responder responder) {
  const auto path = splitPath(context.route_tail);
  auto owner = path.valid && !path.token.empty()
                   ? whip->service.registry().find(path.slug, path.token)
                   : std::nullopt;
  if (!owner || owner->role != SessionRole::kPublisher) {
    fail(responder, beast_http::status::not_found, "no such WHIP session");
    return;
  }
  endpoint_http::answerTrickle(context, responder);
}

void onOptions(const std::shared_ptr<WhipContext>&, RequestContext& context,
               Responder responder) {
  endpoint_http::answerOptions(context, responder, "WHIP", "POST, OPTIONS");
}

}  // namespace

void addWhipRoutes(http::Router& router, RtcService& service, IngestAuthorizer authorize) {
  auto whip = std::make_shared<WhipContext>(service, std::move(authorize));
  const std::string prefix(kWhipPathPrefix);
  using Handler = void (*)(const std::shared_ptr<WhipContext>&, RequestContext&, Responder);
  auto bind = [whip](Handler handler) {
    return [whip, handler](RequestContext& context, Responder responder) {
      handler(whip, context, std::move(responder));
    };
  };
  router.addPrefix(beast_http::verb::post, prefix, bind(onPost), "whip");
  router.addPrefix(beast_http::verb::delete_, prefix, bind(onDelete), "whip");
  router.addPrefix(beast_http::verb::patch, prefix, bind(onPatch), "whip");
  router.addPrefix(beast_http::verb::options, prefix, bind(onOptions), "whip");
}

}  // namespace throng::rtc
