// Classic pcap (the libpcap file format, draft-ietf-opsawg-pcap §4-§5) as the recorder writes it:
// LINKTYPE_RAW, each RTP packet inside a fabricated IPv4/UDP datagram from 127.0.0.1 to
// 127.0.0.1, one UDP port per track, so that tshark and Wireshark decode the tracks with
// `-d udp.port==N,rtp`. Pure formatting into a byte vector; the recorder does the I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace throng::record {

// Microsecond timestamps, written in this machine's byte order (readers detect it by the magic).
inline constexpr std::uint32_t kPcapMagicMicros = 0xa1b2c3d4;
inline constexpr std::uint32_t kPcapMagicNanos = 0xa1b23c4d;
// LINKTYPE_RAW: each record is an IP packet, no link-layer header (tcpdump.org linktypes).
inline constexpr std::uint32_t kLinktypeRaw = 101;
inline constexpr std::uint32_t kLinktypeEthernet = 1;
inline constexpr std::uint32_t kLinktypeIpv4 = 228;
// tcpdump's largest snapshot length; nothing the recorder writes comes near it.
inline constexpr std::uint32_t kPcapSnaplen = 262'144;

inline constexpr std::size_t kPcapFileHeaderBytes = 24;
inline constexpr std::size_t kPcapRecordHeaderBytes = 16;
inline constexpr std::size_t kIpv4HeaderBytes = 20;  // no options
inline constexpr std::size_t kUdpHeaderBytes = 8;
// What each recorded packet costs on disk beyond its own bytes.
inline constexpr std::size_t kPcapPacketOverhead =
    kPcapRecordHeaderBytes + kIpv4HeaderBytes + kUdpHeaderBytes;
// An IPv4 datagram's total length is a 16-bit field (RFC 791 §3.1).
inline constexpr std::size_t kMaxUdpPayloadBytes = 65'535 - kIpv4HeaderBytes - kUdpHeaderBytes;

// The UDP port that carries track `track` (source and destination alike): even ports from 5004,
// the RTP default (RFC 3551 §8), as an RTP/RTCP pair would use them.
inline constexpr std::uint16_t kFirstTrackPort = 5004;
constexpr std::uint16_t trackPort(int track) {
  return static_cast<std::uint16_t>(kFirstTrackPort + 2 * track);
}

// Appends the 24-byte file header (magic, version 2.4, snaplen, LINKTYPE_RAW).
void appendPcapFileHeader(std::vector<std::uint8_t>& out);

// Appends one record: header stamped `arrival` (microseconds), then IPv4 + UDP + `payload`.
// Precondition: payload.size() <= kMaxUdpPayloadBytes.
void appendPcapPacket(std::vector<std::uint8_t>& out, std::chrono::system_clock::time_point arrival,
                      std::uint16_t port, std::span<const std::uint8_t> payload);

}  // namespace throng::record
