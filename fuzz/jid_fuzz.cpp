// Fuzzes the JID parser (src/proto/jid.h, RFC 7622). It must never crash; whatever it accepts
// must be normalized: parsing full() gives an equal Jid, and make() on the parts agrees.
#include "proto/jid.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto jid = throng::proto::Jid::parse(input);
  if (!jid) return 0;
  const auto again = throng::proto::Jid::parse(jid->full());
  if (!again || !(*again == *jid)) std::abort();
  const auto made = throng::proto::Jid::make(jid->local(), jid->domain(), jid->resource());
  if (!made || !(*made == *jid)) std::abort();
  if (jid->domain().empty() || jid->domain().size() > 1023) std::abort();
  if (jid->bare().hasResource() ||
      !(jid->bare() == *throng::proto::Jid::parse(jid->bareString()))) {
    std::abort();
  }
  return 0;
}
