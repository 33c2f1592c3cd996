// PeerSession: what every WebRTC peer of throng has on the worker that owns it, whichever way
// its media flows — ICE-lite answers (RFC 8445 §6.1.1), the DTLS handshake (RFC 5763), SRTP
// keys (RFC 3711/7714) and consent freshness (RFC 7675). ViewerSession (WHEP, media out) and
// PublisherSession (WHIP, media in) build on it.
//
// Thread: the owning worker only (style.md rule 2). Created and destroyed by RtcShard.
#pragma once

#include "rtc/session_plan.h"

#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace throng::rtc {

class DtlsSession;
class RtcShard;
class SrtpSession;
struct StunMessage;

enum class CloseReason { kNone, kSetupTimeout, kConsentExpired, kDtlsFailed, kClosedByPeer,
                         kDeleted, kStreamEnded, kReplaced, kShutdown };
const char* closeReasonText(CloseReason reason);

class PeerSession {
 public:
  using Clock = std::chrono::steady_clock;

  PeerSession(std::unique_ptr<SessionPlan> plan, RtcShard& shard, Clock::time_point now);
  virtual ~PeerSession();
  PeerSession(const PeerSession&) = delete;
  PeerSession& operator=(const PeerSession&) = delete;

  enum class Phase { kIce, kDtls, kConnected, kClosed };
  Phase phase() const { return phase_; }
  SessionRole role() const { return plan_->role; }
  const SessionPlan& plan() const { return *plan_; }
  const std::string& token() const { return plan_->token; }
  MediaStream& stream() const { return *plan_->stream; }

  // An authenticated binding request from `from`. Returns the success response to send back.
  // Every such request renews consent (RFC 7675 §5.1); USE-CANDIDATE moves media to `from`.
  std::string onBindingRequest(const StunMessage& request,
                               const boost::asio::ip::udp::endpoint& from, Clock::time_point now);
  // DTLS records from the peer; datagrams to send back are appended to `out`. True when this
  // call finished the handshake (SRTP is ready).
  bool onDtls(std::span<const std::uint8_t> datagram, std::vector<std::string>& out);
  // An SRTCP packet (decrypted in place).
  virtual void onSrtcp(std::uint8_t* packet, std::size_t length, Clock::time_point now) = 0;
  // An SRTP packet, still protected. Feedback to send back at once goes into `out`. Returns
  // false when the session takes no media (a viewer), for the caller to count.
  virtual bool onSrtp(std::uint8_t* packet, std::size_t length, Clock::time_point now,
                      std::vector<std::string>& out) = 0;
  // The handshake finished (onDtls returned true); the role starts its media.
  virtual void onConnected(Clock::time_point) {}

  // Housekeeping (the worker's tick): DTLS retransmissions, and what the role does while
  // connected (reports, feedback) into `out`; returns why the session must close (setup or
  // consent timeout, DTLS failure), or kNone.
  CloseReason tick(Clock::time_point now, std::vector<std::string>& out);
  // Close: a DTLS close_notify into `out`.
  void close(std::vector<std::string>& out);

  const boost::asio::ip::udp::endpoint& mediaEndpoint() const { return media_endpoint_; }
  const std::vector<boost::asio::ip::udp::endpoint>& endpoints() const { return endpoints_; }

 protected:
  // The role's part of tick() once connected; a reason to close, or kNone.
  virtual CloseReason connectedTick(Clock::time_point now, std::vector<std::string>& out) = 0;
  // The role's part of close(), before DTLS says goodbye.
  virtual void onClose() {}
  Clock::time_point lastConsent() const { return last_consent_; }
  // An RTCP compound packet protected for the peer, appended to `out` (dropped on failure).
  void appendProtectedRtcp(std::string packet, std::vector<std::string>& out);

  RtcShard& shard_;
  std::unique_ptr<SrtpSession> srtp_;  // set once connected

 private:
  std::unique_ptr<SessionPlan> plan_;
  Phase phase_ = Phase::kIce;
  Clock::time_point created_;
  Clock::time_point last_consent_;
  std::vector<boost::asio::ip::udp::endpoint> endpoints_;  // validated; bounded
  boost::asio::ip::udp::endpoint media_endpoint_;
  bool nominated_ = false;
  std::unique_ptr<DtlsSession> dtls_;
};

}  // namespace throng::rtc
