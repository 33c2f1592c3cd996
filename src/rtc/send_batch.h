// SendBatch: datagrams waiting to leave one worker's UDP socket, flushed with one sendmmsg(2)
// per batch instead of one sendto per packet. The slots are allocated once per worker, so the
// fan-out allocates nothing per viewer or per packet. Used on one worker only.
//
// With UDP generic segmentation offload (Linux ≥ 4.18, UDP_SEGMENT, udp(7)), consecutive
// datagrams to the same viewer that have the same length — the packets of one video frame —
// go as one message: the kernel walks routing, netfilter and the device queue once for the
// whole run and cuts it into datagrams at the end (in the NIC where it can). The datagrams on
// the wire are exactly those queued. If the kernel refuses a segmented message (a device
// without checksum offload, a route needing fragmentation), the batch resends that run one
// datagram at a time and stops segmenting.
#pragma once

#include <boost/asio/ip/udp.hpp>

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace throng::rtc {

class SendBatch {
 public:
  // 64 datagrams per syscall: past that the syscall saving flattens out, and a batch of
  // 64 × 1.5 KB stays in L2.
  static constexpr std::size_t kSlots = 64;
  // An RTP packet of at most 1500 bytes plus the SRTP tag and SRTCP index.
  static constexpr std::size_t kSlotBytes = 1536;
  // One segmented message carries at most this many datagrams (UDP_MAX_SEGMENTS is 64 on
  // kernels before 6.x) and this many bytes (an IPv4 datagram's 64 KiB less headers).
  static constexpr std::size_t kMaxSegments = 64;
  static constexpr std::size_t kMaxSegmentedBytes = 65000;

  explicit SendBatch(bool segmentation = true);

  // The buffer of the next free slot. Call commit() after writing into it, or nothing.
  std::uint8_t* next() { return slots_.get() + count_ * kSlotBytes; }
  // Queues the datagram written into next(); flushes when the batch is full.
  void commit(std::size_t length, const boost::asio::ip::udp::endpoint& to);
  // Sends everything queued on `fd` (non-blocking). Datagrams the socket refuses (a full
  // send buffer) are dropped and counted: for media a late packet is worth nothing.
  void flush();

  void setSocket(int fd) { fd_ = fd; }
  bool segmenting() const { return segmentation_; }
  std::uint64_t sent() const { return sent_; }        // datagrams
  std::uint64_t dropped() const { return dropped_; }  // datagrams
  std::uint64_t syscalls() const { return syscalls_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  // Room for one UDP_SEGMENT control message (a uint16_t segment size).
  struct alignas(cmsghdr) SegmentControl {
    std::uint8_t bytes[CMSG_SPACE(sizeof(std::uint16_t))];
  };

  bool extendsLastMessage(std::size_t length, const boost::asio::ip::udp::endpoint& to) const;
  void prepareSegmentation(std::size_t message);
  void sendOneByOne(const msghdr& message);

  int fd_ = -1;
  bool segmentation_;
  std::size_t count_ = 0;     // slots used
  std::size_t messages_ = 0;  // messages (headers_) used; each holds a run of slots
  std::size_t last_bytes_ = 0;  // bytes in the last message
  std::unique_ptr<std::uint8_t[]> slots_;
  std::array<iovec, kSlots> iovecs_{};
  std::array<mmsghdr, kSlots> headers_{};
  std::array<sockaddr_storage, kSlots> addresses_{};
  std::array<SegmentControl, kSlots> controls_{};
  std::uint64_t sent_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t syscalls_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace throng::rtc
