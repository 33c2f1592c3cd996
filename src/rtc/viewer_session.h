// ViewerSession: one WHEP viewer on the worker that owns it — ICE-lite answers (RFC 8445
// §6.1.1), the DTLS handshake (RFC 5763), SRTP (RFC 3711/7714), consent freshness (RFC 7675),
// its feedback (NACK, PLI/FIR, receiver reports), and its copy of each media packet.
//
// Thread: the owning worker only (style.md rule 2). Created and destroyed by RtcShard.
#pragma once

#include "base/token_bucket.h"
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
struct MediaPacket;
class RtcShard;
class SendBatch;
class SrtpSession;
struct StunMessage;

enum class CloseReason { kNone, kSetupTimeout, kConsentExpired, kDtlsFailed, kClosedByViewer,
                         kDeleted, kStreamEnded, kShutdown };
const char* closeReasonText(CloseReason reason);

class ViewerSession {
 public:
  using Clock = std::chrono::steady_clock;

  ViewerSession(std::unique_ptr<SessionPlan> plan, RtcShard& shard, Clock::time_point now);
  ~ViewerSession();
  ViewerSession(const ViewerSession&) = delete;
  ViewerSession& operator=(const ViewerSession&) = delete;

  enum class Phase { kIce, kDtls, kConnected, kClosed };
  Phase phase() const { return phase_; }
  const SessionPlan& plan() const { return *plan_; }
  const std::string& token() const { return plan_->token; }
  MediaStream& stream() const { return *plan_->stream; }

  // An authenticated binding request from `from`. Returns the success response to send back.
  // Every such request renews consent (RFC 7675 §5.1); USE-CANDIDATE moves media to `from`.
  std::string onBindingRequest(const StunMessage& request, const boost::asio::ip::udp::endpoint& from,
                               Clock::time_point now);
  // DTLS records from the viewer; datagrams to send back are appended to `out`. True when this
  // call finished the handshake (SRTP is ready).
  bool onDtls(std::span<const std::uint8_t> datagram, std::vector<std::string>& out);
  // An SRTCP packet (decrypted in place).
  void onSrtcp(std::uint8_t* packet, std::size_t length, Clock::time_point now);

  // The fan-out: copies `packet` into the batch's next slot with the viewer's payload type,
  // protects it and queues it. A video track starts at a keyframe.
  void sendMedia(const MediaPacket& packet, SendBatch& batch);

  // Housekeeping (the worker's tick): DTLS retransmissions and, about once a second, sender
  // reports into `out`; returns why the session must close (setup or consent timeout, DTLS
  // failure), or kNone.
  CloseReason tick(Clock::time_point now, std::vector<std::string>& out);
  // Close: a DTLS close_notify into `out`.
  void close(std::vector<std::string>& out);

  const boost::asio::ip::udp::endpoint& mediaEndpoint() const { return media_endpoint_; }
  const std::vector<boost::asio::ip::udp::endpoint>& endpoints() const { return endpoints_; }

  // The shard's bookkeeping: index in its stream's fan-out list, -1 if not attached.
  int fanout_index = -1;

  struct Stats {
    std::uint64_t packets_sent = 0;
    std::uint64_t retransmitted = 0;
    std::uint64_t nacks = 0;
    std::uint64_t keyframe_requests = 0;
    std::uint8_t last_fraction_lost = 0;  // video, from the latest receiver report (/256)
    std::int32_t cumulative_lost = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  bool protectAndQueue(const MediaPacket& packet, int payload_type, SendBatch& batch);
  void appendSenderReports(Clock::time_point now, std::vector<std::string>& out);
  void onNack(std::span<const std::uint8_t> rtcp, Clock::time_point now);

  std::unique_ptr<SessionPlan> plan_;
  RtcShard& shard_;
  Phase phase_ = Phase::kIce;
  Clock::time_point created_;
  Clock::time_point last_consent_;
  std::vector<boost::asio::ip::udp::endpoint> endpoints_;  // validated; bounded
  boost::asio::ip::udp::endpoint media_endpoint_;
  bool nominated_ = false;
  std::unique_ptr<DtlsSession> dtls_;
  std::unique_ptr<SrtpSession> srtp_;
  std::vector<bool> waiting_for_keyframe_;  // per stream track
  struct Sent {  // per stream track, for sender reports (RFC 3550 §6.4.1)
    std::uint32_t packets = 0;  // modulo 2^32, as the SR carries them
    std::uint32_t octets = 0;   // payload octets
  };
  std::vector<Sent> sent_;
  Clock::time_point last_sender_report_{};
  TokenBucket retransmit_budget_;
  Stats stats_;
};

}  // namespace throng::rtc
