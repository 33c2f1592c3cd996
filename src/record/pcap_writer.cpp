// Writes pcap headers and records (pcap_writer.h).
#include "record/pcap_writer.h"

#include <cstring>

namespace throng::record {
namespace {

// pcap headers are in the writer's byte order (the magic tells readers which).
template <class T>
void putNative(std::uint8_t* at, T value) {
  std::memcpy(at, &value, sizeof value);
}

void putBig16(std::uint8_t* at, std::uint16_t value) {
  at[0] = static_cast<std::uint8_t>(value >> 8);
  at[1] = static_cast<std::uint8_t>(value);
}

// RFC 791 §3.1: the one's complement of the one's complement sum of the header's 16-bit words.
std::uint16_t ipv4Checksum(const std::uint8_t* header) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < kIpv4HeaderBytes; i += 2) {
    sum += static_cast<std::uint32_t>(header[i] << 8 | header[i + 1]);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

}  // namespace

void appendPcapFileHeader(std::vector<std::uint8_t>& out) {
  const std::size_t at = out.size();
  out.resize(at + kPcapFileHeaderBytes);
  std::uint8_t* h = out.data() + at;
  putNative<std::uint32_t>(h, kPcapMagicMicros);
  putNative<std::uint16_t>(h + 4, 2);  // version 2.4, the only one in use
  putNative<std::uint16_t>(h + 6, 4);
  putNative<std::int32_t>(h + 8, 0);    // thiszone: timestamps are UTC
  putNative<std::uint32_t>(h + 12, 0);  // sigfigs: always 0
  putNative<std::uint32_t>(h + 16, kPcapSnaplen);
  putNative<std::uint32_t>(h + 20, kLinktypeRaw);
}

void appendPcapPacket(std::vector<std::uint8_t>& out, std::chrono::system_clock::time_point arrival,
                      std::uint16_t port, std::span<const std::uint8_t> payload) {
  const std::size_t datagram = kIpv4HeaderBytes + kUdpHeaderBytes + payload.size();
  const std::size_t at = out.size();
  out.resize(at + kPcapRecordHeaderBytes + datagram);
  std::uint8_t* r = out.data() + at;

  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(arrival.time_since_epoch()).count();
  if (micros < 0) micros = 0;  // pcap has no time before 1970
  putNative<std::uint32_t>(r, static_cast<std::uint32_t>(micros / 1'000'000));
  putNative<std::uint32_t>(r + 4, static_cast<std::uint32_t>(micros % 1'000'000));
  putNative<std::uint32_t>(r + 8, static_cast<std::uint32_t>(datagram));   // captured
  putNative<std::uint32_t>(r + 12, static_cast<std::uint32_t>(datagram));  // on the wire

  std::uint8_t* ip = r + kPcapRecordHeaderBytes;
  ip[0] = 0x45;  // version 4, header of 5 words
  ip[1] = 0;
  putBig16(ip + 2, static_cast<std::uint16_t>(datagram));
  putBig16(ip + 4, 0);       // identification: unused, never fragmented
  putBig16(ip + 6, 0x4000);  // don't fragment
  ip[8] = 64;                // TTL
  ip[9] = 17;                // UDP
  putBig16(ip + 10, 0);
  const std::uint8_t loopback[4] = {127, 0, 0, 1};
  std::memcpy(ip + 12, loopback, 4);
  std::memcpy(ip + 16, loopback, 4);
  putBig16(ip + 10, ipv4Checksum(ip));

  std::uint8_t* udp = ip + kIpv4HeaderBytes;
  putBig16(udp, port);
  putBig16(udp + 2, port);
  putBig16(udp + 4, static_cast<std::uint16_t>(kUdpHeaderBytes + payload.size()));
  putBig16(udp + 6, 0);  // no checksum, allowed over IPv4 (RFC 768)
  if (!payload.empty()) std::memcpy(udp + kUdpHeaderBytes, payload.data(), payload.size());
}

}  // namespace throng::record
