// Routes on the public port: the read-only event API the web pages use, and (only when
// debug.busy_route is on) the worker-load route used by the control-plane isolation test.
#pragma once

#include "http/router.h"
#include "store/storage.h"

namespace throng::server {

// Non-owning: `storage` outlives the routes.
void addPublicApi(http::Router& router, store::Storage& storage);

// GET /debug/busy?ms=N: spins the worker that serves it for N ms (at most 10 s), to prove
// that a saturated data plane does not starve the control plane. Off by default.
void addBusyRoute(http::Router& router);

}  // namespace throng::server
