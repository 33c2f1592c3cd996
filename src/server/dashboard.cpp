#include "server/dashboard.h"

#include "rtc/rtc_service.h"
#include "rtc/whep_endpoint.h"
#include "rtc/whip_endpoint.h"

#include <nlohmann/json.hpp>

#include <array>
#include <memory>
#include <utility>

namespace throng::server {

namespace beast_http = boost::beast::http;
using nlohmann::json;

namespace {

// The page and its assets, by the path the page asks for. A fixed list rather than the whole
// web root: the control port serves the dashboard, not the public pages.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kPageFiles{{
    {"/admin", "admin.html"},
    {"/admin.css", "admin.css"},
    {"/style.css", "style.css"},
    {"/assets/admin.js", "assets/admin.js"},
    {"/assets/admin.js.map", "assets/admin.js.map"},
    {"/assets/admin.css", "assets/admin.css"},
    {"/assets/admin.css.map", "assets/admin.css.map"},
}};

std::int64_t unixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void addDashboard(control::ControlPlane& control, const http::StaticFiles& files,
                  const rtc::RtcService& rtc, DashboardInfo info) {
  auto& router = control.router();
  for (const auto& [path, file] : kPageFiles) {
    router.add(beast_http::verb::get, std::string(path),
               [&files, file = std::string(file)](http::RequestContext& context,
                                                  http::Responder responder) {
                 files.serveFile(context, std::move(responder), file);
               });
  }

  struct Started {
    std::int64_t unix_ms = unixMillis();
    std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
  };
  auto shared = std::make_shared<const DashboardInfo>(std::move(info));
  auto started = std::make_shared<const Started>();
  auto* plane = &control;
  router.add(
      beast_http::verb::get, "/api/server",
      [plane, &rtc, shared, started](http::RequestContext& context, http::Responder responder) {
        if (!plane->authorize(context, responder)) return;
        json streams = json::array();
        // Any thread may list the streams (RtcService takes its own lock); viewer
        // counts are atomics.
        for (const auto& stream : rtc.streams()) {
          streams.push_back({{"slug", stream->slug()}, {"viewers", stream->viewers()}});
        }
        const auto uptime = std::chrono::steady_clock::now() - started->at;
        json out{
            {"version", THRONG_VERSION},
            {"started_at_ms", started->unix_ms},
            {"uptime_seconds", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
            {"workers", shared->workers},
            {"sample_interval_ms", shared->sample_interval.count()},
            {"public_url", shared->public_url},
            {"whep_path_prefix", std::string(rtc::kWhepPathPrefix)},
            {"whip_path_prefix", std::string(rtc::kWhipPathPrefix)},
            {"viewers", rtc.totals().sessions_active},
            {"streams", std::move(streams)},
        };
        responder.json(beast_http::status::ok, out.dump());
      });
}

}  // namespace throng::server
