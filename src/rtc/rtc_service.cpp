#include "rtc/rtc_service.h"

#include "net/worker.h"
#include "rtc/dtls.h"
#include "rtc/rtc_shard.h"
#include "rtc/srtp.h"

#include <boost/asio/io_context.hpp>

#include <future>

namespace throng::rtc {

using udp = boost::asio::ip::udp;

RtcService::RtcService(RtcOptions options, std::vector<net::Worker*> workers)
    : options_(std::move(options)),
      workers_(std::move(workers)),
      registry_(options_.max_viewers, options_.max_viewers_per_event) {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    shards_.push_back(std::make_unique<RtcShard>(static_cast<int>(i), *workers_[i], *this));
  }
}

RtcService::~RtcService() = default;

Status RtcService::open() {
  auto certificate = DtlsCertificate::generate();
  if (!certificate) return makeError("DTLS certificate: " + certificate.error().message);
  certificate_ = std::move(certificate.value());
  auto context = DtlsContext::create(certificate_, DtlsRole::kServer);
  if (!context) return makeError("DTLS context: " + context.error().message);
  dtls_context_ = std::move(context.value());

  // SO_REUSEPORT would let a second server of the same user share a fixed port silently:
  // bind it once without the option first, which fails if anyone holds it.
  udp::endpoint endpoint(options_.bind, options_.port);
  if (endpoint.port() != 0) {
    boost::asio::io_context io;
    udp::socket probe(io);
    boost::system::error_code ec;
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec) {
      return makeError("cannot bind UDP " + endpoint.address().to_string() + ":" +
                       std::to_string(endpoint.port()) + ": " + ec.message());
    }
  }
  // Port 0: the first socket picks the port and every other worker joins it.
  for (auto& shard : shards_) {
    if (auto opened = shard->open(endpoint); !opened) return opened.error();
    endpoint.port(shard->port());
  }
  candidates_.clear();
  if (options_.advertise.empty()) {
    if (options_.bind.is_unspecified()) {
      return makeError(
          "a wildcard bind address cannot be advertised to viewers: set webrtc.advertise");
    }
    candidates_.emplace_back(options_.bind, endpoint.port());
  } else {
    for (const auto& address : options_.advertise) candidates_.emplace_back(address, endpoint.port());
  }
  return {};
}

std::uint16_t RtcService::port() const { return shards_.empty() ? 0 : shards_.front()->port(); }

void RtcService::start() {
  for (auto& shard : shards_) shard->start();
}

void RtcService::stop() {
  std::vector<std::future<void>> done;
  for (auto& shard : shards_) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    shard->worker().post([shard = shard.get(), promise] {
      shard->stop();
      promise->set_value();
    });
  }
  // Bounded: a worker busy elsewhere still answers within its own timeouts.
  for (auto& future : done) future.wait_for(std::chrono::seconds(5));
}

std::shared_ptr<MediaStream> RtcService::newStream(std::string slug,
                                                   std::vector<TrackDescription> tracks) {
  std::vector<RtcShard*> shards;
  for (auto& shard : shards_) shards.push_back(shard.get());
  return std::make_shared<MediaStream>(std::move(slug), std::move(tracks), std::move(shards));
}

std::shared_ptr<MediaStream> RtcService::openStream(std::string slug,
                                                    std::vector<TrackDescription> tracks) {
  auto stream = newStream(std::move(slug), std::move(tracks));
  adoptStream(stream);
  return stream;
}

void RtcService::closeStream(std::string_view slug) {
  std::shared_ptr<MediaStream> closed;
  {
    std::lock_guard lock(streams_mutex_);
    if (auto it = streams_.find(slug); it != streams_.end()) {
      closed = std::move(it->second);
      streams_.erase(it);
    }
  }
  if (closed) endStream(closed);
}

void RtcService::endStream(const std::shared_ptr<MediaStream>& stream) {
  stream->releasePublisher(stream->currentPublisher());
  for (auto& shard : shards_) shard->postCloseStream(stream);
}

