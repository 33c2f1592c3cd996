// The control plane: /healthz, /metrics and the admin API on their own thread and their own
// listener (loopback by default), so that no amount of client traffic on the workers can
// starve a health check (design.md §2, the Jitsi lesson). It reads counters (atomics) and
// never waits on a worker.
#pragma once

#include "base/metrics.h"
#include "base/result.h"
#include "control/metrics_history.h"
#include "http/router.h"
#include "http/server.h"
#include "net/worker.h"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace throng::control {

struct ControlPlaneOptions {
  boost::asio::ip::tcp::endpoint endpoint;
  http::ServerLimits limits;
  std::string admin_token;  // secret: compared in constant time, never logged
  std::chrono::milliseconds sample_interval{5000};
  std::size_t history_capacity = 720;
};

class ControlPlane {
 public:
  // Called on the control thread with each row of samples, to persist them.
  using SampleSink = std::function<void(std::vector<store::MetricSample>)>;

  ControlPlane(ControlPlaneOptions options, MetricsRegistry& registry);
  ~ControlPlane();

  // Registration, before listen(): more routes (the admin API) and history series.
  http::Router& router() { return router_; }
  MetricsHistory& history() { return history_; }
  void setSampleSink(SampleSink sink) { sample_sink_ = std::move(sink); }
  net::Worker& worker() { return worker_; }

  // True if `context` carries "Authorization: Bearer <admin token>"; otherwise answers 401
  // through `responder` and returns false.
  bool authorize(const http::RequestContext& context, http::Responder& responder) const;
  // The same check without answering, for routes that accept other credentials as well.
  bool hasAdminToken(const http::RequestContext& context) const;

  Result<std::uint16_t> listen();
  void start();
  // Runs `task` on the control thread every `period`, from start() on (housekeeping such as
  // reloading caches). Call after start().
  void every(std::chrono::milliseconds period, std::function<void()> task);
  // /healthz answers 503 from now on; the listener stays up until stop().
  void setDraining() { draining_.store(true); }
  void stop();

  const http::Server& server() const { return server_; }

 private:
  void addBuiltinRoutes();
  void armSampler();

  ControlPlaneOptions options_;
  MetricsRegistry& registry_;  // non-owning: owned by the composition root, outlives this
  net::Worker worker_;
  http::Router router_;
  http::Server server_;
  MetricsHistory history_;  // touched only on worker_
  SampleSink sample_sink_;
  std::optional<boost::asio::steady_timer> sample_timer_;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> periodic_timers_;  // control thread
  std::vector<std::shared_ptr<std::function<void()>>> periodic_ticks_;        // control thread
  std::atomic<bool> draining_{false};
};

}  // namespace throng::control
