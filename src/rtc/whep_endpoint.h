// WHEP (draft-ietf-wish-whep-03) on the public port, one endpoint per event:
//
//   POST    /whep/<event>          application/sdp offer → 201, the answer, Location
//   DELETE  /whep/<event>/<token>  ends the session → 200
//   PATCH   /whep/<event>/<token>  trickle ICE fragment (RFC 8840) → 204; ICE restart → 422
//   OPTIONS both                   CORS preflight, Accept-Post
//   HEAD    /whep/<event>          200 while the event is live, 404 otherwise
//   GET/POST /whep/<event>/<token>/layer   the session's simulcast layer (rtc/whep_layer.h)
//
// Viewers need no credentials: watching a public event is public. What a stranger controls is
// bounded: the offer by http.max_body_bytes and the SDP parser's limits, the number of sessions
// by webrtc.max_viewers and webrtc.max_viewers_per_event (503 with Retry-After), and sessions
// that never connect expire after webrtc.setup_timeout_ms.
#pragma once

#include <string_view>

namespace throng::http {
class Router;
}

namespace throng::rtc {

class RtcService;

inline constexpr std::string_view kWhepPathPrefix = "/whep/";

// Non-owning: `service` outlives the router's use.
void addWhepRoutes(http::Router& router, RtcService& service);

}  // namespace throng::rtc