std::shared_ptr<MediaStream> RtcService::findStream(std::string_view slug) const {
  std::lock_guard lock(streams_mutex_);
  auto it = streams_.find(slug);
  return it == streams_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<MediaStream>> RtcService::streams() const {
  std::lock_guard lock(streams_mutex_);
  std::vector<std::shared_ptr<MediaStream>> all;
  for (const auto& [slug, stream] : streams_) all.push_back(stream);
  return all;
}

void RtcService::adoptStream(const std::shared_ptr<MediaStream>& stream) {
  std::shared_ptr<MediaStream> replaced;
  {
    std::lock_guard lock(streams_mutex_);
    auto& slot = streams_[stream->slug()];
    if (slot == stream) return;
    replaced = std::exchange(slot, stream);
  }
  if (replaced) endStream(replaced);
}

RtcService::BroadcastAdmission RtcService::beginBroadcast(std::string_view slug,
                                                          std::string token, bool takeover) {
  std::string previous;
  {
    std::lock_guard lock(broadcasts_mutex_);
    auto it = broadcasts_.find(slug);
    // A holder the registry no longer knows (its plan expired unclaimed) holds nothing.
    if (it != broadcasts_.end() && !registry_.find(slug, it->second.token)) {
      broadcasts_.erase(it);
      it = broadcasts_.end();
    }
    if (it != broadcasts_.end()) {
      if (!takeover) return BroadcastAdmission::kBusy;
      previous = std::exchange(it->second.token, std::move(token));
      it->second.health = {};
    } else {
      broadcasts_.emplace(std::string(slug), Broadcast{std::move(token), {}});
    }
  }
  if (!previous.empty()) {
    if (auto owner = registry_.find(slug, previous)) {
      if (owner->pending) {
        registry_.cancelPending(previous);
      } else {
        shard(owner->shard).postClose(previous, CloseReason::kReplaced);
      }
    }
  }
  return BroadcastAdmission::kAdmitted;
}

void RtcService::endBroadcast(std::string_view slug, std::string_view token) {
  std::lock_guard lock(broadcasts_mutex_);
  auto it = broadcasts_.find(slug);
  if (it != broadcasts_.end() && it->second.token == token) broadcasts_.erase(it);
}

void RtcService::reportBroadcastHealth(std::string_view slug, std::string_view token,
                                       const BroadcastHealth& health) {
  std::lock_guard lock(broadcasts_mutex_);
  auto it = broadcasts_.find(slug);
  if (it != broadcasts_.end() && it->second.token == token) it->second.health = health;
}

std::optional<RtcService::BroadcastHealth> RtcService::broadcastHealth(
    std::string_view slug) const {
  std::lock_guard lock(broadcasts_mutex_);
  auto it = broadcasts_.find(slug);
  if (it == broadcasts_.end()) return std::nullopt;
  return it->second.health;
}

SrtpImplementation RtcService::srtpImplementation() const {
  return options_.use_libsrtp ? SrtpImplementation::kLibSrtp : SrtpImplementation::kOpenSsl;
}

RtcService::Totals RtcService::totals() const {
  Totals t;
  for (const auto& shard : shards_) {
    const auto& c = shard->counters();
    auto get = [](const RtcCounters::Count& count) { return RtcCounters::get(count); };
    t.datagrams_in += get(c.datagrams_in);
    t.dropped_unknown += get(c.dropped_unknown);
    t.stun_rejected += get(c.stun_rejected);
    t.stun_answered += get(c.stun_answered);
    t.dtls_failed += get(c.dtls_failed);
    t.srtcp_rejected += get(c.srtcp_rejected);
    t.rtp_from_viewer += get(c.rtp_from_viewer);
    t.packets_sent += get(c.packets_sent);
    t.bytes_sent += get(c.bytes_sent);
    t.send_dropped += get(c.send_dropped);
    t.send_syscalls += get(c.send_syscalls);
    t.nacks_received += get(c.nacks_received);
    t.retransmitted += get(c.retransmitted);
    t.retransmit_missing += get(c.retransmit_missing);
    t.retransmit_limited += get(c.retransmit_limited);
    t.keyframe_requests += get(c.keyframe_requests);
    t.sessions_connected += get(c.sessions_connected);
    t.sessions_closed += get(c.sessions_closed);
    t.consent_expired += get(c.consent_expired);
    t.setup_expired += get(c.setup_expired);
    t.ingest_packets += get(c.ingest_packets);
    t.ingest_bytes += get(c.ingest_bytes);
    t.ingest_rejected += get(c.ingest_rejected);
    t.ingest_duplicates += get(c.ingest_duplicates);
    t.ingest_nacks_sent += get(c.ingest_nacks_sent);
    t.ingest_recovered += get(c.ingest_recovered);
    t.ingest_keyframe_requests += get(c.ingest_keyframe_requests);
    t.sessions_active += c.sessions_active.load(std::memory_order_relaxed);
  }
  return t;
}

}  // namespace throng::rtc
