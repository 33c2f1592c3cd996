#include "rtc/send_batch.h"

#include <netinet/udp.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace throng::rtc {

SendBatch::SendBatch(bool segmentation)
    : segmentation_(segmentation),
      slots_(std::make_unique<std::uint8_t[]>(kSlots * kSlotBytes)) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    iovecs_[i].iov_base = slots_.get() + i * kSlotBytes;
    headers_[i].msg_hdr.msg_name = &addresses_[i];
  }
}

// A datagram joins the last message when the kernel would cut the run back into exactly the
// datagrams queued: same destination, every datagram so far the length of the first, this one
// no longer (udp(7): only the last segment may be shorter).
bool SendBatch::extendsLastMessage(std::size_t length,
                                   const boost::asio::ip::udp::endpoint& to) const {
  const msghdr& last = headers_[messages_ - 1].msg_hdr;
  const std::size_t segment = last.msg_iov[0].iov_len;
  if (last.msg_iov[last.msg_iovlen - 1].iov_len != segment || length > segment) return false;
  if (last.msg_iovlen >= kMaxSegments || last_bytes_ + length > kMaxSegmentedBytes) return false;
  return last.msg_namelen == to.size() && std::memcmp(last.msg_name, to.data(), to.size()) == 0;
}

void SendBatch::commit(std::size_t length, const boost::asio::ip::udp::endpoint& to) {
  iovecs_[count_].iov_len = length;
  bytes_ += length;
  if (segmentation_ && messages_ > 0 && extendsLastMessage(length, to)) {
    ++headers_[messages_ - 1].msg_hdr.msg_iovlen;
    last_bytes_ += length;
  } else {
    msghdr& message = headers_[messages_].msg_hdr;
    message.msg_iov = &iovecs_[count_];
    message.msg_iovlen = 1;
    message.msg_control = nullptr;
    message.msg_controllen = 0;
    std::memcpy(&addresses_[messages_], to.data(), to.size());
    message.msg_namelen = static_cast<socklen_t>(to.size());
    ++messages_;
    last_bytes_ = length;
  }
  if (++count_ == kSlots) flush();
}

// udp(7) UDP_SEGMENT as a control message: the segment size for this message only.
void SendBatch::prepareSegmentation(std::size_t index) {
  msghdr& message = headers_[index].msg_hdr;
  message.msg_control = controls_[index].bytes;
  message.msg_controllen = sizeof(controls_[index].bytes);
  cmsghdr* control = CMSG_FIRSTHDR(&message);
  control->cmsg_level = SOL_UDP;
  control->cmsg_type = UDP_SEGMENT;
  control->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto segment = static_cast<std::uint16_t>(message.msg_iov[0].iov_len);
  std::memcpy(CMSG_DATA(control), &segment, sizeof(segment));
}

void SendBatch::sendOneByOne(const msghdr& message) {
  for (std::size_t i = 0; i < message.msg_iovlen; ++i) {
    const iovec& datagram = message.msg_iov[i];
    ++syscalls_;
    const auto n = ::sendto(fd_, datagram.iov_base, datagram.iov_len, MSG_DONTWAIT,
                            static_cast<const sockaddr*>(message.msg_name), message.msg_namelen);
    if (n < 0) {
      ++dropped_;
    } else {
      ++sent_;
    }
  }
}

void SendBatch::flush() {
  for (std::size_t i = 0; i < messages_; ++i) {
    if (headers_[i].msg_hdr.msg_iovlen > 1) prepareSegmentation(i);
  }
  std::size_t done = 0;
  while (done < messages_) {
    const int n = ::sendmmsg(fd_, headers_.data() + done, static_cast<unsigned>(messages_ - done),
                             MSG_DONTWAIT);
    ++syscalls_;
    if (n < 0) {
      if (errno == EINTR) continue;
      const msghdr& failed = headers_[done].msg_hdr;
      if (failed.msg_iovlen > 1 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
        // The kernel or the route cannot segment: send this run plainly, and stop trying.
        spdlog::warn("webrtc: UDP segmentation offload refused ({}); sending datagrams singly",
                     std::strerror(errno));
        segmentation_ = false;
        sendOneByOne(failed);
      } else {
        // EAGAIN (send buffer full) or an unreachable peer: drop this message, keep the rest.
        dropped_ += failed.msg_iovlen;
      }
      ++done;
      continue;
    }
    for (int i = 0; i < n; ++i) sent_ += headers_[done + static_cast<std::size_t>(i)].msg_hdr.msg_iovlen;
    done += static_cast<std::size_t>(n);
  }
  count_ = 0;
  messages_ = 0;
}

}  // namespace throng::rtc
