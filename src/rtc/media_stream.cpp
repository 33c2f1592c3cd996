#include "rtc/media_stream.h"

#include "rtc/rtc_shard.h"
#include "rtc/rtp.h"
#include "rtc/sdp_text.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace throng::rtc {

namespace {

// Dynamic payload types (RFC 3551 §6) for the stream's own packets; each viewer gets the
// numbers its offer used, rewritten in its copy.
constexpr std::uint8_t kVideoPayloadType = 96;
constexpr std::uint8_t kAudioPayloadType = 111;
constexpr std::int64_t kKeyframeRequestIntervalMs = 1000;
constexpr std::int64_t kNewViewerKeyframeIntervalMs = 500;

std::uint32_t randomUint32() {
  std::uint32_t value = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
  return value;
}

std::int64_t steadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MediaStream::MediaStream(std::string slug, std::vector<TrackDescription> tracks,
                         std::vector<RtcShard*> shards)
    : slug_(std::move(slug)),
      tracks_(std::move(tracks)),
      shards_(std::move(shards)),
      viewers_per_shard_(std::make_unique<std::atomic<std::int64_t>[]>(shards_.size())) {
  // RFC 3550 §5.1/§8: SSRCs and initial sequence numbers are random.
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    ssrcs_.push_back(randomUint32());
    for (int layer = 0; layer < kMaxLayers; ++layer) {
      next_sequence_.push_back(static_cast<std::uint16_t>(randomUint32()));
    }
  }
  for (std::size_t i = 0; i < shards_.size(); ++i) viewers_per_shard_[i].store(0);
  clocks_.resize(tracks_.size());
}

std::optional<std::uint32_t> MediaStream::rtpTimestampAt(
    int track, std::chrono::steady_clock::time_point when) const {
  if (track < 0 || static_cast<std::size_t>(track) >= tracks_.size()) return std::nullopt;
  const auto index = static_cast<std::size_t>(track);
  ClockReference reference;
  {
    std::lock_guard lock(clock_mutex_);
    reference = clocks_[index];
  }
  if (!reference.valid) return std::nullopt;
  const double elapsed_s = std::chrono::duration<double>(when - reference.captured).count();
  const auto ticks = static_cast<std::int64_t>(
      std::llround(elapsed_s * static_cast<double>(tracks_[index].clock_rate)));
  // Modulo 2^32, as RTP timestamps are (a negative offset wraps the right way).
  return static_cast<std::uint32_t>(reference.rtp_timestamp + static_cast<std::uint32_t>(ticks));
}

int MediaStream::trackOfSsrc(std::uint32_t ssrc) const {
  for (std::size_t i = 0; i < ssrcs_.size(); ++i) {
    if (ssrcs_[i] == ssrc) return static_cast<int>(i);
  }
  return -1;
}

std::uint8_t MediaStream::payloadType(int track) const {
  return tracks_.at(static_cast<std::size_t>(track)).kind == MediaKind::kAudio
             ? kAudioPayloadType
             : kVideoPayloadType;
}

std::uint64_t MediaStream::claimPublisher(KeyframeListener* keyframes) {
  std::lock_guard lock(publish_mutex_);
  const std::uint64_t id = ++last_publisher_;
  publisher_.store(id, std::memory_order_relaxed);
  keyframes_ = keyframes;
  return id;
}

void MediaStream::releasePublisher(std::uint64_t publisher) {
  std::lock_guard lock(publish_mutex_);
  if (publisher_.load(std::memory_order_relaxed) != publisher) return;
  publisher_.store(0, std::memory_order_relaxed);
  keyframes_ = nullptr;
}

std::uint16_t MediaStream::nextSequence(int track, int layer) const {
  std::lock_guard lock(publish_mutex_);
  return next_sequence_.at(static_cast<std::size_t>(track) * kMaxLayers + layerIndex(layer));
}

