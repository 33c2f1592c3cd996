#include "rtc/send_batch.h"

#include <cerrno>
#include <cstring>

namespace throng::rtc {

SendBatch::SendBatch() : slots_(std::make_unique<std::uint8_t[]>(kSlots * kSlotBytes)) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    iovecs_[i].iov_base = slots_.get() + i * kSlotBytes;
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
    headers_[i].msg_hdr.msg_name = &addresses_[i];
  }
}

void SendBatch::commit(std::size_t length, const boost::asio::ip::udp::endpoint& to) {
  iovecs_[count_].iov_len = length;
  std::memcpy(&addresses_[count_], to.data(), to.size());
  headers_[count_].msg_hdr.msg_namelen = static_cast<socklen_t>(to.size());
  bytes_ += length;
  if (++count_ == kSlots) flush();
}

void SendBatch::flush() {
  std::size_t done = 0;
  while (done < count_) {
    const int n = ::sendmmsg(fd_, headers_.data() + done, static_cast<unsigned>(count_ - done),
                             MSG_DONTWAIT);
    ++syscalls_;
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN (send buffer full) or an unreachable peer: drop this datagram, keep the rest.
      ++dropped_;
      ++done;
      continue;
    }
    done += static_cast<std::size_t>(n);
    sent_ += static_cast<std::uint64_t>(n);
  }
  count_ = 0;
}

}  // namespace throng::rtc
