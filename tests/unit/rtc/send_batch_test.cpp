// SendBatch on real loopback sockets: whatever the batch groups into segmented messages, the
// receiver gets exactly the datagrams queued, in order; runs break where they must (another
// destination, a longer datagram after a shorter one).
#include "rtc/send_batch.h"

#include <gtest/gtest.h>

#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace throng::rtc {
namespace {

using boost::asio::ip::udp;

// A bound loopback UDP socket (plain file descriptor: the test reads it synchronously).
struct Socket {
  int fd = -1;
  udp::endpoint endpoint;
  Socket() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    endpoint = udp::endpoint(boost::asio::ip::address_v4::loopback(), ntohs(address.sin_port));
    const int big = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
  }
  ~Socket() { ::close(fd); }

  // Every datagram waiting, one read each (no UDP_GRO, so the kernel hands them out singly).
  std::vector<std::string> drain() const {
    std::vector<std::string> out;
    char buffer[2048];
    for (;;) {
      const auto n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n < 0) return out;
      out.emplace_back(buffer, static_cast<std::size_t>(n));
    }
  }
};

std::string datagram(char fill, std::size_t length, int index) {
  std::string bytes(length, fill);
  std::memcpy(bytes.data(), &index, sizeof(index));  // tells reordering apart
  return bytes;
}

void queue(SendBatch& batch, const std::string& bytes, const udp::endpoint& to) {
  std::memcpy(batch.next(), bytes.data(), bytes.size());
  batch.commit(bytes.size(), to);
}

class SendBatchTest : public ::testing::TestWithParam<bool> {};

TEST_P(SendBatchTest, EveryDatagramArrivesAsQueued) {
  Socket sender, viewer_a, viewer_b;
  SendBatch batch(GetParam());
  batch.setSocket(sender.fd);
  std::vector<std::string> to_a, to_b;
  int index = 0;
  // A frame of 9 packets (8 full, a short last) to A, one to B, then a frame whose packets
  // shrink and grow again to A, then audio to both.
  for (int i = 0; i < 8; ++i) to_a.push_back(datagram('a', 1200, index++));
  to_a.push_back(datagram('a', 700, index++));
  for (const auto& d : to_a) queue(batch, d, viewer_a.endpoint);
  to_b.push_back(datagram('b', 1200, index++));
  queue(batch, to_b.back(), viewer_b.endpoint);
  for (std::size_t length : {1100, 1100, 500, 1100, 1300, 1300}) {
    to_a.push_back(datagram('c', length, index++));
    queue(batch, to_a.back(), viewer_a.endpoint);
  }
  to_a.push_back(datagram('o', 160, index++));
  queue(batch, to_a.back(), viewer_a.endpoint);
  to_b.push_back(datagram('o', 160, index++));
  queue(batch, to_b.back(), viewer_b.endpoint);
  batch.flush();

  EXPECT_EQ(viewer_a.drain(), to_a);
  EXPECT_EQ(viewer_b.drain(), to_b);
  EXPECT_EQ(batch.sent(), to_a.size() + to_b.size());
  EXPECT_EQ(batch.dropped(), 0u);
  if (GetParam() && batch.segmenting()) {
    // Runs: A's 9, B, A's 1100×2 + 500, A's 1100, A's 1300×2 + 160 audio, B's audio.
    EXPECT_EQ(batch.syscalls(), 1u);
  }
}

TEST_P(SendBatchTest, MoreThanABatchFlushesOnItsOwn) {
  Socket sender, viewer;
  SendBatch batch(GetParam());
  batch.setSocket(sender.fd);
  std::vector<std::string> sent;
  for (int i = 0; i < static_cast<int>(SendBatch::kSlots) * 3 + 5; ++i) {
    sent.push_back(datagram('x', 1000, i));
    queue(batch, sent.back(), viewer.endpoint);
  }
  batch.flush();
  EXPECT_EQ(viewer.drain(), sent);
  EXPECT_EQ(batch.sent(), sent.size());
}

TEST(SendBatch, SegmentedRunsArriveCoalescedToAGroReceiver) {
  Socket sender, viewer;
  const int on = 1;
  if (::setsockopt(viewer.fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) != 0) GTEST_SKIP();
  SendBatch batch(true);
  batch.setSocket(sender.fd);
  for (int i = 0; i < 5; ++i) queue(batch, datagram('g', 1200, i), viewer.endpoint);
  batch.flush();
  if (!batch.segmenting()) GTEST_SKIP() << "this kernel refuses UDP_SEGMENT";
  // One read returns the whole run; the control message gives the segment size.
  char buffer[65536];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  iovec vector{buffer, sizeof(buffer)};
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  const auto n = ::recvmsg(viewer.fd, &message, MSG_DONTWAIT);
  ASSERT_EQ(n, 5 * 1200);
  int segment = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      std::memcpy(&segment, CMSG_DATA(c), sizeof(segment));
    }
  }
  EXPECT_EQ(segment, 1200);
  EXPECT_EQ(batch.syscalls(), 1u);
}

std::string segmentationName(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "gso" : "plain";
}

INSTANTIATE_TEST_SUITE_P(Segmentation, SendBatchTest, ::testing::Bool(), segmentationName);

}  // namespace
}  // namespace throng::rtc
