// Reads pcap files (pcap_reader.h).
#include "record/pcap_reader.h"

#include "record/pcap_writer.h"

#include <cerrno>
#include <cstring>
#include <utility>

namespace throng::record {
namespace {

// LINKTYPE_LINUX_SLL: what `tcpdump -i any` writes; a 16-byte pseudo header.
constexpr std::uint32_t kLinktypeLinuxSll = 113;
constexpr std::size_t kEthernetHeaderBytes = 14;
constexpr std::size_t kVlanTagBytes = 4;
constexpr std::size_t kLinuxSllHeaderBytes = 16;
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeVlan = 0x8100;
constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;
constexpr std::uint8_t kProtocolUdp = 17;

std::uint16_t big16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
std::uint32_t big32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}
std::uint16_t file16(const std::uint8_t* p, bool swapped) {
  std::uint16_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return swapped ? static_cast<std::uint16_t>(v >> 8 | v << 8) : v;
}
std::uint32_t file32(const std::uint8_t* p, bool swapped) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return swapped ? __builtin_bswap32(v) : v;
}

std::optional<UdpDatagram> parseIpv4Udp(std::span<const std::uint8_t> ip) {
  if (ip.size() < kIpv4HeaderBytes || ip[0] >> 4 != 4) return std::nullopt;
  const std::size_t header = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  const std::size_t total = big16(ip.data() + 2);
  // Trailing bytes (Ethernet padding) are allowed; a total longer than what was captured is not.
  if (header < kIpv4HeaderBytes || total < header || total > ip.size()) return std::nullopt;
  const std::uint16_t fragment = big16(ip.data() + 6);
  if ((fragment & 0x2000) != 0 || (fragment & 0x1fff) != 0) return std::nullopt;  // MF, offset
  if (ip[9] != kProtocolUdp) return std::nullopt;
  const auto udp = ip.subspan(header, total - header);
  if (udp.size() < kUdpHeaderBytes) return std::nullopt;
  const std::size_t length = big16(udp.data() + 4);
  if (length < kUdpHeaderBytes || length > udp.size()) return std::nullopt;
  UdpDatagram d;
  d.source_address = big32(ip.data() + 12);
  d.destination_address = big32(ip.data() + 16);
  d.source_port = big16(udp.data());
  d.destination_port = big16(udp.data() + 2);
  d.payload = udp.subspan(kUdpHeaderBytes, length - kUdpHeaderBytes);
  return d;
}

}  // namespace

std::optional<PcapFileHeader> parsePcapFileHeader(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kPcapFileHeaderBytes) return std::nullopt;
  PcapFileHeader h;
  const std::uint32_t magic = file32(bytes.data(), false);
  if (magic == kPcapMagicMicros || magic == kPcapMagicNanos) {
    h.nanos = magic == kPcapMagicNanos;
  } else if (magic == __builtin_bswap32(kPcapMagicMicros) ||
             magic == __builtin_bswap32(kPcapMagicNanos)) {
    h.swapped = true;
    h.nanos = magic == __builtin_bswap32(kPcapMagicNanos);
  } else {
    return std::nullopt;
  }
  if (file16(bytes.data() + 4, h.swapped) != 2) return std::nullopt;  // major version
  h.snaplen = file32(bytes.data() + 16, h.swapped);
  // The upper bits of the link type field carry FCS information (draft-ietf-opsawg-pcap §4).
  h.linktype = file32(bytes.data() + 20, h.swapped) & 0x0fffffff;
  return h;
}

