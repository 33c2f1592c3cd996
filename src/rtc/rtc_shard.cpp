#include "rtc/rtc_shard.h"

#include "base/log.h"
#include "net/worker.h"
#include "rtc/media_stream.h"
#include "rtc/packet_class.h"
#include "rtc/rtc_service.h"
#include "rtc/session_registry.h"
#include "rtc/stun.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

namespace throng::rtc {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

// Housekeeping period: DTLS retransmission timers start at 1 s (RFC 6347 §4.2.4.1), consent
// is counted in seconds, so a tenth of a second is precise enough and costs nothing.
constexpr auto kTickPeriod = std::chrono::milliseconds(100);
// Socket buffers: a keyframe of a 2.5 Mbps stream is ~100 packets; to 1,000 viewers on two
// workers that is 50,000 datagrams queued in one burst. 8 MiB absorbs a burst at the NIC's pace
// (the kernel caps it at net.core.wmem_max unless it is raised).
constexpr int kSendBufferBytes = 8 << 20;
constexpr int kReceiveBufferBytes = 2 << 20;

std::string_view localUfrag(std::string_view username) {
  // USERNAME is "<receiver's ufrag>:<sender's ufrag>" (RFC 8445 §7.2.2).
  const auto colon = username.find(':');
  return colon == std::string_view::npos ? std::string_view() : username.substr(0, colon);
}

std::string_view remoteUfrag(std::string_view username) {
  const auto colon = username.find(':');
  return colon == std::string_view::npos ? std::string_view() : username.substr(colon + 1);
}

}  // namespace

