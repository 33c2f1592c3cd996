// WhepViewer: one WebRTC viewer bot for `throng bench whep` and the engine's integration tests
// — a WHEP client (HTTP POST of an offer), a full ICE agent in the controlling role with
// USE-CANDIDATE (RFC 8445 §7.2.2), a DTLS client, and an SRTP receiver that verifies a sample
// of the packets (every `decrypt_every`-th, and all of them until the first keyframe) and
// counts the rest from their clear RTP headers. Many bots share one io_context.
//
// Thread: the io_context's one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace throng::rtc {
class DtlsContext;
class DtlsSession;
class SrtpSession;
}  // namespace throng::rtc

namespace throng::bench {

struct WhepViewerOptions {
  std::string host = "127.0.0.1";  // the server's HTTP address (IPv4 literal)
  std::uint16_t http_port = 8080;
  std::string event = "demo";
  boost::asio::ip::address source_address;  // the bot's UDP address (spread over 127.0.0.0/8)
  int decrypt_every = 16;   // after the first keyframe, verify one packet in this many
  bool consent = true;      // send consent checks (RFC 7675 §5.1)
  std::chrono::milliseconds consent_interval{5000};  // RFC 7675 §5.1: about every 5 s
  std::string offer_codec = "VP8";  // the video codec offered
  // Receive coalesced runs of datagrams (UDP_GRO, udp(7)) and split them here, as a receiver
  // that reads at line rate would; off = one datagram per read.
  bool gro = true;
};

class WhepViewer : public std::enable_shared_from_this<WhepViewer> {
 public:
  using Clock = std::chrono::steady_clock;

  // Non-owning: `dtls` (client role) outlives the viewer.
  WhepViewer(boost::asio::io_context& io, WhepViewerOptions options, rtc::DtlsContext& dtls,
             std::string dtls_fingerprint);
  ~WhepViewer();

  void start();
  // DELETEs the session (when `delete_session`) and closes the socket.
  void stop(bool delete_session = true);
  // Stops answering and sending anything, as a viewer whose network went away.
  void goSilent();
  // Sends an RTCP NACK (RFC 4585 §6.2.1) for `sequence` of the video track.
  void sendNack(std::uint16_t sequence);
  // Sends an RTCP PLI (RFC 4585 §6.3.1) for the video track.
  void sendPli();
  // Sends a receiver report (RFC 3550 §6.4.2) about the video track saying `fraction_lost`
  // (/256) of it was lost, as a viewer on a bad link would.
  void sendReceiverReport(std::uint8_t fraction_lost);

  enum class State { kPosting, kIce, kDtls, kReceiving, kFailed, kStopped };
  State state() const { return state_; }
  const std::string& failure() const { return failure_; }
  int httpStatus() const { return http_status_; }
  const std::string& location() const { return location_; }

  struct Times {  // from start()
    std::optional<Clock::duration> answered, connected, first_rtp, first_keyframe;
  };
  const Times& times() const { return times_; }

  struct Counts {
    std::uint64_t rtp_packets = 0, rtp_bytes = 0, decrypted = 0, decrypt_failures = 0;
    std::uint64_t video_packets = 0, audio_packets = 0;
    std::uint64_t expected = 0;  // from the sequence-number span of each SSRC since its first
    std::uint64_t keyframes = 0;
    std::uint64_t out_of_order = 0;  // older than the newest seen: reordered or retransmitted
    std::uint64_t reads = 0;         // successful recvmsg calls (datagrams ÷ reads = coalescing)
    std::uint64_t sender_reports = 0;  // authenticated SRs about the stream's video or audio
    // The picture size of the latest VP8 keyframe verified (RFC 6386 §9.1), 0 before one.
    int keyframe_width = 0, keyframe_height = 0;
  };
  Counts counts() const;
  std::uint16_t lastVideoSequence() const { return video_.last; }

 private:
  struct SsrcTrack {
    std::uint32_t ssrc = 0;
    bool started = false;
    std::uint16_t first = 0, last = 0;
    std::uint64_t cycles = 0;  // wraps of the 16-bit sequence (RFC 3550 Appendix A.1)
    std::uint64_t received = 0;
  };

  void post();
  void onAnswer(const std::string& body);
  void receive();
  void drainSocket();
  void onDatagram(std::uint8_t* data, std::size_t size);
  void sendBindingRequest();
  void armTimer();
  void onTimer();
  void onRtp(std::uint8_t* data, std::size_t size);
  void onRtcp(std::uint8_t* data, std::size_t size);
  void fail(std::string why);
  void sendDatagrams(const std::vector<std::string>& datagrams);
  void sendRtcp(std::string packet);

  boost::asio::io_context& io_;
  WhepViewerOptions options_;
  rtc::DtlsContext& dtls_context_;
  std::string dtls_fingerprint_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer timer_;
  boost::asio::ip::udp::endpoint server_;
  // One read: a datagram, or with UDP_GRO a coalesced run of up to 64 KiB.
  std::vector<std::uint8_t> buffer_;
  State state_ = State::kPosting;
  std::string failure_;
  int http_status_ = 0;
  std::string location_;
  std::string local_ufrag_, local_pwd_, remote_ufrag_, remote_pwd_, remote_fingerprint_;
  std::unique_ptr<rtc::DtlsSession> dtls_;
  std::unique_ptr<rtc::SrtpSession> srtp_;
  Clock::time_point started_;
  Clock::time_point last_check_;
  int ice_attempts_ = 0;
  bool silent_ = false;
  std::uint32_t own_ssrc_ = 0;
  int video_payload_type_ = -1;
  SsrcTrack video_, audio_;
  std::uint32_t video_ssrc_ = 0, audio_ssrc_ = 0;
  Times times_;
  Counts counts_;
  std::uint64_t packet_index_ = 0;
};

}  // namespace throng::bench
