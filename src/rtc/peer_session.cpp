#include "rtc/peer_session.h"

#include "rtc/dtls.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"
#include "rtc/srtp.h"
#include "rtc/stun.h"

namespace throng::rtc {

namespace {

// A peer may be reached over a few candidate pairs (RFC 8445 §6.1.2); more is an attack.
constexpr std::size_t kMaxEndpoints = 8;

}  // namespace

const char* closeReasonText(CloseReason reason) {
  switch (reason) {
    case CloseReason::kNone: return "open";
    case CloseReason::kSetupTimeout: return "ICE and DTLS did not finish in time";
    case CloseReason::kConsentExpired: return "consent expired (RFC 7675)";
    case CloseReason::kDtlsFailed: return "DTLS handshake failed";
    case CloseReason::kClosedByPeer: return "closed by the peer";
    case CloseReason::kDeleted: return "HTTP DELETE";
    case CloseReason::kStreamEnded: return "the stream ended";
    case CloseReason::kReplaced: return "another publisher took over";
    case CloseReason::kShutdown: return "server shutdown";
  }
  return "?";
}

PeerSession::PeerSession(std::unique_ptr<SessionPlan> plan, RtcShard& shard,
                         Clock::time_point now)
    : shard_(shard), plan_(std::move(plan)), created_(plan_->created), last_consent_(now) {
  dtls_ = std::make_unique<DtlsSession>(shard.service().dtlsContext(), plan_->remote_fingerprint);
}

PeerSession::~PeerSession() = default;

std::string PeerSession::onBindingRequest(const StunMessage& request,
                                          const boost::asio::ip::udp::endpoint& from,
                                          Clock::time_point now) {
  last_consent_ = now;
  bool known = false;
  for (const auto& endpoint : endpoints_) known = known || endpoint == from;
  if (!known && endpoints_.size() < kMaxEndpoints) endpoints_.push_back(from);
  // ICE-lite (RFC 8445 §7.3.1.5): the controlling agent's USE-CANDIDATE nominates the pair;
  // until then media would go to the first pair that checked.
  if (request.use_candidate || (!nominated_ && endpoints_.size() == 1)) {
    media_endpoint_ = from;
    nominated_ = nominated_ || request.use_candidate;
  }
  if (phase_ == Phase::kIce) phase_ = Phase::kDtls;
  return buildBindingSuccess(request, from, plan_->local_pwd);
}

bool PeerSession::onDtls(std::span<const std::uint8_t> datagram, std::vector<std::string>& out) {
  if (phase_ == Phase::kClosed || phase_ == Phase::kIce) return false;
  const bool was_connected = dtls_->state() == DtlsSession::State::kConnected;
  dtls_->onDatagram(datagram, out);
  if (was_connected || dtls_->state() != DtlsSession::State::kConnected) return false;
  auto srtp = makeSrtpSession(shard_.service().srtpImplementation(), dtls_->localKeys(),
                              dtls_->remoteKeys());
  if (!srtp) return false;  // tick() closes the session: it never reaches kConnected
  srtp_ = std::move(srtp.value());
  phase_ = Phase::kConnected;
  return true;
}

CloseReason PeerSession::tick(Clock::time_point now, std::vector<std::string>& out) {
  const auto& options = shard_.service().options();
  if (phase_ != Phase::kConnected) {
    if (dtls_->state() == DtlsSession::State::kFailed) return CloseReason::kDtlsFailed;
    if (now - created_ > options.setup_timeout) return CloseReason::kSetupTimeout;
    if (auto timeout = dtls_->nextTimeout(); timeout && timeout->count() <= 0) {
      dtls_->onTimeout(out);
    }
  } else if (dtls_->state() == DtlsSession::State::kClosed) {
    return CloseReason::kClosedByPeer;
  } else if (auto reason = connectedTick(now, out); reason != CloseReason::kNone) {
    return reason;
  }
  if (now - last_consent_ > options.consent_timeout) return CloseReason::kConsentExpired;
  return CloseReason::kNone;
}

void PeerSession::appendProtectedRtcp(std::string packet, std::vector<std::string>& out) {
  std::size_t length = packet.size();
  packet.resize(length + kSrtpMaxOverhead);
  if (!srtp_->protectRtcp(reinterpret_cast<std::uint8_t*>(packet.data()), length)) return;
  packet.resize(length);
  out.push_back(std::move(packet));
}

void PeerSession::close(std::vector<std::string>& out) {
  if (phase_ == Phase::kClosed) return;
  onClose();
  if (dtls_ && dtls_->state() == DtlsSession::State::kConnected) dtls_->close(out);
  phase_ = Phase::kClosed;
}

}  // namespace throng::rtc
