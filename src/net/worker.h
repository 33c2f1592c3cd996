// Worker: one thread running one Boost.Asio io_context (design.md §3). Every object a worker
// creates is used and destroyed on that worker; other threads reach it only by post().
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace throng::net {

class Worker {
 public:
  // `lag_probe_interval`: how often the loop measures its own lag (how late a timer fires).
  Worker(int id, std::string name,
         std::chrono::milliseconds lag_probe_interval = std::chrono::milliseconds(100));
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Stops the loop and joins the thread. Handlers still queued are destroyed, not run.
  void stop();

  int id() const { return id_; }
  const std::string& name() const { return name_; }
  boost::asio::io_context& context() { return io_; }
  boost::asio::io_context::executor_type executor() { return io_.get_executor(); }

  template <class F>
  void post(F&& f) {
    boost::asio::post(io_, std::forward<F>(f));
  }

  // True when called on this worker's thread. Debug builds assert it on owned objects.
  bool isCurrent() const { return current() == this; }
  static Worker* current();

  // Event-loop lag: the largest delay seen since the last call to takeMaxLag(), and the last
  // one seen. Read from any thread (the control plane).
  std::chrono::microseconds lastLag() const {
    return std::chrono::microseconds(last_lag_us_.load(std::memory_order_relaxed));
  }
  std::chrono::microseconds peekMaxLag() const {
    return std::chrono::microseconds(max_lag_us_.load(std::memory_order_relaxed));
  }
  std::chrono::microseconds takeMaxLag() {
    return std::chrono::microseconds(max_lag_us_.exchange(0, std::memory_order_relaxed));
  }

 private:
  void run();
  void armLagProbe();

  const int id_;
  const std::string name_;
  const std::chrono::milliseconds lag_probe_interval_;
  boost::asio::io_context io_{1};  // concurrency hint 1: one thread, no internal locking needed
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  boost::asio::steady_timer lag_timer_;
  std::chrono::steady_clock::time_point lag_expected_;
  std::atomic<std::int64_t> last_lag_us_{0};
  std::atomic<std::int64_t> max_lag_us_{0};
  std::thread thread_;
};

// Asserts (debug builds) that the caller runs on `worker`.
#define THRONG_ASSERT_ON(worker) assert((worker).isCurrent())

}  // namespace throng::net
