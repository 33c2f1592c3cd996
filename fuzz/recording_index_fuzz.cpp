// Fuzzes index.json parsing (src/record/recording_index.h): any text is either refused with a
// message or accepted as an index that writes back to JSON which parses to the same tracks.
#include "record/recording_index.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace throng::record;  // NOLINT(google-build-using-namespace)
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto index = parseIndexJson(text);
  if (!index) {
    if (index.error().message.empty()) std::abort();
    return 0;
  }
  if (index->tracks.size() > kMaxTracks) std::abort();
  auto again = parseIndexJson(indexToJson(*index));
  if (!again || again->tracks.size() != index->tracks.size() ||
      again->slug.size() > size * 3 + 16) {
    std::abort();
  }
  for (std::size_t i = 0; i < index->tracks.size(); ++i) {
    if (again->tracks[i].udp_port != index->tracks[i].udp_port ||
        again->tracks[i].track.payload_type != index->tracks[i].track.payload_type) {
      std::abort();
    }
  }
  return 0;
}
