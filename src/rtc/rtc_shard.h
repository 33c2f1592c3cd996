// RtcShard: the WebRTC engine on one worker — its UDP socket on the shared media port
// (SO_REUSEPORT: the kernel hashes each viewer's address to one socket, so a viewer's packets
// always arrive at the same worker), the sessions it owns, and its part of every stream's
// fan-out: a ring of packet references per track and the list of its viewers.
//
// Thread: everything runs on the shard's worker, except the post*() entry points.
#pragma once

#include "base/result.h"
#include "rtc/media_packet.h"
#include "rtc/packet_ring.h"
#include "rtc/rtc_counters.h"
#include "rtc/send_batch.h"
#include "rtc/publisher_session.h"
#include "rtc/viewer_session.h"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace throng::net {
class Worker;
}

namespace throng::rtc {

class MediaStream;
class RtcService;

class RtcShard {
 public:
  // Non-owning: `worker` and `service` outlive the shard.
  RtcShard(int index, net::Worker& worker, RtcService& service);
  ~RtcShard();
  RtcShard(const RtcShard&) = delete;
  RtcShard& operator=(const RtcShard&) = delete;

  int index() const { return index_; }
  net::Worker& worker() { return worker_; }
  RtcService& service() { return service_; }
  RtcCounters& counters() { return counters_; }

  // Startup thread, before the worker runs: opens this worker's socket on `endpoint`.
  Status open(const boost::asio::ip::udp::endpoint& endpoint);
  std::uint16_t port() const;
  // Any thread: starts receiving and the housekeeping tick on the worker.
  void start();
  // Worker thread (the service posts it): closes every session and the socket.
  void stop();

  // Any thread (a stream's publisher): packets of a stream this worker has viewers of.
  void postStreamPackets(std::shared_ptr<MediaStream> stream, std::vector<MediaPacketRef> packets);
  // Any thread: close a session this worker owns (WHEP/WHIP DELETE, a publisher taking over).
  void postClose(std::string token, CloseReason reason = CloseReason::kDeleted);
  // Any thread: the stream went off the air; close this worker's viewers of it.
  void postCloseStream(std::shared_ptr<MediaStream> stream);

  // For sessions, on the worker.
  SendBatch& batch() { return batch_; }
  const MediaPacket* findPacket(const MediaStream& stream, int track, int layer,
                                std::uint16_t sequence) const;
  // Any thread: runs `task` on this worker with the viewer session of `token`, or with null
  // when this worker has none (it closed meanwhile). The WHEP layer resource uses it.
  void postToViewer(std::string token, std::function<void(ViewerSession*)> task);

  struct SessionView {
    std::string token;
    std::string slug;
    ViewerSession::Phase phase;
    ViewerSession::Stats stats;
  };
  // Worker thread: a snapshot of every viewer's session (the admin and bench views).
  std::vector<SessionView> sessions() const;

 private:
  struct Fanout {
    std::shared_ptr<MediaStream> stream;
    std::vector<PacketRing> rings;          // per track and simulcast layer
    std::vector<ViewerSession*> viewers;    // connected viewers on this worker
  };
  struct EndpointHash {
    std::size_t operator()(const boost::asio::ip::udp::endpoint& e) const;
  };

  void receive();
  void onDatagram(std::uint8_t* data, std::size_t size, const boost::asio::ip::udp::endpoint& from);
  void onStun(std::span<const std::uint8_t> datagram, const boost::asio::ip::udp::endpoint& from,
              PeerSession* known);
  void onStreamPackets(const std::shared_ptr<MediaStream>& stream,
                       const std::vector<MediaPacketRef>& packets);
  void attach(ViewerSession& session);
  void closeSession(PeerSession& session, CloseReason reason);
  void armTick();
  void tick();
  void sendNow(const std::vector<std::string>& datagrams, const boost::asio::ip::udp::endpoint& to);
  void publishHealth(const PublisherSession& session);
  void syncSendCounters();

  const int index_;
  net::Worker& worker_;
  RtcService& service_;
  RtcCounters counters_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer tick_timer_;
  std::array<std::uint8_t, 2048> receive_buffer_{};  // a datagram is at most the MTU (~1500)
  boost::asio::ip::udp::endpoint receive_from_;
  SendBatch batch_;
  std::uint64_t counted_sent_ = 0, counted_dropped_ = 0, counted_syscalls_ = 0, counted_bytes_ = 0;
  bool stopped_ = false;

  std::unordered_map<std::string, std::unique_ptr<PeerSession>> sessions_;  // by local ufrag
  std::unordered_map<std::string, PeerSession*> by_token_;
  std::unordered_map<boost::asio::ip::udp::endpoint, PeerSession*, EndpointHash> by_endpoint_;
  std::unordered_map<const MediaStream*, Fanout> fanouts_;
  std::vector<std::string> scratch_;  // DTLS output, reused
};

}  // namespace throng::rtc
