// Routes on the public port: the read-only event API the web pages use, and (only when
// debug.busy_route is on) the worker-load route used by the control-plane isolation test.
#pragma once

#include "http/router.h"
#include "http/static_files.h"
#include "store/storage.h"

#include <string>

namespace throng::rtc {
class RtcService;
}

namespace throng::server {

// Where a watch page finds an event's chat: XMPP over WebSocket, anonymous login, the room.
struct PublicChatInfo {
  std::string websocket_path;    // on this HTTP port
  std::string anonymous_domain;  // SASL ANONYMOUS logs in here
  std::string muc_domain;        // the event's room is <slug>@muc_domain
  std::string domain;            // accounts (SASL SCRAM/PLAIN) are <username>@domain
};

// Non-owning: `storage` and `rtc` outlive the routes. GET /api/public/events lists events; GET
// /api/public/events/<slug> gives one, with its chat (PublicChatInfo), its WHEP endpoint and
// its stream's state: `live` (someone publishes) and `viewers` (WebRTC sessions watching).
void addPublicApi(http::Router& router, store::Storage& storage, PublicChatInfo chat,
                  const rtc::RtcService* rtc);

// GET /live/<event>: the watch page (web/live.html), which reads the event from its URL.
void addWatchPageRoute(http::Router& router, const http::StaticFiles& files);

// GET /moderate/<event>: the moderation panel (web/moderate.html) for the event's room; the
// page reads the event from its URL and signs in with the moderator's chat account.
void addModeratePageRoute(http::Router& router, const http::StaticFiles& files);

// GET /debug/busy?ms=N: spins the worker that serves it for N ms (at most 10 s), to prove
// that a saturated data plane does not starve the control plane. Off by default.
void addBusyRoute(http::Router& router);

}  // namespace throng::server
