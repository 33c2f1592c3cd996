// The admin API on the control plane: events (create, list, read, edit, rotate the stream
// key, delete), which require the admin token, and rooms' moderation logs, which room owners
// and admins may read with their chat account too — on the control plane, and on the public
// port for the moderation panel (web/moderate.html). Requests are answered after the storage
// thread committed the change, so a 2xx means the change is durable.
#pragma once

#include "store/events.h"

#include <functional>

#include "control/control_plane.h"
#include "http/router.h"
#include "server/account_auth.h"
#include "store/storage.h"

#include <string>

namespace throng::server {

// Non-owning: `storage` and `control` outlive the routes.
// `on_created` runs (on a control thread) after an event is stored, e.g. to open its room.
void addAdminApi(control::ControlPlane& control, store::Storage& storage,
                 std::function<void(const store::EventRecord&)> on_created = {});

// Who may read a room's moderation log besides the holder of the admin token: chat accounts,
// by HTTP Basic (RFC 7617) with their username and password (server/account_auth.h).
using ModerationLogAccess = AccountAccess;

// GET /api/v1/rooms/{room}/moderation-log?before=<id>&limit=<n>: the room's moderation log,
// newest first. Allowed with the admin token, or with Basic credentials of an account that is
// in `access.admins` or is an owner or admin of the room (room_affiliations). Failed Basic
// attempts are limited per client address (429 once spent). Documented in README.md.
void addModerationLogApi(control::ControlPlane& control, store::Storage& storage,
                         ModerationLogAccess access);

// The same route on the public port (`router`), because the moderation panel is served there
// and the control port listens on loopback. Accounts only: the admin token is not accepted
// here, and anonymous users have no password. Besides the failed-login limit, every Basic
// attempt from an address is limited (each costs a PBKDF2 on a worker, like a SASL PLAIN
// login). Routes run on the workers; the limiters are shared between them under a mutex.
// Non-owning: `storage` and `access.accounts` outlive the router.
void addPublicModerationLogApi(http::Router& router, store::Storage& storage,
                               ModerationLogAccess access);

}  // namespace throng::server
