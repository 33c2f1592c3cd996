// PublisherSession: one WHIP publisher (RFC 9725) on the worker that owns it (PeerSession:
// ICE, DTLS, SRTP, consent). It takes the event's stream when its handshake finishes, and for
// each RTP packet: decrypts it, checks it, keeps the receiver's state (IngestTrack: losses,
// jitter), finds where a keyframe starts, and publishes the payload into the stream under the
// stream's own numbering (design.md §5 "ingest"). Upstream it sends what a receiver owes a
// sender: NACKs for losses, PLI when viewers need a keyframe (at most one a second), and
// receiver reports with REMB about once a second.
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

  void onVideo(int track, const RtpHeader& header, std::span<const std::uint8_t> payload,
               Clock::time_point now, std::vector<std::string>& out);
  // A retransmission that filled a loss: published alone, outside the frame being gathered.
  void onRecovered(int track, const RtpHeader& header, std::span<const std::uint8_t> payload,
                   Clock::time_point now);
  void flushVideo();
  void maybeRequestKeyframe(Clock::time_point now, std::vector<std::string>& out);
  void appendNacks(int track, Clock::time_point now, std::vector<std::string>& out);
  void appendReports(Clock::time_point now, std::vector<std::string>& out);
  void reject();
  void startRecording();

  const std::uint32_t local_ssrc_;  // ours, as the sender of feedback
  std::vector<IngestTrack> tracks_;  // per stream track
  std::uint64_t publisher_ = 0;     // from MediaStream::claimPublisher; 0 until connected
  bool waiting_for_keyframe_ = true;
  std::vector<StreamPayload> frame_;  // the video frame being gathered (up to its marker)
  // H.264: the newest parameter sets, repeated before a keyframe that comes without them.
  std::string sps_, pps_;
  std::uint32_t access_unit_timestamp_ = 0;
  bool access_unit_started_ = false, access_unit_has_keyframe_ = false;
  bool warned_b_frames_ = false;

  std::uint64_t stream_requests_seen_ = 0;
  bool keyframe_wanted_ = true;
  Clock::time_point last_keyframe_request_{};
  Clock::time_point last_keyframe_{};
  Clock::time_point last_report_{};
  Clock::time_point last_media_{};
  std::uint8_t fir_sequence_ = 0;
  // With webrtc.record: this live's recording (decrypted RTP as received, docs/recording.md).
  std::unique_ptr<record::Recorder> recorder_;
  Stats stats_;
};

}  // namespace throng::rtc
