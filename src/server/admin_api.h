// The admin API on the control plane: events (create, list, read, edit, rotate the stream
// key, delete). Every route requires the admin token. Requests are answered after the
// storage thread committed the change, so a 2xx means the change is durable.
#pragma once

#include "control/control_plane.h"
#include "store/storage.h"

namespace throng::server {

// Non-owning: `storage` and `control` outlive the routes.
void addAdminApi(control::ControlPlane& control, store::Storage& storage);

}  // namespace throng::server
