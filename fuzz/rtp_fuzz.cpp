// Fuzzes the RTP header parser and extension lookup (src/rtc/rtp.h): the parts of an accepted
// packet add up to its size, every extension element found lies inside the extension, and the
// per-viewer rewrites change only the fields they name.
#include "rtc/rtp.h"

#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace throng::rtc;  // NOLINT(google-build-using-namespace)
  const std::span<const std::uint8_t> in(data, size);
  if (size >= 4) {
    const auto a = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
    const auto b = static_cast<std::uint16_t>(data[2] << 8 | data[3]);
    if (sequenceNewer(a, b) && sequenceNewer(b, a)) std::abort();
    if (sequenceNewer(a, b) != (sequenceDelta(a, b) > 0)) std::abort();
  }
  auto h = parseRtp(in);
  if (!h) return 0;
  if (h->header_size + h->payload_size + h->padding_size != size) std::abort();
  if (h->has_extension && h->extension_offset + h->extension_size != h->header_size) std::abort();

  for (int id = 1; id <= 255; ++id) {
    auto element = findOneByteExtension(in, *h, static_cast<std::uint8_t>(id));
    if (!element) continue;
    if (element->data() < data + h->extension_offset ||
        element->data() + element->size() > data + h->extension_offset + h->extension_size) {
      std::abort();
    }
  }

  std::vector<std::uint8_t> copy(in.begin(), in.end());
  setRtpPayloadType(copy, 0x7F);
  setRtpSequence(copy, static_cast<std::uint16_t>(h->sequence + 1));
  setRtpSsrc(copy, ~h->ssrc);
  auto changed = parseRtp(copy);
  if (!changed || changed->payload_type != 0x7F || changed->marker != h->marker ||
      changed->sequence != static_cast<std::uint16_t>(h->sequence + 1) ||
      changed->ssrc != ~h->ssrc || changed->timestamp != h->timestamp ||
      changed->header_size != h->header_size || changed->payload_size != h->payload_size) {
    std::abort();
  }
  return 0;
}
