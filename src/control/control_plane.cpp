#include "control/control_plane.h"

#include "base/random.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <future>

namespace throng::control {

namespace beast_http = boost::beast::http;

namespace {
std::int64_t unixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

ControlPlane::ControlPlane(ControlPlaneOptions options, MetricsRegistry& registry)
    : options_(std::move(options)),
      registry_(registry),
      worker_(-1, "throng-control"),
      server_(
          http::ServerOptions{"control", options_.endpoint, 128, options_.limits, nullptr},
          router_, {&worker_}),
      history_(options_.history_capacity) {
  addBuiltinRoutes();
}

ControlPlane::~ControlPlane() { stop(); }

void ControlPlane::addBuiltinRoutes() {
  router_.add(beast_http::verb::get, "/healthz",
              [this](http::RequestContext&, http::Responder responder) {
                if (draining_.load()) {
                  responder.text(beast_http::status::service_unavailable, "draining\n");
                } else {
                  responder.text(beast_http::status::ok, "ok\n");
                }
              });
  router_.add(beast_http::verb::get, "/metrics",
              [this](http::RequestContext&, http::Responder responder) {
                responder.text(beast_http::status::ok, registry_.render(),
                               "text/plain; version=0.0.4; charset=utf-8");
              });
  router_.add(beast_http::verb::get, "/api/metrics/history",
              [this](http::RequestContext& context, http::Responder responder) {
                if (!authorize(context, responder)) return;
                std::int64_t since = 0;
                if (auto s = context.target.param("since")) {
                  try {
                    since = std::stoll(std::string(*s));
                  } catch (const std::exception&) {
                    responder.error(beast_http::status::bad_request,
                                    "since: expected Unix milliseconds");
                    return;
                  }
                }
                std::vector<std::string> names;
                if (auto series = context.target.param("series")) {
                  std::string_view rest = *series;
                  while (!rest.empty()) {
                    auto comma = rest.find(',');
                    names.emplace_back(rest.substr(0, comma));
                    if (comma == std::string_view::npos) break;
                    rest.remove_prefix(comma + 1);
                  }
                }
                responder.json(beast_http::status::ok, history_.toJson(since, names).dump());
              });
}

bool ControlPlane::hasAdminToken(const http::RequestContext& context) const {
  static constexpr std::string_view kBearer = "Bearer ";
  const auto header = context.request[beast_http::field::authorization];
  return header.starts_with(kBearer) &&
         constantTimeEquals(std::string(header.substr(kBearer.size())), options_.admin_token);
}

bool ControlPlane::authorize(const http::RequestContext& context,
                             http::Responder& responder) const {
  if (hasAdminToken(context)) return true;
  auto response = http::makeTextResponse(beast_http::status::unauthorized,
                                         "admin token required\n", "text/plain; charset=utf-8");
  response.set(beast_http::field::www_authenticate, "Bearer realm=\"throng admin\"");
  responder.send(std::move(response));
  return false;
}

Result<std::uint16_t> ControlPlane::listen() { return server_.listen(); }

void ControlPlane::start() {
  worker_.start();
  server_.start();
  worker_.post([this] {
    sample_timer_.emplace(worker_.context());
    armSampler();
  });
}

void ControlPlane::armSampler() {
  sample_timer_->expires_after(options_.sample_interval);
  sample_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    auto samples = history_.sample(unixMillis());
    if (sample_sink_) sample_sink_(std::move(samples));
    armSampler();
  });
}

void ControlPlane::every(std::chrono::milliseconds period, std::function<void()> task) {
  worker_.post([this, period, task = std::move(task)]() mutable {
    auto* timer =
        periodic_timers_.emplace_back(std::make_unique<boost::asio::steady_timer>(worker_.context()))
            .get();
    auto tick = std::make_shared<std::function<void()>>();
    *tick = [timer, period, task = std::move(task), weak = std::weak_ptr(tick)] {
      timer->expires_after(period);
      timer->async_wait([timer, &task, weak](const boost::system::error_code& ec) {
        if (ec) return;
        task();
        if (auto next = weak.lock()) (*next)();
      });
    };
    periodic_ticks_.push_back(tick);
    (*tick)();
  });
}

void ControlPlane::stop() {
  // The timers live on the control thread: destroy them there before stopping.
  if (sample_timer_) {
    std::promise<void> done;
    worker_.post([this, &done] {
      sample_timer_.reset();
      periodic_timers_.clear();
      periodic_ticks_.clear();
      done.set_value();
    });
    done.get_future().wait_for(std::chrono::seconds(2));
  }
  worker_.stop();
}

}  // namespace throng::control