std::size_t RtcShard::EndpointHash::operator()(const udp::endpoint& e) const {
  std::size_t h = e.port();
  if (e.address().is_v4()) {
    h ^= std::hash<std::uint32_t>{}(e.address().to_v4().to_uint()) * 31;
  } else {
    const auto bytes = e.address().to_v6().to_bytes();
    h ^= std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return h;
}

RtcShard::RtcShard(int index, net::Worker& worker, RtcService& service)
    : index_(index),
      worker_(worker),
      service_(service),
      socket_(worker.context()),
      tick_timer_(worker.context()),
      batch_(service.options().udp_segmentation) {}

RtcShard::~RtcShard() = default;

Status RtcShard::open(const udp::endpoint& endpoint) {
  boost::system::error_code ec;
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.set_option(udp::socket::reuse_address(true), ec);
  if (!ec) {
    using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
    socket_.set_option(ReusePort(true), ec);
  }
  if (!ec) socket_.set_option(asio::socket_base::send_buffer_size(kSendBufferBytes), ec);
  if (!ec) socket_.set_option(asio::socket_base::receive_buffer_size(kReceiveBufferBytes), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (ec) {
    return makeError("cannot bind UDP " + endpoint.address().to_string() + ":" +
                     std::to_string(endpoint.port()) + ": " + ec.message());
  }
  socket_.non_blocking(true, ec);
  batch_.setSocket(socket_.native_handle());
  return {};
}

std::uint16_t RtcShard::port() const {
  boost::system::error_code ec;
  return socket_.local_endpoint(ec).port();
}

void RtcShard::start() {
  asio::post(worker_.context(), [this] {
    receive();
    armTick();
  });
}

void RtcShard::stop() {
  stopped_ = true;
  std::vector<PeerSession*> all;
  for (auto& [ufrag, session] : sessions_) all.push_back(session.get());
  for (auto* session : all) closeSession(*session, CloseReason::kShutdown);
  tick_timer_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

void RtcShard::receive() {
  socket_.async_receive_from(
      asio::buffer(receive_buffer_), receive_from_,
      [this](const boost::system::error_code& ec, std::size_t size) {
        if (ec == asio::error::operation_aborted || stopped_) return;
        if (!ec) onDatagram(receive_buffer_.data(), size, receive_from_);
        // Other errors (ICMP port unreachable reported on the socket) concern one peer only.
        receive();
      });
}

void RtcShard::onDatagram(std::uint8_t* data, std::size_t size, const udp::endpoint& from) {
  RtcCounters::add(counters_.datagrams_in);
  const std::span<const std::uint8_t> datagram(data, size);
  PeerSession* session = nullptr;
  if (auto it = by_endpoint_.find(from); it != by_endpoint_.end()) session = it->second;
  switch (classifyPacket(datagram)) {
    case PacketClass::kStun:
      onStun(datagram, from, session);
      return;
    case PacketClass::kDtls:
      if (!session) break;
      scratch_.clear();
      if (session->onDtls(datagram, scratch_)) {
        session->onConnected(PeerSession::Clock::now());
        if (session->role() == SessionRole::kViewer) {
          attach(static_cast<ViewerSession&>(*session));
        } else {
          RtcCounters::add(counters_.sessions_connected);
        }
      }
      sendNow(scratch_, from);
      return;
    case PacketClass::kRtcp:
      if (!session) break;
      session->onSrtcp(data, size, PeerSession::Clock::now());
      syncSendCounters();
      return;
    case PacketClass::kRtp:
      if (!session) break;
      scratch_.clear();
      if (!session->onSrtp(data, size, PeerSession::Clock::now(), scratch_)) {
        // A WHEP viewer only receives (the answer says sendonly); its media is not wanted.
        RtcCounters::add(counters_.rtp_from_viewer);
      }
      if (!scratch_.empty()) sendNow(scratch_, session->mediaEndpoint());
      return;
    case PacketClass::kUnknown:
      break;
  }
  RtcCounters::add(counters_.dropped_unknown);
}

void RtcShard::onStun(std::span<const std::uint8_t> datagram, const udp::endpoint& from,
                      PeerSession* session) {
  auto message = parseStun(datagram);
  if (!message || message->type != kStunBindingRequest) {
    // Binding indications (RFC 8489 §6.3.2 keepalives) need no answer; the rest is junk.
    if (!message || message->type != kStunBindingIndication) {
      RtcCounters::add(counters_.stun_rejected);
    }
    return;
  }
  const std::string_view ufrag = localUfrag(message->username);
  if (message->integrity_offset == 0 || ufrag.empty()) {
    RtcCounters::add(counters_.stun_rejected);
    return;
  }
  const auto now = PeerSession::Clock::now();
  bool authenticated = false;
  if (!session) {
    if (auto it = sessions_.find(std::string(ufrag)); it != sessions_.end()) {
      session = it->second.get();  // one of our sessions, over another candidate pair
    } else {
      auto plan = service_.registry().claim(ufrag, index_, [&](const SessionPlan& candidate) {
        return remoteUfrag(message->username) == candidate.remote_ufrag &&
               checkStunIntegrity(datagram, *message, candidate.local_pwd);
      });
      if (!plan) {
        RtcCounters::add(counters_.stun_rejected);
        return;
      }
      authenticated = true;
      const std::string token = plan->token;
      std::unique_ptr<PeerSession> owned;
      if (plan->role == SessionRole::kPublisher) {
        owned = std::make_unique<PublisherSession>(std::move(plan), *this, now);
      } else {
        owned = std::make_unique<ViewerSession>(std::move(plan), *this, now);
      }
      session = owned.get();
      by_token_[token] = session;
      sessions_[std::string(ufrag)] = std::move(owned);
      counters_.sessions_active.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (ufrag != session->plan().local_ufrag ||
      (!authenticated && !checkStunIntegrity(datagram, *message, session->plan().local_pwd))) {
    RtcCounters::add(counters_.stun_rejected);
    return;
  }
  boost::system::error_code ec;
  if (message->ice_controlled) {
    // Both agents think they are controlled; a lite agent never controls (RFC 8445 §6.1.3.1
    // and §7.3.1.1): 487 Role Conflict makes the full agent switch.
    socket_.send_to(asio::buffer(buildBindingError(*message, 487, "Role Conflict",
                                                   session->plan().local_pwd)),
                    from, 0, ec);
    return;
  }
  const auto response = session->onBindingRequest(*message, from, now);
  for (const auto& endpoint : session->endpoints()) {
    if (endpoint == from) by_endpoint_[from] = session;
  }
  socket_.send_to(asio::buffer(response), from, 0, ec);
  RtcCounters::add(counters_.stun_answered);
}

void RtcShard::attach(ViewerSession& session) {
  auto& stream = session.stream();
  auto [it, inserted] = fanouts_.try_emplace(&stream);
  auto& fanout = it->second;
  if (inserted) {
    fanout.stream = session.plan().stream;
    fanout.rings.resize(stream.tracks().size() * MediaStream::kMaxLayers);
  }
  session.fanout_index = static_cast<int>(fanout.viewers.size());
  fanout.viewers.push_back(&session);
  stream.viewerJoined(index_);
  // The newcomer waits for a keyframe; ask for one now (debounced across all viewers).
  stream.requestKeyframeForNewViewer(session.wantedLayer());
  RtcCounters::add(counters_.sessions_connected);
}

void RtcShard::closeSession(PeerSession& peer, CloseReason reason) {
  scratch_.clear();
  peer.close(scratch_);
  if (!scratch_.empty() && peer.mediaEndpoint().port() != 0) {
    sendNow(scratch_, peer.mediaEndpoint());
  }
  auto& stream = peer.stream();
  if (peer.role() == SessionRole::kPublisher) {
    service_.endBroadcast(stream.slug(), peer.token());
  } else if (auto& session = static_cast<ViewerSession&>(peer); session.fanout_index >= 0) {
    auto it = fanouts_.find(&stream);
    auto& viewers = it->second.viewers;
    const auto index = static_cast<std::size_t>(session.fanout_index);
    viewers[index] = viewers.back();
    viewers[index]->fanout_index = static_cast<int>(index);
    viewers.pop_back();
    session.fanout_index = -1;
    stream.viewerLeft(index_);
    if (viewers.empty()) fanouts_.erase(it);
  }
  for (const auto& endpoint : peer.endpoints()) {
    auto it = by_endpoint_.find(endpoint);
    if (it != by_endpoint_.end() && it->second == &peer) by_endpoint_.erase(it);
  }
  switch (reason) {
    case CloseReason::kConsentExpired: RtcCounters::add(counters_.consent_expired); break;
    case CloseReason::kSetupTimeout: RtcCounters::add(counters_.setup_expired); break;
    case CloseReason::kDtlsFailed: RtcCounters::add(counters_.dtls_failed); break;
    default: break;
  }
  RtcCounters::add(counters_.sessions_closed);
  counters_.sessions_active.fetch_sub(1, std::memory_order_relaxed);
  spdlog::debug("webrtc: {} of '{}' closed: {}",
                peer.role() == SessionRole::kPublisher ? "publisher" : "viewer", stream.slug(),
                closeReasonText(reason));
  const std::string token = peer.token();
  const std::string ufrag = peer.plan().local_ufrag;
  service_.registry().forget(token);
  by_token_.erase(token);
  sessions_.erase(ufrag);  // destroys the session: last
}

void RtcShard::postStreamPackets(std::shared_ptr<MediaStream> stream,
                                 std::vector<MediaPacketRef> packets) {
  asio::post(worker_.context(),
             [this, stream = std::move(stream), packets = std::move(packets)] {
               onStreamPackets(stream, packets);
             });
}

void RtcShard::onStreamPackets(const std::shared_ptr<MediaStream>& stream,
                               const std::vector<MediaPacketRef>& packets) {
  if (stopped_) return;
  auto it = fanouts_.find(stream.get());
  if (it == fanouts_.end()) return;  // the last viewer here left meanwhile
  auto& fanout = it->second;
  for (const auto& packet : packets) {
    fanout.rings[static_cast<std::size_t>(packet->track * MediaStream::kMaxLayers +
                                          packet->layer)]
        .store(packet);
  }
  for (auto* viewer : fanout.viewers) {
    for (const auto& packet : packets) viewer->sendMedia(*packet, batch_);
  }
  batch_.flush();
  syncSendCounters();
}

const MediaPacket* RtcShard::findPacket(const MediaStream& stream, int track, int layer,
                                        std::uint16_t sequence) const {
  auto it = fanouts_.find(&stream);
  if (it == fanouts_.end() || layer < 0 || layer >= MediaStream::kMaxLayers) return nullptr;
  return it->second.rings[static_cast<std::size_t>(track * MediaStream::kMaxLayers + layer)].find(
      sequence);
}

void RtcShard::postToViewer(std::string token, std::function<void(ViewerSession*)> task) {
  asio::post(worker_.context(), [this, token = std::move(token), task = std::move(task)] {
    auto it = by_token_.find(token);
    if (stopped_ || it == by_token_.end() || it->second->role() != SessionRole::kViewer) {
      task(nullptr);
      return;
    }
    task(static_cast<ViewerSession*>(it->second));
  });
}

void RtcShard::postClose(std::string token, CloseReason reason) {
  asio::post(worker_.context(), [this, token = std::move(token), reason] {
    auto it = by_token_.find(token);
    if (it != by_token_.end()) closeSession(*it->second, reason);
  });
}

void RtcShard::postCloseStream(std::shared_ptr<MediaStream> stream) {
  asio::post(worker_.context(), [this, stream = std::move(stream)] {
    std::vector<PeerSession*> closing;
    for (auto& [ufrag, session] : sessions_) {
      if (&session->stream() == stream.get() && session->role() == SessionRole::kViewer) {
        closing.push_back(session.get());
      }
    }
    for (auto* session : closing) closeSession(*session, CloseReason::kStreamEnded);
  });
}

void RtcShard::armTick() {
  tick_timer_.expires_after(kTickPeriod);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    tick();
    armTick();
  });
}

void RtcShard::tick() {
  const auto now = PeerSession::Clock::now();
  std::vector<std::pair<PeerSession*, CloseReason>> closing;
  for (auto& [ufrag, session] : sessions_) {
    scratch_.clear();
    const auto reason = session->tick(now, scratch_);
    if (session->role() == SessionRole::kPublisher) {
      publishHealth(static_cast<const PublisherSession&>(*session));
    }
    if (!scratch_.empty() && session->mediaEndpoint().port() != 0) {
      sendNow(scratch_, session->mediaEndpoint());
    }
    if (reason != CloseReason::kNone) closing.emplace_back(session.get(), reason);
  }
  for (auto [session, reason] : closing) closeSession(*session, reason);
  for (auto& [key, fanout] : fanouts_) fanout.stream->retryDeferredKeyframeRequest();
  if (index_ == 0) {
    // Plans nobody claimed (the viewer never sent a binding request) free their places.
    const auto expired =
        service_.registry().expirePending(now, service_.options().setup_timeout);
    RtcCounters::add(counters_.setup_expired, expired);
  }
}

void RtcShard::sendNow(const std::vector<std::string>& datagrams, const udp::endpoint& to) {
  boost::system::error_code ec;
  for (const auto& datagram : datagrams) socket_.send_to(asio::buffer(datagram), to, 0, ec);
}

void RtcShard::syncSendCounters() {
  RtcCounters::add(counters_.packets_sent, batch_.sent() - counted_sent_);
  RtcCounters::add(counters_.send_dropped, batch_.dropped() - counted_dropped_);
  RtcCounters::add(counters_.send_syscalls, batch_.syscalls() - counted_syscalls_);
  RtcCounters::add(counters_.bytes_sent, batch_.bytes() - counted_bytes_);
  counted_sent_ = batch_.sent();
  counted_dropped_ = batch_.dropped();
  counted_syscalls_ = batch_.syscalls();
  counted_bytes_ = batch_.bytes();
}

std::vector<RtcShard::SessionView> RtcShard::sessions() const {
  std::vector<SessionView> views;
  for (const auto& [ufrag, peer] : sessions_) {
    if (peer->role() != SessionRole::kViewer) continue;
    const auto& session = static_cast<const ViewerSession&>(*peer);
    views.push_back({session.token(), session.stream().slug(), session.phase(), session.stats()});
  }
  return views;
}

void RtcShard::publishHealth(const PublisherSession& session) {
  const auto stats = session.stats();
  RtcService::BroadcastHealth health;
  health.connected = stats.live;
  health.video_bitrate_bps = stats.video_bitrate_bps;
  health.audio_bitrate_bps = stats.audio_bitrate_bps;
  health.keyframe_interval_s = stats.keyframe_interval_s;
  health.video_loss = stats.video_fraction_lost / 256.0;
  health.packets = stats.packets;
  health.rejected = stats.rejected;
  health.nacks_sent = stats.nacks_sent;
  health.recovered = stats.recovered;
  health.lost = stats.given_up;
  health.keyframe_requests = stats.keyframe_requests;
  health.b_frames = stats.b_frames;
  for (const auto& track : session.stream().tracks()) {
    if (track.kind == MediaKind::kVideo) health.video_codec = track.codec;
  }
  service_.reportBroadcastHealth(session.stream().slug(), session.token(), health);
}

}  // namespace throng::rtc
