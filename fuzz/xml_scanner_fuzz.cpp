// Fuzzes the load generator's XML scanner (src/bench/xml_scanner.h). The input is fed whole and
// again split at a point derived from its first byte: both must give the same events and the
// same verdict. Every element handed over starts with '<' and ends with '>', and no callback
// runs once feed() has failed.
#include "bench/xml_scanner.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Recorder : throng::bench::XmlScannerListener {
  void onScanOpen() override { events.emplace_back("open"); }
  void onScanElement(std::string_view name, std::string_view raw) override {
    if (raw.size() < 2 || raw.front() != '<' || raw.back() != '>') std::abort();
    if (name.empty()) std::abort();
    events.push_back(std::string(name) + "=" + std::string(raw));
  }
  void onScanClose() override { events.emplace_back("close"); }
  std::vector<std::string> events;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Recorder whole;
  throng::bench::XmlScanner a(whole, 4096);
  const bool whole_failed = a.feed(input).has_value();

  Recorder split;
  throng::bench::XmlScanner b(split, 4096);
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  bool split_failed = b.feed(input.substr(0, cut)).has_value();
  if (!split_failed) split_failed = b.feed(input.substr(cut)).has_value();

  if (whole_failed != split_failed) std::abort();
  if (!whole_failed && whole.events != split.events) std::abort();
  return 0;
}