void MediaStream::setLayers(std::uint64_t publisher, std::vector<std::string> rids) {
  if (publisher == 0 || publisher_.load(std::memory_order_relaxed) != publisher) return;
  if (rids.size() > kMaxSimulcastLayers) rids.resize(kMaxSimulcastLayers);
  std::lock_guard lock(rids_mutex_);
  if (rids != rids_) {
    for (auto& layer : layers_) {  // a new publisher's layers are measured afresh
      layer.bitrate_bps.store(0, std::memory_order_relaxed);
      layer.width.store(0, std::memory_order_relaxed);
      layer.height.store(0, std::memory_order_relaxed);
    }
  }
  rids_ = std::move(rids);
}

void MediaStream::reportLayer(int layer, std::uint64_t bitrate_bps, int width, int height) {
  auto& state = layers_[layerIndex(layer)];
  state.bitrate_bps.store(bitrate_bps, std::memory_order_relaxed);
  if (width > 0 && height > 0) {
    state.width.store(width, std::memory_order_relaxed);
    state.height.store(height, std::memory_order_relaxed);
  }
}

std::vector<LayerView> MediaStream::layers(std::chrono::steady_clock::time_point now) const {
  std::vector<LayerView> views;
  {
    std::lock_guard lock(rids_mutex_);
    for (std::size_t i = 0; i < rids_.size(); ++i) {
      LayerView view;
      view.layer = static_cast<int>(i);
      view.rid = rids_[i];
      views.push_back(std::move(view));
    }
  }
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  for (auto& view : views) {
    const auto& state = layers_[static_cast<std::size_t>(view.layer)];
    view.bitrate_bps = state.bitrate_bps.load(std::memory_order_relaxed);
    view.width = state.width.load(std::memory_order_relaxed);
    view.height = state.height.load(std::memory_order_relaxed);
    const auto last = state.last_packet_ms.load(std::memory_order_relaxed);
    view.active = live() && last != 0 && now_ms - last <= kLayerIdle.count();
  }
  // Lowest quality first: the picture size says it when known (VP8 keyframes carry it), the
  // bitrate otherwise; the publisher's order breaks ties.
  std::stable_sort(views.begin(), views.end(), [](const LayerView& a, const LayerView& b) {
    if (a.height != b.height && a.height > 0 && b.height > 0) return a.height < b.height;
    return a.bitrate_bps < b.bitrate_bps;
  });
  return views;
}

bool MediaStream::publish(std::uint64_t publisher, std::vector<StreamPayload> payloads) {
  std::unique_lock publishing(publish_mutex_);
  if (publisher == 0 || publisher_.load(std::memory_order_relaxed) != publisher) return false;
  std::vector<MediaPacketRef> packets;
  packets.reserve(payloads.size());
  std::uint64_t bytes = 0;
  {
    // The newest packet of each track is the clock reference for sender reports.
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(clock_mutex_);
    for (const auto& payload : payloads) {
      if (payload.track < 0 || static_cast<std::size_t>(payload.track) >= clocks_.size()) continue;
      if (payload.retransmission) continue;
      auto& reference = clocks_[static_cast<std::size_t>(payload.track)];
      reference.valid = true;
      reference.rtp_timestamp = payload.rtp_timestamp;
      reference.captured = payload.captured == std::chrono::steady_clock::time_point{}
                               ? now
                               : payload.captured;
    }
  }
  for (auto& payload : payloads) {
    if (payload.track < 0 || static_cast<std::size_t>(payload.track) >= tracks_.size()) continue;
    const auto track = static_cast<std::size_t>(payload.track);
    const auto layer = layerIndex(payload.layer);
    auto& next = next_sequence_[track * kMaxLayers + layer];
    auto packet = std::make_shared<MediaPacket>();
    packet->track = payload.track;
    packet->layer = static_cast<int>(layer);
    if (payload.sequence) {
      packet->sequence = *payload.sequence;
      const auto following = static_cast<std::uint16_t>(*payload.sequence + 1);
      if (sequenceNewer(following, next)) next = following;
    } else {
      packet->sequence = next++;
    }
    if (tracks_[track].kind == MediaKind::kVideo) {
      layers_[layer].last_packet_ms.store(steadyMillis(), std::memory_order_relaxed);
      if (sdp_text::iequals(tracks_[track].codec, "VP8")) {
        packet->vp8 = media::parseVp8Descriptor(std::span<const std::uint8_t>(
            reinterpret_cast<const std::uint8_t*>(payload.bytes.data()), payload.bytes.size()));
      }
    }
    packet->keyframe_start = payload.keyframe_start;
    packet->bytes.resize(kRtpFixedHeaderSize + payload.bytes.size());
    auto* data = reinterpret_cast<std::uint8_t*>(packet->bytes.data());
    RtpHeaderFields header;
    header.marker = payload.marker;
    header.payload_type = payloadType(payload.track);
    header.sequence = packet->sequence;
    header.timestamp = payload.rtp_timestamp;
    header.ssrc = ssrcs_[track];
    writeRtpHeader(std::span<std::uint8_t, kRtpFixedHeaderSize>(data, kRtpFixedHeaderSize),
                   header);
    std::memcpy(data + kRtpFixedHeaderSize, payload.bytes.data(), payload.bytes.size());
    bytes += packet->bytes.size();
    packets.push_back(std::move(packet));
  }
  publishing.unlock();  // the posts below need no order among publishers: there is one
  packets_.fetch_add(packets.size(), std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  if (packets.empty()) return true;
  // One post per worker with viewers; the vector of references is the only copy.
  auto self = shared_from_this();
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (viewers_per_shard_[i].load(std::memory_order_relaxed) == 0) continue;
    shards_[i]->postStreamPackets(self, packets);
  }
  return true;
}

