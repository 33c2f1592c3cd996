// RtcService: the WebRTC engine as the rest of the server sees it — one shard per worker on one
// UDP port, the DTLS certificate, the session registry and the live streams by event. WHEP
// (whep_endpoint.h) and publishers (the test source, WHIP) use it; `server` wires it.
#pragma once

#include "base/result.h"
#include "rtc/media_stream.h"
#include "rtc/rtc_options.h"
#include "rtc/session_registry.h"

#include <boost/asio/ip/udp.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::net {
class Worker;
}

namespace throng::rtc {

class DtlsCertificate;
class DtlsContext;
class RtcShard;
enum class SrtpImplementation;

class RtcService {
 public:
  // Non-owning: the workers outlive the service.
  RtcService(RtcOptions options, std::vector<net::Worker*> workers);
  ~RtcService();
  RtcService(const RtcService&) = delete;
  RtcService& operator=(const RtcService&) = delete;

  // Startup thread: makes the certificate and opens every worker's socket on the media port.
  Status open();
  std::uint16_t port() const;
  // The host candidates answers carry (RFC 8839 §5.1).
  const std::vector<boost::asio::ip::udp::endpoint>& candidates() const { return candidates_; }
  // After the workers started: start receiving.
  void start();
  // While the workers still run: close every session (DTLS close_notify) and the sockets.
  // Blocks until each worker has done so.
  void stop();

  // Streams, by event slug. Any thread. Opening replaces the event's stream if it has one (a
  // publisher with other codecs): the old one is closed as closeStream() does.
  std::shared_ptr<MediaStream> openStream(std::string slug, std::vector<TrackDescription> tracks);
  // A stream not on the air yet (a publisher's, until it connects: adoptStream).
  std::shared_ptr<MediaStream> newStream(std::string slug, std::vector<TrackDescription> tracks);
  // Takes the stream off the air: its viewers' sessions are closed (DTLS close_notify; a
  // player that reconnects finds the event's next stream, or a 404).
  void closeStream(std::string_view slug);
  std::shared_ptr<MediaStream> findStream(std::string_view slug) const;
  std::vector<std::shared_ptr<MediaStream>> streams() const;
  // A publisher's stream goes on the air (the event's current stream, or a new one of other
  // codecs that replaces it). No effect if it already is the event's stream.
  void adoptStream(const std::shared_ptr<MediaStream>& stream);

  // WHIP: one publisher per event at a time. Any thread.
  enum class BroadcastAdmission { kAdmitted, kBusy };
  // Reserves the event for the publisher session `token`. Another publisher holds it: kBusy,
  // unless `takeover`, in which case that one is closed and this one admitted.
  BroadcastAdmission beginBroadcast(std::string_view slug, std::string token, bool takeover);
  // The publisher session `token` ended (no effect if it no longer holds the event).
  void endBroadcast(std::string_view slug, std::string_view token);

  // What the streamer's studio shows: the publisher's health, updated about once a second.
  struct BroadcastHealth {
    bool connected = false;  // ICE and DTLS done, media flowing into the stream
    double video_bitrate_bps = 0, audio_bitrate_bps = 0;
    double keyframe_interval_s = 0;
    double video_loss = 0;  // fraction lost upstream in the last second, before NACKs
    std::uint64_t packets = 0, rejected = 0, nacks_sent = 0, recovered = 0, lost = 0,
                  keyframe_requests = 0, b_frames = 0;
    std::string video_codec;
  };
  void reportBroadcastHealth(std::string_view slug, std::string_view token,
                             const BroadcastHealth& health);
  // nullopt: nobody publishes to the event.
  std::optional<BroadcastHealth> broadcastHealth(std::string_view slug) const;

  // For shards, sessions and the WHEP endpoint.
  const RtcOptions& options() const { return options_; }
  SessionRegistry& registry() { return registry_; }
  DtlsContext& dtlsContext() { return *dtls_context_; }
  const DtlsCertificate& certificate() const { return *certificate_; }
  SrtpImplementation srtpImplementation() const;
  int shardCount() const { return static_cast<int>(shards_.size()); }
  RtcShard& shard(int index) { return *shards_.at(static_cast<std::size_t>(index)); }

  // Counters summed over the workers, by name (for /metrics and the bench).
  struct Totals {
    std::uint64_t datagrams_in = 0, dropped_unknown = 0, stun_rejected = 0, stun_answered = 0,
                  dtls_failed = 0, srtcp_rejected = 0, rtp_from_viewer = 0, packets_sent = 0,
                  bytes_sent = 0, send_dropped = 0, send_syscalls = 0, nacks_received = 0,
                  retransmitted = 0, retransmit_missing = 0, retransmit_limited = 0,
                  keyframe_requests = 0, sessions_connected = 0, sessions_closed = 0,
                  consent_expired = 0, setup_expired = 0, ingest_packets = 0, ingest_bytes = 0,
                  ingest_rejected = 0, ingest_duplicates = 0, ingest_nacks_sent = 0,
                  ingest_recovered = 0, ingest_keyframe_requests = 0;
    std::int64_t sessions_active = 0;
  };
  Totals totals() const;

 private:
  void endStream(const std::shared_ptr<MediaStream>& stream);

  RtcOptions options_;
  std::vector<net::Worker*> workers_;
  std::vector<std::unique_ptr<RtcShard>> shards_;
  std::shared_ptr<const DtlsCertificate> certificate_;
  std::unique_ptr<DtlsContext> dtls_context_;
  std::vector<boost::asio::ip::udp::endpoint> candidates_;
  SessionRegistry registry_;
  mutable std::mutex streams_mutex_;
  std::map<std::string, std::shared_ptr<MediaStream>, std::less<>> streams_;
  struct Broadcast {
    std::string token;  // the publisher session's
    BroadcastHealth health;
  };
  mutable std::mutex broadcasts_mutex_;
  std::map<std::string, Broadcast, std::less<>> broadcasts_;
};

}  // namespace throng::rtc
