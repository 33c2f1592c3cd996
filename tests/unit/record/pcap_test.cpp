// pcap: what the writer formats reads back byte for byte; a file cut anywhere inside its last
// record still gives every whole record before it; garbage and corrupt sizes are refused with
// a message naming the file.
#include "record/pcap_reader.h"
#include "record/pcap_writer.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace throng::record {
namespace {

using std::chrono::microseconds;
using std::chrono::system_clock;

const system_clock::time_point kStart{std::chrono::seconds(1'714'998'896)};

std::vector<std::uint8_t> payload(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> p(size);
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<std::uint8_t>(seed + i * 7);
  return p;
}

void writeFile(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> threePackets() {
  std::vector<std::uint8_t> file;
  appendPcapFileHeader(file);
  appendPcapPacket(file, kStart, trackPort(0), payload(100, 1));
  appendPcapPacket(file, kStart + microseconds(20'001), trackPort(1), payload(12, 2));
  appendPcapPacket(file, kStart + microseconds(1'000'000), trackPort(0), payload(1200, 3));
  return file;
}

TEST(Pcap, WhatIsWrittenReadsBack) {
  testing::TempDir dir;
  writeFile(dir / "a.pcap", threePackets());
  auto reader = PcapReader::open(dir / "a.pcap");
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader->header().linktype, kLinktypeRaw);
  const std::vector<std::pair<std::uint16_t, std::vector<std::uint8_t>>> expected = {
      {5004, payload(100, 1)}, {5006, payload(12, 2)}, {5004, payload(1200, 3)}};
  const microseconds times[] = {microseconds(0), microseconds(20'001), microseconds(1'000'000)};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto p = reader->next();
    ASSERT_TRUE(p.has_value()) << i;
    EXPECT_EQ(p->udp.source_address, 0x7f000001u);
    EXPECT_EQ(p->udp.destination_address, 0x7f000001u);
    EXPECT_EQ(p->udp.destination_port, expected[i].first);
    EXPECT_EQ(std::vector<std::uint8_t>(p->udp.payload.begin(), p->udp.payload.end()),
              expected[i].second);
    EXPECT_EQ(p->time - kStart, times[i]);
  }
  EXPECT_FALSE(reader->next().has_value());
  EXPECT_FALSE(reader->truncated());
  EXPECT_FALSE(reader->corrupt());
  EXPECT_EQ(reader->recordsRead(), 3u);
}

TEST(Pcap, IpHeaderChecksumIsValid) {
  std::vector<std::uint8_t> file;
  appendPcapPacket(file, kStart, 5004, payload(50, 9));
  // RFC 1071: summing a header including its checksum gives 0xffff.
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < kIpv4HeaderBytes; i += 2) {
    sum += static_cast<std::uint32_t>(file[kPcapRecordHeaderBytes + i] << 8 |
                                      file[kPcapRecordHeaderBytes + i + 1]);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
}

TEST(Pcap, FileCutAnywhereInTheLastRecordKeepsTheOthers) {
  const auto whole = threePackets();
  const std::size_t last_record = whole.size() - (kPcapPacketOverhead + 1200);
  testing::TempDir dir;
  for (std::size_t cut = last_record + 1; cut < whole.size(); cut += 37) {
    writeFile(
        dir / "cut.pcap",
        std::vector<std::uint8_t>(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut)));
    auto reader = PcapReader::open(dir / "cut.pcap");
    ASSERT_TRUE(reader.ok());
    int packets = 0;
    while (reader->next()) ++packets;
    EXPECT_EQ(packets, 2) << "cut at " << cut;
    EXPECT_TRUE(reader->truncated()) << "cut at " << cut;
    EXPECT_EQ(reader->offset(), last_record);
  }
  // Cut exactly between records: complete, nothing truncated.
  writeFile(dir / "cut.pcap",
            std::vector<std::uint8_t>(whole.begin(),
                                      whole.begin() + static_cast<std::ptrdiff_t>(last_record)));
  auto reader = PcapReader::open(dir / "cut.pcap");
  ASSERT_TRUE(reader.ok());
  int packets = 0;
  while (reader->next()) ++packets;
  EXPECT_EQ(packets, 2);
  EXPECT_FALSE(reader->truncated());
}

TEST(Pcap, GarbageIsRefusedNamingTheFile) {
  testing::TempDir dir;
  writeFile(dir / "empty.pcap", {});
  auto empty = PcapReader::open(dir / "empty.pcap");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("empty.pcap is empty"), std::string::npos)
      << empty.error().message;

  writeFile(dir / "text.pcap", std::vector<std::uint8_t>(100, 'x'));
  auto text = PcapReader::open(dir / "text.pcap");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("text.pcap is not a pcap file"), std::string::npos)
      << text.error().message;

  auto header = threePackets();
  header.resize(10);  // cut inside the file header
  writeFile(dir / "short.pcap", header);
  EXPECT_FALSE(PcapReader::open(dir / "short.pcap").ok());

  auto missing = PcapReader::open(dir / "missing.pcap");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot open"), std::string::npos);
  EXPECT_NE(missing.error().message.find("missing.pcap"), std::string::npos);
}

TEST(Pcap, ImpossibleRecordSizeStopsAsCorrupt) {
  auto file = threePackets();
  // The second record's captured length: 16 MiB, beyond any snapshot length.
  const std::size_t second = kPcapFileHeaderBytes + kPcapPacketOverhead + 100;
  const std::uint32_t huge = 16u << 20;
  std::memcpy(file.data() + second + 8, &huge, 4);
  std::memcpy(file.data() + second + 12, &huge, 4);
  testing::TempDir dir;
  writeFile(dir / "bad.pcap", file);
  auto reader = PcapReader::open(dir / "bad.pcap");
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(reader->next().has_value());
  EXPECT_FALSE(reader->next().has_value());
  EXPECT_TRUE(reader->corrupt());
  EXPECT_EQ(reader->offset(), second);
}

TEST(Pcap, ReadsOtherByteOrderAndEthernet) {
  // A big-endian header with nanosecond magic, Ethernet link type, one VLAN-tagged UDP frame.
  std::vector<std::uint8_t> file = {0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0,
                                    0,    0,    0,    0,    0, 4, 0, 0, 0, 0, 0, 1};
  // MAC addresses, an 802.1Q tag (VLAN 5), then EtherType IPv4.
  std::vector<std::uint8_t> frame = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb,
                                     0xbb, 0xbb, 0xbb, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00};
  std::vector<std::uint8_t> ip_and_udp;
  appendPcapPacket(ip_and_udp, kStart, 7000, payload(20, 4));
  frame.insert(frame.end(), ip_and_udp.begin() + kPcapRecordHeaderBytes, ip_and_udp.end());
  frame.insert(frame.end(), 6, 0);  // Ethernet padding after the IP datagram
  const auto put32 = [&](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) file.push_back(static_cast<std::uint8_t>(v >> s));
  };
  put32(1'714'998'896);
  put32(123'456'789);  // nanoseconds
  put32(static_cast<std::uint32_t>(frame.size()));
  put32(static_cast<std::uint32_t>(frame.size()));
  file.insert(file.end(), frame.begin(), frame.end());

  testing::TempDir dir;
  writeFile(dir / "be.pcap", file);
  auto reader = PcapReader::open(dir / "be.pcap");
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_TRUE(reader->header().swapped);
  EXPECT_TRUE(reader->header().nanos);
  auto p = reader->next();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->udp.destination_port, 7000);
  EXPECT_EQ(p->udp.payload.size(), 20u);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::nanoseconds>(p->time - kStart).count(),
            123'456'789);
}

