// What the WebRTC engine needs from the configuration ([webrtc] in the config file).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <filesystem>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace throng::rtc {

enum class SrtpImplementation;

struct RtcOptions {
  boost::asio::ip::address bind;  // the UDP media port's address
  std::uint16_t port = 0;         // 0 = ephemeral (tests)
  // The host candidates put in answers. Empty = the bound address (which must then be specific).
  std::vector<boost::asio::ip::address> advertise;
  std::size_t max_viewers = 10000;            // whole server
  std::size_t max_viewers_per_event = 10000;  // one stream
  // RFC 7675 §5.1: consent expires 30 s after the last authenticated binding request.
  std::chrono::milliseconds consent_timeout{30000};
  // A session must finish ICE and DTLS within this time after the WHEP POST.
  std::chrono::milliseconds setup_timeout{15000};
  // Retransmissions answered per viewer and second (NACK, RFC 4585 §6.2.1); beyond, dropped.
  double nacks_per_second = 300;
  bool use_libsrtp = false;  // SRTP from libsrtp2 instead of throng's own (OpenSSL EVP)
  // Send each viewer's packets of one frame as one UDP_SEGMENT message (udp(7)).
  bool udp_segmentation = true;
  // WHIP: the most a publisher is invited to send (the REMB ceiling, bits per second).
  std::uint64_t ingest_max_bitrate_bps = 8'000'000;
  // WHIP: a publisher that sends neither media nor connectivity checks for this long has gone
  // (consent freshness, RFC 7675, on a shorter clock than viewers': its viewers wait on it).
  std::chrono::milliseconds publisher_timeout{5000};
  // WHIP lives are recorded here (record::Recorder); empty = not recorded.
  std::filesystem::path recordings_dir;
};

}  // namespace throng::rtc
