// SendBatch: datagrams waiting to leave one worker's UDP socket, flushed with one sendmmsg(2)
// per batch instead of one sendto per packet. The slots are allocated once per worker, so the
// fan-out allocates nothing per viewer or per packet. Used on one worker only.
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

  SendBatch();

  // The buffer of the next free slot. Call commit() after writing into it, or nothing.
  std::uint8_t* next() { return slots_.get() + count_ * kSlotBytes; }
  // Queues the datagram written into next(); flushes when the batch is full.
  void commit(std::size_t length, const boost::asio::ip::udp::endpoint& to);
  // Sends everything queued on `fd` (non-blocking). Datagrams the socket refuses (a full
  // send buffer) are dropped and counted: for media a late packet is worth nothing.
  void flush();

  void setSocket(int fd) { fd_ = fd; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t syscalls() const { return syscalls_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  int fd_ = -1;
  std::size_t count_ = 0;
  std::unique_ptr<std::uint8_t[]> slots_;
  std::array<iovec, kSlots> iovecs_{};
  std::array<mmsghdr, kSlots> headers_{};
  std::array<sockaddr_storage, kSlots> addresses_{};
  std::uint64_t sent_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t syscalls_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace throng::rtc