TEST(Pcap, UdpFrameParserRefusesWhatIsNotUdpOverIpv4) {
  std::vector<std::uint8_t> record;
  appendPcapPacket(record, kStart, 5004, payload(30, 5));
  std::vector<std::uint8_t> ip(record.begin() + kPcapRecordHeaderBytes, record.end());
  ASSERT_TRUE(parseUdpFrame(ip, kLinktypeRaw).has_value());

  auto tcp = ip;
  tcp[9] = 6;
  EXPECT_FALSE(parseUdpFrame(tcp, kLinktypeRaw).has_value());
  auto fragment = ip;
  fragment[6] = 0x20;  // more fragments
  EXPECT_FALSE(parseUdpFrame(fragment, kLinktypeRaw).has_value());
  auto long_total = ip;
  long_total[3] = static_cast<std::uint8_t>(long_total[3] + 1);  // one byte more than captured
  EXPECT_FALSE(parseUdpFrame(long_total, kLinktypeRaw).has_value());
  auto udp_long = ip;
  udp_long[kIpv4HeaderBytes + 5] = static_cast<std::uint8_t>(udp_long[kIpv4HeaderBytes + 5] + 1);
  EXPECT_FALSE(parseUdpFrame(udp_long, kLinktypeRaw).has_value());
  auto ipv6 = ip;
  ipv6[0] = 0x60;
  EXPECT_FALSE(parseUdpFrame(ipv6, kLinktypeRaw).has_value());
  EXPECT_FALSE(parseUdpFrame(std::span<const std::uint8_t>(ip.data(), 19), kLinktypeRaw));
  EXPECT_FALSE(parseUdpFrame(ip, 12345).has_value());
}

}  // namespace
}  // namespace throng::record
