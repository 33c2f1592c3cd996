// PublisherSession: one WHIP publisher (RFC 9725) on the worker that owns it (PeerSession:
// ICE, DTLS, SRTP, consent). It takes the event's stream when its handshake finishes, and for
// each RTP packet: decrypts it, checks it, keeps the receiver's state (IngestTrack: losses,
// jitter), finds where a keyframe starts, and publishes the payload into the stream under the
// stream's own numbering (design.md §5 "ingest"). Upstream it sends what a receiver owes a
// sender: NACKs for losses, PLI when viewers need a keyframe (at most one a second), and
// receiver reports with REMB about once a second. A simulcast publisher's video layers are
// told apart by SSRC, learned from the rid header extension of their first packets (RFC 8852).
//
// Thread: the owning worker only. Created and destroyed by RtcShard.
#pragma once

#include "rtc/ingest_track.h"
#include "rtc/media_stream.h"
#include "rtc/peer_session.h"

#include <memory>

#include <string>
#include <vector>

namespace throng::record {
class Recorder;
}

namespace throng::rtc {

class PublisherSession final : public PeerSession {
 public:
  // RTP payloads above this are refused: the viewers' copies must fit one datagram after the
  // stream's header and SRTP (SendBatch::kSlotBytes), and WebRTC senders stay near 1,200.
  static constexpr std::size_t kMaxPayload = 1400;
  // RFC 4585 §3.5.4 leaves the rate to us; a keyframe costs several delta frames of bitrate.
  static constexpr auto kKeyframeRequestInterval = std::chrono::seconds(1);

  PublisherSession(std::unique_ptr<SessionPlan> plan, RtcShard& shard, Clock::time_point now);
  ~PublisherSession() override;

  void onConnected(Clock::time_point now) override;
  void onSrtcp(std::uint8_t* packet, std::size_t length, Clock::time_point now) override;
  bool onSrtp(std::uint8_t* packet, std::size_t length, Clock::time_point now,
              std::vector<std::string>& out) override;

  struct Stats {
    std::uint64_t packets = 0, bytes = 0, rejected = 0, keyframes = 0, b_frames = 0,
                  keyframe_requests = 0, nacks_sent = 0, recovered = 0, given_up = 0;
    double video_bitrate_bps = 0, audio_bitrate_bps = 0;
    double keyframe_interval_s = 0;  // between the last two keyframes
    std::uint8_t video_fraction_lost = 0;  // last interval, /256
    bool live = false;  // holds the stream
  };
  Stats stats() const;

 private:
  CloseReason connectedTick(Clock::time_point now, std::vector<std::string>& out) override;
  void onClose() override;

  // One incoming RTP source: an audio or video track, or one simulcast layer of the video
  // track (RFC 8853), each with its own SSRC, numbering and frames.
  struct Source {
    explicit Source(int t, int l, std::uint32_t clock_rate) : track(t), layer(l), ingest(clock_rate) {}
    int track = 0;
    int layer = 0;
    IngestTrack ingest;
    bool bound = false;  // its SSRC is known (simulcast: learned from the rid extension)
    // Video: waits for its first keyframe; the frame being gathered (up to its marker).
    bool waiting_for_keyframe = true;
    std::vector<StreamPayload> frame;
    // H.264: the newest parameter sets, repeated before a keyframe that comes without them.
    std::string sps, pps;
    std::uint32_t access_unit_timestamp = 0;
    bool access_unit_started = false, access_unit_has_keyframe = false;
    // Keyframe requests of the stream's viewers for this layer, and ours to the publisher.
    std::uint64_t requests_seen = 0;
    bool keyframe_wanted = true;
    Clock::time_point last_keyframe_request{};
    Clock::time_point last_keyframe{};
    double keyframe_interval_s = 0;
    int width = 0, height = 0;  // from its latest VP8 keyframe
  };

  // The source a packet belongs to, or null (not negotiated, or a simulcast packet of an
  // unknown SSRC without a rid throng knows).
  Source* sourceOf(const RtpHeader& header, std::span<const std::uint8_t> packet);
  bool isVideo(const Source& source) const;
  void onVideo(Source& source, const RtpHeader& header, std::span<const std::uint8_t> payload,
               Clock::time_point now, std::vector<std::string>& out);
  // A retransmission that filled a loss: published alone, outside the frame being gathered.
  void onRecovered(Source& source, const RtpHeader& header, std::span<const std::uint8_t> payload,
                   Clock::time_point now);
  void flushVideo(Source& source);
  void maybeRequestKeyframes(Clock::time_point now, std::vector<std::string>& out);
  void appendNacks(Source& source, Clock::time_point now, std::vector<std::string>& out);
  void appendReports(Clock::time_point now, std::vector<std::string>& out);
  void reject();
  void startRecording();

  const std::uint32_t local_ssrc_;  // ours, as the sender of feedback
  std::vector<Source> sources_;     // per stream track with a payload type; per layer for video
  std::uint64_t publisher_ = 0;     // from MediaStream::claimPublisher; 0 until connected
  bool warned_b_frames_ = false;
  Clock::time_point last_report_{};
  Clock::time_point last_media_{};
  std::uint8_t fir_sequence_ = 0;
  // With webrtc.record: this live's recording (decrypted RTP as received, docs/recording.md);
  // one recorded track per source.
  std::unique_ptr<record::Recorder> recorder_;
  Stats stats_;
};

}  // namespace throng::rtc
