// Reads classic pcap files (draft-ietf-opsawg-pcap §4-§5) back into UDP datagrams: the pure
// parsers of the file header, the record header and an IPv4/UDP frame, and PcapReader, which
// walks a file record by record. Any byte order, micro- or nanosecond timestamps; link types
// RAW, IPv4 and Ethernet (with up to two VLAN tags). A file that ends inside a record — what a
// killed recorder leaves — yields every complete record before it and reports truncated().
#pragma once

#include "base/result.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace throng::record {

// The largest record accepted (tcpdump's largest snapshot length): a size field above it is
// corruption, not a packet, and is never allocated.
inline constexpr std::uint32_t kMaxPcapRecordBytes = 262'144;

struct PcapFileHeader {
  bool swapped = false;  // written in the other byte order
  bool nanos = false;    // nanosecond timestamps (magic 0xa1b23c4d)
  std::uint32_t snaplen = 0;
  std::uint32_t linktype = 0;
};

struct PcapRecordHeader {
  std::chrono::nanoseconds time{0};  // since the epoch
  std::uint32_t captured = 0;        // bytes that follow in the file
  std::uint32_t original = 0;        // bytes on the wire
};

struct UdpDatagram {
  std::uint32_t source_address = 0;  // IPv4, host order
  std::uint32_t destination_address = 0;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::span<const std::uint8_t> payload;  // points into the frame parsed
};

// nullopt unless `bytes` starts with a pcap file header of version 2.x.
std::optional<PcapFileHeader> parsePcapFileHeader(std::span<const std::uint8_t> bytes);

// nullopt unless `bytes` holds a record header whose sizes are consistent: captured <= original,
// captured <= kMaxPcapRecordBytes, microseconds < 10^6 (or nanoseconds < 10^9).
std::optional<PcapRecordHeader> parsePcapRecordHeader(std::span<const std::uint8_t> bytes,
                                                      const PcapFileHeader& file);

// The UDP datagram inside one captured frame of link type `linktype`; nullopt for anything else
// (IPv6, TCP, IPv4 fragments, lengths that do not fit). RFC 791 §3.1, RFC 768.
std::optional<UdpDatagram> parseUdpFrame(std::span<const std::uint8_t> frame,
                                         std::uint32_t linktype);

// One packet read by PcapReader; `udp.payload` points into the reader's buffer and stays valid
// until the next call to next().
struct PcapPacket {
  std::chrono::system_clock::time_point time;
  UdpDatagram udp;
};

class PcapReader {
 public:
  // Opens `path` and reads its file header; the error names the path.
  static Result<PcapReader> open(const std::filesystem::path& path);
  // Reads from `file` (taken over and closed); `name` is used in error messages.
  static Result<PcapReader> fromFile(std::FILE* file, std::string name);

  // The next UDP packet, skipping records that are not UDP over IPv4; nullopt at the end of the
  // file, when it ends inside a record (truncated()) or at a corrupt record header (corrupt()).
  std::optional<PcapPacket> next();

  const PcapFileHeader& header() const { return header_; }
  bool truncated() const { return truncated_; }
  bool corrupt() const { return corrupt_; }
  // Byte offset where reading stopped early, for messages.
  std::uint64_t offset() const { return offset_; }
  std::uint64_t recordsRead() const { return records_; }
  std::uint64_t recordsSkipped() const { return skipped_; }  // complete, but not UDP/IPv4

 private:
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  PcapReader(std::unique_ptr<std::FILE, Close> file, PcapFileHeader header);
  // Reads exactly `n` bytes into buffer_; false at the end of the file (truncated_ set if some
  // bytes were read).
  bool readExactly(std::size_t n);

  std::unique_ptr<std::FILE, Close> file_;
  PcapFileHeader header_;
  std::vector<std::uint8_t> buffer_;  // grows to the largest record, at most kMaxPcapRecordBytes
  std::uint64_t offset_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t skipped_ = 0;
  bool truncated_ = false;
  bool corrupt_ = false;
  bool done_ = false;
};

}  // namespace throng::record
