// MediaStream: one event's live stream as the WebRTC engine fans it out. A publisher (the
// built-in test source, or a WHIP ingest that takes over from it) hands it RTP payloads; the
// stream gives them headers once, keeps the result as shared immutable packets and posts one
// reference batch to each worker that has viewers of the stream (design.md §5 step 4).
//
// The stream outlives its publishers: viewers stay connected while it is offline (nobody
// publishing) and see the next publisher's media without reconnecting. Its SSRCs and sequence
// numbers are its own, so a change of publisher looks to a viewer like one continuous stream.
//
// Threads: any; publish() is serialized by a mutex (one publisher at a time).
#pragma once

#include "rtc/media_packet.h"
#include "rtc/sdp.h"
#include "rtc/simulcast.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::rtc {

class RtcShard;

struct TrackDescription {
  MediaKind kind = MediaKind::kVideo;
  std::string codec;  // "VP8", "H264", "opus"
  std::uint32_t clock_rate = 90000;
  int channels = 1;
  std::string fmtp;  // put in answers as it is
};

// One RTP payload from the publisher, in send order.
struct StreamPayload {
  int track = 0;
  int layer = 0;  // the simulcast encoding (0 without simulcast)
  std::string bytes;
  std::uint32_t rtp_timestamp = 0;
  // The stream's sequence number for this payload; unset: the next one. An ingest forwards
  // its publisher's numbering (shifted), so that a packet lost upstream leaves a gap the
  // viewers see and a late retransmission fills it.
  std::optional<std::uint16_t> sequence;
  bool marker = false;
  bool keyframe_start = false;
  // When the media was captured, on the steady clock (unset: when published). With
  // rtp_timestamp it ties the track's RTP clock to wall time for sender reports.
  std::chrono::steady_clock::time_point captured{};
  // A late retransmission (older than what was published): the clock reference stays.
  bool retransmission = false;
};

// The CNAME of every stream's tracks (RFC 3550 §6.5.1): one name, so the player synchronizes
// audio with video.
inline constexpr std::string_view kStreamCname = "throng";

// Implemented by the publisher: viewers asked for a keyframe (already debounced).
class KeyframeListener {
 public:
  virtual ~KeyframeListener() = default;
  virtual void onKeyframeWanted() = 0;  // of layer 0, the only one a listener publishes
};

// One simulcast layer as the viewers' layer choice sees it.
struct LayerView {
  int layer = 0;
  std::string rid;
  std::uint64_t bitrate_bps = 0;  // as received from the publisher over the last second
  int width = 0, height = 0;      // from its latest keyframe; 0 = not known (H.264)
  bool active = false;            // packets within the last kLayerIdle
};

// Always held by shared_ptr: workers keep the stream alive while its packets are in flight.
class MediaStream : public std::enable_shared_from_this<MediaStream> {
 public:
  static constexpr int kMaxLayers = static_cast<int>(kMaxSimulcastLayers);
  // A layer that sent nothing for this long is off (a browser drops its top encoding when its
  // CPU or uplink cannot keep up): its viewers move to another.
  static constexpr std::chrono::milliseconds kLayerIdle{1500};

  // `shards`: one per worker, in worker order; non-owning, they outlive the stream's packets
  // (the service stops the workers before it drops its shards). Nobody publishes until a
  // publisher claims the stream.
  MediaStream(std::string slug, std::vector<TrackDescription> tracks,
              std::vector<RtcShard*> shards);

  const std::string& slug() const { return slug_; }
  const std::vector<TrackDescription>& tracks() const { return tracks_; }
  std::uint32_t ssrc(int track) const { return ssrcs_.at(static_cast<std::size_t>(track)); }
  // The track whose SSRC this is, or -1.
  int trackOfSsrc(std::uint32_t ssrc) const;
  // The payload type the stream's own packets carry for `track` (rewritten per viewer).
  std::uint8_t payloadType(int track) const;
  // Any thread. The RTP timestamp `track` reads at `when`, extrapolated from its latest
  // published packet (RFC 3550 §6.4.1: the SR's RTP time "corresponds to the same time as the
  // NTP timestamp"); nothing before the first packet.
  std::optional<std::uint32_t> rtpTimestampAt(int track,
                                              std::chrono::steady_clock::time_point when) const;

  // Any thread. A publisher takes the stream; the one before it (if any) is cut off: its
  // publish() calls are refused from now on and its listener hears no more keyframe requests.
  // `keyframes` may be null (the publisher polls keyframeRequests()). Returns the publisher's
  // number for publish() and releasePublisher().
  std::uint64_t claimPublisher(KeyframeListener* keyframes);
  // The publisher leaves: the stream goes offline, unless another has claimed it since.
  void releasePublisher(std::uint64_t publisher);
  // A publisher holds the stream (it is live).
  bool live() const { return publisher_.load(std::memory_order_relaxed) != 0; }
  std::uint64_t currentPublisher() const { return publisher_.load(std::memory_order_relaxed); }

