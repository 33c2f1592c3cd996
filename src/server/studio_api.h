// The streamer's studio on the public port: the page /studio/<event> (web/studio.html) and
// the API it calls with the streamer's chat account (HTTP Basic, server/account_auth.h):
//
//   GET  /api/v1/events/<event>/studio             → {whip_url, stream_key, live, viewers,
//                                                     health} (health: the publisher's
//                                                     BroadcastHealth, or null)
//   POST /api/v1/events/<event>/studio/rotate-key  → the same, with a new stream key
//
// Allowed: the owners and admins of the event's room (room_affiliations) and the server's
// admins (xmpp.admins); 401 without valid credentials (never for anonymous users: they have
// no password), 403 for any other account, 404 (after that) when there is no such event.
// The admin token is not accepted here. Failed logins and all attempts are limited per client
// address (429). The stream key is answered only to those accounts, with Cache-Control:
// no-store, and never logged. A rotated key is checked by the next WHIP POST; a publisher
// that is live keeps its session.
#pragma once

#include "http/router.h"
#include "http/static_files.h"
#include "server/account_auth.h"
#include "store/storage.h"

#include <string>

namespace throng::rtc {
class RtcService;
}

namespace throng::server {

struct StudioOptions {
  // server.public_url: when set, the WHIP URL is built on it (a reverse proxy's address);
  // else on the request's Host, with https when the public port has TLS.
  std::string public_url;
  bool tls = false;
};

// Registers the page route and the API. Non-owning: `files`, `storage`, `rtc` and
// `access.accounts` outlive the router.
void addStudio(http::Router& router, const http::StaticFiles& files, store::Storage& storage,
               const rtc::RtcService& rtc, AccountAccess access, StudioOptions options);

}  // namespace throng::server
