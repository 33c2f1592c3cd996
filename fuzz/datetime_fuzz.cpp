// Fuzzes the XMPP date-time parser (src/proto/datetime.h, XEP-0082), which reads the
// 'since' of a MUC join. It must never crash; what it accepts must format and parse back to
// the same instant at millisecond precision.
#include "proto/datetime.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = throng::proto::parseXmppDateTime(input);
  if (!parsed) return 0;
  const auto ms = floor<milliseconds>(*parsed);
  // Years 0000 and 9999 with a zone offset may leave the four-digit range: not round-trippable.
  const auto y = static_cast<int>(year_month_day(floor<days>(ms)).year());
  if (y < 1 || y > 9998) return 0;
  const auto again = throng::proto::parseXmppDateTime(throng::proto::formatXmppDateTime(*parsed));
  if (!again || floor<milliseconds>(*again) != floor<milliseconds>(*parsed)) std::abort();
  return 0;
}
