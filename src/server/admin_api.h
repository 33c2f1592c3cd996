// The admin API on the control plane: events (create, list, read, edit, rotate the stream
// key, delete). Every route requires the admin token. Requests are answered after the
// storage thread committed the change, so a 2xx means the change is durable.
#pragma once

#include "store/events.h"

#include <functional>

#include "control/control_plane.h"
#include "store/storage.h"

namespace throng::server {

// Non-owning: `storage` and `control` outlive the routes.
// `on_created` runs (on a control thread) after an event is stored, e.g. to open its room.
void addAdminApi(control::ControlPlane& control, store::Storage& storage,
                 std::function<void(const store::EventRecord&)> on_created = {});

}  // namespace throng::server
