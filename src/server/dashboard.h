// The admin dashboard on the control plane, same origin as the admin API it uses: the page
// (web/admin.html, web/admin.css and the bundle frontend/ builds into web/assets/admin.*) and
// GET /api/server (version, uptime, workers, where viewers and publishers connect, and the
// live streams with their viewers). The page's files hold no data and are served to anyone
// who reaches the control port; every data request needs the admin token.
#pragma once

#include "control/control_plane.h"
#include "http/static_files.h"

#include <chrono>
#include <string>

namespace throng::rtc {
class RtcService;
}

namespace throng::server {

struct DashboardInfo {
  std::string public_url;  // the public port's base URL, ending in '/'
  int workers = 0;
  std::chrono::milliseconds sample_interval{5000};  // metrics.sample_interval_ms
};

// Non-owning: `control`, `files` and `rtc` outlive the routes.
void addDashboard(control::ControlPlane& control, const http::StaticFiles& files,
                  const rtc::RtcService& rtc, DashboardInfo info);

}  // namespace throng::server
