// What /metrics exposes and what the metrics history samples: one place that names every
// series the server exports, so the dashboard and Prometheus see the same things.
#pragma once

#include "base/metrics.h"
#include "control/control_plane.h"
#include "http/server.h"
#include "net/worker_pool.h"
#include "store/storage.h"

namespace throng::server {

// Non-owning: every argument outlives the control plane's thread. Collectors and history
// series run on the control-plane thread and read only atomics.
void wireMetrics(MetricsRegistry& registry, control::ControlPlane& control,
                 net::WorkerPool& workers, const http::Server& public_server,
                 const store::Storage& storage);

}  // namespace throng::server