  // One encoded frame (or audio block) cut into payloads, from the current publisher. False
  // (nothing published) when `publisher` is not the current one.
  bool publish(std::uint64_t publisher, std::vector<StreamPayload> payloads);
  // The sequence number the stream's next packet of `track` (`layer`) would get.
  std::uint16_t nextSequence(int track, int layer = 0) const;

  // Simulcast. The publisher names its layers (empty: one layer, 0) when it takes the stream;
  // the names stay while the stream is offline. Any thread.
  void setLayers(std::uint64_t publisher, std::vector<std::string> rids);
  // About once a second per layer, from the publisher: what arrives of it, and its picture
  // size when a keyframe showed it (0: unchanged).
  void reportLayer(int layer, std::uint64_t bitrate_bps, int width, int height);
  // The layers, lowest quality first (by picture height, then bitrate); empty without
  // simulcast. Read by viewers about once a second and by the WHEP layer resource.
  std::vector<LayerView> layers(std::chrono::steady_clock::time_point now) const;

  // Any thread. Viewers' PLI/FIR ask for a keyframe; the publisher hears at most one request
  // per second (design.md §5 step 5) — an encoder asked 1,000 times a second would send
  // nothing but keyframes. A new viewer, who sees nothing until a keyframe, may ask after half
  // that: its wait is the setup time, and two keyframes a second during a join storm cost
  // less than a second of black screen for everyone arriving. A request that comes too soon
  // is not forgotten: it is passed on when the interval has run out (by retryDeferred…), so
  // that a viewer who asked gets its keyframe even if nobody asks again.
  // Per simulcast layer: a viewer switching layers waits for a keyframe of the new one, like
  // a new viewer.
  void requestKeyframe(int layer = 0);
  void requestKeyframeForNewViewer(int layer = 0);
  // Any thread; the workers call it on their tick (every 100 ms).
  void retryDeferredKeyframeRequest();
  // Requests passed on so far: a publisher without a listener sends a PLI when this grows.
  std::uint64_t keyframeRequests(int layer = 0) const {
    return layer_keyframes_[layerIndex(layer)].requested.load(std::memory_order_relaxed);
  }

  // Workers' viewer counts, so that packets are posted only where someone watches.
  void viewerJoined(int shard);
  void viewerLeft(int shard);
  std::int64_t viewers() const;

  struct Stats {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint64_t keyframes_requested = 0;  // passed on to the publisher
  };
  Stats stats() const;

 private:
  const std::string slug_;
  const std::vector<TrackDescription> tracks_;
  std::vector<std::uint32_t> ssrcs_;
  const std::vector<RtcShard*> shards_;
  std::unique_ptr<std::atomic<std::int64_t>[]> viewers_per_shard_;

  // The publisher: its number (0 = offline) and listener. Written under publish_mutex_, read
  // without it on the viewers' paths.
  mutable std::mutex publish_mutex_;
  std::atomic<std::uint64_t> publisher_{0};
  std::uint64_t last_publisher_ = 0;           // publish_mutex_
  KeyframeListener* keyframes_ = nullptr;      // publish_mutex_
  std::vector<std::uint16_t> next_sequence_;   // publish_mutex_; per track and layer
  bool requestKeyframeAfter(int layer, std::int64_t min_interval_ms);
  static std::size_t layerIndex(int layer) {
    return layer >= 0 && layer < kMaxLayers ? static_cast<std::size_t>(layer) : 0;
  }

  struct LayerState {
    std::atomic<std::int64_t> last_packet_ms{0};
    std::atomic<std::uint64_t> bitrate_bps{0};
    std::atomic<int> width{0}, height{0};
  };
  std::array<LayerState, kMaxSimulcastLayers> layers_;
  mutable std::mutex rids_mutex_;
  std::vector<std::string> rids_;  // rids_mutex_

  struct ClockReference {  // one published packet's RTP time and capture instant
    bool valid = false;
    std::uint32_t rtp_timestamp = 0;
    std::chrono::steady_clock::time_point captured;
  };
  mutable std::mutex clock_mutex_;  // read about once a second per viewer and track
  std::vector<ClockReference> clocks_;  // per track

  struct KeyframeRequests {  // per layer
    std::atomic<std::int64_t> last_ms{0};
    // The shortest interval of the requests held back since the last one passed on; 0 = none.
    std::atomic<std::int64_t> deferred_interval_ms{0};
    std::atomic<std::uint64_t> requested{0};
  };
  std::array<KeyframeRequests, kMaxSimulcastLayers> layer_keyframes_;
  std::atomic<std::uint64_t> packets_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> keyframes_requested_{0};
};

}  // namespace throng::rtc