std::optional<PcapRecordHeader> parsePcapRecordHeader(std::span<const std::uint8_t> bytes,
                                                      const PcapFileHeader& file) {
  if (bytes.size() < kPcapRecordHeaderBytes) return std::nullopt;
  const std::uint32_t seconds = file32(bytes.data(), file.swapped);
  const std::uint32_t fraction = file32(bytes.data() + 4, file.swapped);
  PcapRecordHeader r;
  r.captured = file32(bytes.data() + 8, file.swapped);
  r.original = file32(bytes.data() + 12, file.swapped);
  if (fraction >= (file.nanos ? 1'000'000'000U : 1'000'000U)) return std::nullopt;
  if (r.captured > r.original || r.captured > kMaxPcapRecordBytes) return std::nullopt;
  r.time = std::chrono::seconds(seconds) +
           (file.nanos ? std::chrono::nanoseconds(fraction) : std::chrono::microseconds(fraction));
  return r;
}

std::optional<UdpDatagram> parseUdpFrame(std::span<const std::uint8_t> frame,
                                         std::uint32_t linktype) {
  switch (linktype) {
    case kLinktypeRaw:
    case kLinktypeIpv4:
      return parseIpv4Udp(frame);
    case kLinktypeEthernet: {
      if (frame.size() < kEthernetHeaderBytes) return std::nullopt;
      std::size_t at = 12;
      std::uint16_t type = big16(frame.data() + at);
      // 802.1Q and 802.1ad tags; two at most (QinQ), more is not a real capture.
      for (int tags = 0; tags < 2 && (type == kEtherTypeVlan || type == kEtherTypeQinQ); ++tags) {
        at += kVlanTagBytes;
        if (frame.size() < at + 2) return std::nullopt;
        type = big16(frame.data() + at);
      }
      if (type != kEtherTypeIpv4) return std::nullopt;
      return parseIpv4Udp(frame.subspan(at + 2));
    }
    case kLinktypeLinuxSll:
      if (frame.size() < kLinuxSllHeaderBytes || big16(frame.data() + 14) != kEtherTypeIpv4) {
        return std::nullopt;
      }
      return parseIpv4Udp(frame.subspan(kLinuxSllHeaderBytes));
    default:
      return std::nullopt;
  }
}

Result<PcapReader> PcapReader::open(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return makeError("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  return fromFile(f, path.string());
}

Result<PcapReader> PcapReader::fromFile(std::FILE* file, std::string name) {
  std::unique_ptr<std::FILE, Close> owned(file);
  std::uint8_t bytes[kPcapFileHeaderBytes];
  const std::size_t n = std::fread(bytes, 1, sizeof bytes, owned.get());
  if (n == 0) return makeError(name + " is empty: no pcap file header");
  auto header = parsePcapFileHeader(std::span<const std::uint8_t>(bytes, n));
  if (!header) return makeError(name + " is not a pcap file (bad or short file header)");
  if (header->linktype != kLinktypeRaw && header->linktype != kLinktypeIpv4 &&
      header->linktype != kLinktypeEthernet && header->linktype != kLinktypeLinuxSll) {
    return makeError(name + ": unsupported pcap link type " + std::to_string(header->linktype));
  }
  PcapReader reader(std::move(owned), *header);
  reader.offset_ = kPcapFileHeaderBytes;
  return reader;
}

PcapReader::PcapReader(std::unique_ptr<std::FILE, Close> file, PcapFileHeader header)
    : file_(std::move(file)), header_(header) {}

bool PcapReader::readExactly(std::size_t n) {
  if (buffer_.size() < n) buffer_.resize(n);
  const std::size_t got = std::fread(buffer_.data(), 1, n, file_.get());
  if (got == n) return true;
  if (got > 0) truncated_ = true;
  return false;
}

std::optional<PcapPacket> PcapReader::next() {
  while (!done_) {
    if (!readExactly(kPcapRecordHeaderBytes)) break;
    auto record = parsePcapRecordHeader(
        std::span<const std::uint8_t>(buffer_.data(), kPcapRecordHeaderBytes), header_);
    if (!record) {
      corrupt_ = true;
      break;
    }
    if (!readExactly(record->captured)) {
      truncated_ = true;  // even zero bytes of a promised body is a cut-short record
      break;
    }
    offset_ += kPcapRecordHeaderBytes + record->captured;
    ++records_;
    auto udp = parseUdpFrame(std::span<const std::uint8_t>(buffer_.data(), record->captured),
                             header_.linktype);
    if (!udp) {
      ++skipped_;
      continue;
    }
    return PcapPacket{
        std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(record->time)),
        *udp};
  }
  done_ = true;
  return std::nullopt;
}

}  // namespace throng::record