void MediaStream::requestKeyframe(int layer) {
  requestKeyframeAfter(layer, kKeyframeRequestIntervalMs);
}

void MediaStream::requestKeyframeForNewViewer(int layer) {
  requestKeyframeAfter(layer, kNewViewerKeyframeIntervalMs);
}

bool MediaStream::requestKeyframeAfter(int layer, std::int64_t min_interval_ms) {
  auto& requests = layer_keyframes_[layerIndex(layer)];
  const auto now = steadyMillis();
  auto last = requests.last_ms.load(std::memory_order_relaxed);
  if (last != 0 && now - last < min_interval_ms) {
    auto deferred = requests.deferred_interval_ms.load(std::memory_order_relaxed);
    while ((deferred == 0 || min_interval_ms < deferred) &&
           !requests.deferred_interval_ms.compare_exchange_weak(deferred, min_interval_ms)) {
    }
    return false;
  }
  if (!requests.last_ms.compare_exchange_strong(last, now)) return false;  // another won
  requests.deferred_interval_ms.store(0, std::memory_order_relaxed);  // this answers them
  requests.requested.fetch_add(1, std::memory_order_relaxed);
  keyframes_requested_.fetch_add(1, std::memory_order_relaxed);
  // Under the lock: a publisher that released the stream is never called after it returned.
  std::lock_guard lock(publish_mutex_);
  if (keyframes_ && layerIndex(layer) == 0) keyframes_->onKeyframeWanted();
  return true;
}

void MediaStream::retryDeferredKeyframeRequest() {
  for (int layer = 0; layer < kMaxLayers; ++layer) {
    const auto deferred = layer_keyframes_[static_cast<std::size_t>(layer)]
                              .deferred_interval_ms.load(std::memory_order_relaxed);
    if (deferred != 0) requestKeyframeAfter(layer, deferred);
  }
}

void MediaStream::viewerJoined(int shard) {
  viewers_per_shard_[static_cast<std::size_t>(shard)].fetch_add(1);
}

void MediaStream::viewerLeft(int shard) {
  viewers_per_shard_[static_cast<std::size_t>(shard)].fetch_sub(1);
}

std::int64_t MediaStream::viewers() const {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < shards_.size(); ++i) total += viewers_per_shard_[i].load();
  return total;
}

MediaStream::Stats MediaStream::stats() const {
  return {packets_.load(std::memory_order_relaxed), bytes_.load(std::memory_order_relaxed),
          keyframes_requested_.load(std::memory_order_relaxed)};
}

}  // namespace throng::rtc
