// A raw XMPP client over TCP for tests: bytes in, bytes out, every read bounded by a deadline.
// It speaks only what a test spells out (plus an anonymous login), so a test can also send what
// no real client library would.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace throng::testing {

// The header of a client stream to `domain` (RFC 6120 §4.7).
std::string xmppStreamHeader(const std::string& domain);

class RawXmppClient {
 public:
  static constexpr std::chrono::seconds kWait{10};

  // Connects to 127.0.0.1:port; `receive_buffer` sets SO_RCVBUF first (a slow reader).
  explicit RawXmppClient(std::uint16_t port, std::optional<int> receive_buffer = {});

  // Writes everything, or gives up after kWait. Errors (the server may have cut us off) show
  // up in the reads that follow.
  void send(const std::string& bytes);
  // Reads until `needle` arrives after what earlier calls found (true), or the peer closes or
  // kWait passes (false). Everything read accumulates in received().
  bool readUntil(const std::string& needle);
  // Reads until the peer closes (true) or kWait passes (false); then closes our side, as a
  // client does once the server has closed its own.
  bool readToEnd();
  const std::string& received() const { return received_; }

  // SASL ANONYMOUS on anon.localhost and a bound resource; returns the full JID.
  std::string bindAnonymous();

 private:
  bool readSome(std::chrono::steady_clock::time_point deadline);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  std::array<char, 16384> buffer_{};
  std::string received_;
  std::size_t scanned_ = 0;
  bool closed_ = false;
};

}  // namespace throng::testing
