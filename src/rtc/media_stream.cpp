#include "rtc/media_stream.h"

#include "rtc/rtc_shard.h"
#include "rtc/rtp.h"

#include <openssl/rand.h>

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
    next_sequence_.push_back(static_cast<std::uint16_t>(randomUint32()));
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

std::uint16_t MediaStream::nextSequence(int track) const {
  std::lock_guard lock(publish_mutex_);
  return next_sequence_.at(static_cast<std::size_t>(track));
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
    auto packet = std::make_shared<MediaPacket>();
    packet->track = payload.track;
    if (payload.sequence) {
      packet->sequence = *payload.sequence;
      const auto following = static_cast<std::uint16_t>(*payload.sequence + 1);
      if (sequenceNewer(following, next_sequence_[track])) next_sequence_[track] = following;
    } else {
      packet->sequence = next_sequence_[track]++;
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

void MediaStream::requestKeyframe() { requestKeyframeAfter(kKeyframeRequestIntervalMs); }

void MediaStream::requestKeyframeForNewViewer() {
  requestKeyframeAfter(kNewViewerKeyframeIntervalMs);
}

bool MediaStream::requestKeyframeAfter(std::int64_t min_interval_ms) {
  const auto now = steadyMillis();
  auto last = last_keyframe_request_ms_.load(std::memory_order_relaxed);
  if (last != 0 && now - last < min_interval_ms) {
    auto deferred = deferred_interval_ms_.load(std::memory_order_relaxed);
    while ((deferred == 0 || min_interval_ms < deferred) &&
           !deferred_interval_ms_.compare_exchange_weak(deferred, min_interval_ms)) {
    }
    return false;
  }
  if (!last_keyframe_request_ms_.compare_exchange_strong(last, now)) return false;  // another won
  deferred_interval_ms_.store(0, std::memory_order_relaxed);  // this request answers them
  keyframes_requested_.fetch_add(1, std::memory_order_relaxed);
  // Under the lock: a publisher that released the stream is never called after it returned.
  std::lock_guard lock(publish_mutex_);
  if (keyframes_) keyframes_->onKeyframeWanted();
  return true;
}

void MediaStream::retryDeferredKeyframeRequest() {
  const auto deferred = deferred_interval_ms_.load(std::memory_order_relaxed);
  if (deferred != 0) requestKeyframeAfter(deferred);
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
