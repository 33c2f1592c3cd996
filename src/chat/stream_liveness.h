// StreamLiveness: when a client stream has to show it is still there, and when it has failed to.
//
//  - Until a resource is bound, the stream has kAuthDeadline in all (TLS, SASL, bind): a socket
//    that connects and never authenticates holds a descriptor and a parser, and would otherwise
//    hold them forever.
//  - Once bound, a stream that has sent nothing for `idle` is pinged by the server (XEP-0199
//    §4.2, server-to-client ping); any byte that arrives counts as an answer. If nothing arrives
//    within `ping` after the ping, the stream is dead: RFC 6120 §4.9.3.4 connection-timeout.
//
// The owner keeps one timer per connection and calls onTimer() when it fires; every answer
// says when to fire next. Input only records a time (no timer is touched per read): the timer
// that fires early re-arms for the rest of the idle period. Pure: no I/O, the clock is passed in.
//
// Threading: lives in a ClientStream, on its worker.
#pragma once

#include <chrono>

namespace throng::chat {

class StreamLiveness {
 public:
  using Clock = std::chrono::steady_clock;

  // Time from connect to a bound resource. 30 s is ample for TLS, SCRAM and binding over a
  // slow mobile link, and short enough that a crowd of idle sockets drains quickly.
  static constexpr Clock::duration kAuthDeadline = std::chrono::seconds(30);

  enum class Action {
    kNone,      // re-arm for `next`
    kSendPing,  // send an XEP-0199 ping, re-arm for `next`
    kTimeOut,   // end the stream with connection-timeout
  };
  struct Step {
    Action action;
    Clock::duration next;
  };

  StreamLiveness(Clock::duration idle, Clock::duration ping, Clock::time_point now)
      : idle_(idle), ping_(ping), last_input_(now) {}

  // The first deadline: the time to authenticate and bind.
  Clock::duration start() const { return kAuthDeadline; }
  // A resource is bound: from now on the idle rule applies. Returns the next deadline.
  Clock::duration onBound(Clock::time_point now) {
    phase_ = Phase::kIdle;
    last_input_ = now;
    return idle_;
  }
  void onInput(Clock::time_point now) { last_input_ = now; }

  Step onTimer(Clock::time_point now) {
    switch (phase_) {
      case Phase::kUnbound:
        return {Action::kTimeOut, {}};
      case Phase::kIdle: {
        const auto quiet = now - last_input_;
        if (quiet < idle_) return {Action::kNone, idle_ - quiet};
        phase_ = Phase::kAwaitingPong;
        ping_sent_ = now;
        return {Action::kSendPing, ping_};
      }
      case Phase::kAwaitingPong:
        if (last_input_ > ping_sent_) {
          phase_ = Phase::kIdle;
          const auto quiet = now - last_input_;
          return {Action::kNone, quiet < idle_ ? idle_ - quiet : Clock::duration::zero()};
        }
        return {Action::kTimeOut, {}};
    }
    return {Action::kTimeOut, {}};
  }

 private:
  enum class Phase { kUnbound, kIdle, kAwaitingPong };

  Clock::duration idle_;
  Clock::duration ping_;
  Phase phase_ = Phase::kUnbound;
  Clock::time_point last_input_;
  Clock::time_point ping_sent_;
};

}  // namespace throng::chat
