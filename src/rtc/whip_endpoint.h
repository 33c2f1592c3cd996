// WHIP (RFC 9725) on the public port, one endpoint per event:
//
//   POST    /whip/<event>          Bearer stream key, application/sdp offer → 201, the answer,
//                                  Location; 401 without the event's key, 409 while another
//                                  publisher is live (unless the event allows takeover)
//   DELETE  /whip/<event>/<token>  ends the broadcast → 200
//   PATCH   /whip/<event>/<token>  trickle ICE fragment (RFC 8840) → 204; ICE restart → 422
//   OPTIONS both                   CORS preflight, Accept-Post
//
// The key is checked by the server (storage) through an IngestAuthorizer; it is compared in
// constant time and never logged. Wrong keys are rate-limited per client address (a burst,
// then one every few seconds: 429). The offer is bounded like WHEP's (http.max_body_bytes,
// the SDP parser's limits); a publisher that never connects expires after
// webrtc.setup_timeout_ms, one that goes silent after webrtc.publisher_timeout_ms.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace throng::http {
class Router;
}

namespace throng::rtc {

class RtcService;

inline constexpr std::string_view kWhipPathPrefix = "/whip/";

struct IngestGrant {
  enum class Verdict {
    kGranted,
    kDenied,       // no such event, or not its key (one answer: 401 either way)
    kUnavailable,  // the check could not be made (storage): 503
  };
  Verdict verdict = Verdict::kDenied;
  bool allow_takeover = false;  // a new publisher replaces a live one instead of a 409
};

// Checks `key` for event `slug` and calls `done` on `executor` with the verdict.
using IngestAuthorizer =
    std::function<void(std::string slug, std::string key, boost::asio::any_io_executor executor,
                       std::function<void(IngestGrant)> done)>;

// Non-owning: `service` outlives the router's use.
void addWhipRoutes(http::Router& router, RtcService& service, IngestAuthorizer authorize);

}  // namespace throng::rtc
