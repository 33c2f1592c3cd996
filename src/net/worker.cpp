#include "net/worker.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

namespace throng::net {
namespace {
thread_local Worker* t_current = nullptr;
}

Worker::Worker(int id, std::string name, std::chrono::milliseconds lag_probe_interval)
    : id_(id),
      name_(std::move(name)),
      lag_probe_interval_(lag_probe_interval),
      guard_(io_.get_executor()),
      lag_timer_(io_) {}

Worker::~Worker() { stop(); }

Worker* Worker::current() { return t_current; }

void Worker::start() {
  armLagProbe();
  thread_ = std::thread([this] { run(); });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  guard_.reset();
  io_.stop();
  thread_.join();
}

void Worker::run() {
  t_current = this;
  // Thread names show in top -H, perf and gdb; Linux allows 15 characters.
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  for (;;) {
    try {
      io_.run();
      break;
    } catch (const std::exception& e) {
      // Handlers must not throw; one that did is a bug. Keep the worker alive for the others.
      spdlog::error("worker {}: handler threw: {}", name_, e.what());
    }
  }
  t_current = nullptr;
}

void Worker::armLagProbe() {
  lag_expected_ = std::chrono::steady_clock::now() + lag_probe_interval_;
  lag_timer_.expires_at(lag_expected_);
  lag_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const auto lag = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - lag_expected_);
    const std::int64_t us = std::max<std::int64_t>(0, lag.count());
    last_lag_us_.store(us, std::memory_order_relaxed);
    std::int64_t prev = max_lag_us_.load(std::memory_order_relaxed);
    while (us > prev && !max_lag_us_.compare_exchange_weak(prev, us)) {
    }
    armLagProbe();
  });
}

}  // namespace throng::net
