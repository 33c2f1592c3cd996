#include "support/xmpp_client.h"

#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

namespace throng::testing {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string xmppStreamHeader(const std::string& domain) {
  return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
         "xmlns:stream='http://etherx.jabber.org/streams' to='" +
         domain + "' version='1.0'>";
}

RawXmppClient::RawXmppClient(std::uint16_t port, std::optional<int> receive_buffer) {
  socket_.open(tcp::v4());
  if (receive_buffer) socket_.set_option(asio::socket_base::receive_buffer_size(*receive_buffer));
  socket_.connect({asio::ip::make_address("127.0.0.1"), port});
}

void RawXmppClient::send(const std::string& bytes) {
  if (closed_) return;
  bool done = false;
  asio::async_write(socket_, asio::buffer(bytes),
                    [&](boost::system::error_code, std::size_t) { done = true; });
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!done && io_.run_one_until(deadline) != 0) {
  }
  if (!done) {
    // A server that stopped reading: give up on this write rather than hang the test.
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    while (!done && io_.run_one_for(std::chrono::seconds(1)) != 0) {
    }
  }
}

bool RawXmppClient::readUntil(const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (received_.find(needle, scanned_) == std::string::npos) {
    if (!readSome(deadline)) return false;
  }
  scanned_ = received_.find(needle, scanned_) + needle.size();
  return true;
}

bool RawXmppClient::readToEnd() {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (readSome(deadline)) {
  }
  return closed_;
}

std::string RawXmppClient::bindAnonymous() {
  const auto header = xmppStreamHeader("anon.localhost");
  send(header);
  EXPECT_TRUE(readUntil("</stream:features>")) << received_;
  send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>");
  EXPECT_TRUE(readUntil("<success")) << received_;
  send(header);
  EXPECT_TRUE(readUntil("</stream:features>")) << received_;
  send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  EXPECT_TRUE(readUntil("</jid>")) << received_;
  const auto end = received_.rfind("</jid>");
  const auto start = received_.rfind("<jid>", end);
  if (end == std::string::npos || start == std::string::npos) return {};
  return received_.substr(start + 5, end - start - 5);
}

bool RawXmppClient::readSome(std::chrono::steady_clock::time_point deadline) {
  if (closed_) return false;
  bool done = false;
  boost::system::error_code result;
  std::size_t n = 0;
  socket_.async_read_some(asio::buffer(buffer_),
                          [&](boost::system::error_code ec, std::size_t bytes) {
                            done = true;
                            result = ec;
                            n = bytes;
                          });
  io_.restart();
  while (!done && io_.run_one_until(deadline) != 0) {
  }
  if (!done) {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    while (!done && io_.run_one_for(std::chrono::seconds(1)) != 0) {
    }
    return false;
  }
  if (result) {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    return false;
  }
  received_.append(buffer_.data(), n);
  return true;
}

}  // namespace throng::testing
