// Fuzzes the pcap reader (src/record/pcap_reader.h) through the same FILE* path a recording is
// read with: any bytes either fail to open with a message or yield packets whose payloads lie
// inside what was read, and reading stops (truncated, corrupt or at the end) without reading
// past the input. The pure parsers are also run on the input directly.
#include "record/pcap_reader.h"
#include "record/pcap_writer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace throng::record;  // NOLINT(google-build-using-namespace)
  const std::span<const std::uint8_t> in(data, size);
  for (const std::uint32_t linktype : {kLinktypeRaw, kLinktypeEthernet, 113u}) {
    if (auto udp = parseUdpFrame(in, linktype)) {
      if (udp->payload.data() < data || udp->payload.data() + udp->payload.size() > data + size) {
        std::abort();
      }
    }
  }
  if (size == 0) return 0;  // fmemopen refuses an empty buffer
  std::FILE* file = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
  if (file == nullptr) return 0;
  auto reader = PcapReader::fromFile(file, "fuzz");
  if (!reader) {
    if (reader.error().message.empty()) std::abort();
    return 0;
  }
  std::uint64_t packets = 0;
  while (auto p = reader->next()) {
    if (p->udp.payload.size() > kMaxPcapRecordBytes) std::abort();
    ++packets;
  }
  if (reader->offset() > size || packets > reader->recordsRead()) std::abort();
  if (reader->next().has_value()) std::abort();  // stays at its end
  return 0;
}
