// Fuzzes the STUN parser (src/rtc/stun.h) and, for every message it accepts, the builders: an
// answer built for any accepted request must parse back with the same transaction ID, a correct
// FINGERPRINT and, where a password was given, a MESSAGE-INTEGRITY that verifies.
#include "rtc/packet_class.h"
#include "rtc/stun.h"

#include <boost/crc.hpp>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

namespace {

using throng::rtc::parseStun;
using throng::rtc::StunMessage;

constexpr std::string_view kPassword = "VOkJxbRl1RmTxUk/WvJxBt";  // the seeds' (RFC 5769 §2)

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void checkBuilt(const std::string& out, const StunMessage& request, bool integrity) {
  auto back = parseStun(bytes(out));
  if (!back || !back->has_fingerprint || back->transaction_id != request.transaction_id) {
    std::abort();
  }
  if (throng::rtc::checkStunIntegrity(bytes(out), *back, kPassword) != integrity) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
  // A mutation almost always breaks the CRC and the parse stops there; when the input ends in a
  // FINGERPRINT attribute, fix it up (on a copy) so that the attributes before it get explored.
  std::vector<std::uint8_t> copy(raw, raw + size);
  if (size >= 28 && copy[size - 8] == 0x80 && copy[size - 7] == 0x28 && copy[size - 6] == 0 &&
      copy[size - 5] == 4) {
    boost::crc_32_type crc;
    crc.process_bytes(copy.data(), size - 8);
    const std::uint32_t value = crc.checksum() ^ 0x5354554e;
    for (int i = 0; i < 4; ++i)
      copy[size - 4 + i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
  }
  const std::uint8_t* data = copy.data();
  const std::span<const std::uint8_t> in(copy);
  auto m = parseStun(in);
  if (!m) return 0;
  // STUN types reach 0x3FFF, but RFC 7983 routes only first bytes 0-3 (the methods in use) to STUN.
  if (data[0] <= 3 && throng::rtc::classifyPacket(in) != throng::rtc::PacketClass::kStun) {
    std::abort();
  }
  if (m->username.size() > throng::rtc::kStunMaxUsernameSize) std::abort();
  if (m->integrity_offset != 0 && (m->integrity_offset < 20 || m->integrity_offset + 24 > size)) {
    std::abort();
  }
  (void)throng::rtc::checkStunIntegrity(in, *m, kPassword);

  const auto mapped = m->xor_mapped_address.value_or(
      boost::asio::ip::udp::endpoint(boost::asio::ip::address_v4::loopback(), 5000));
  checkBuilt(throng::rtc::buildBindingSuccess(*m, mapped, kPassword), *m, true);
  checkBuilt(
      throng::rtc::buildBindingError(*m, m->error_code.value_or(400), m->username, kPassword), *m,
      true);
  checkBuilt(throng::rtc::buildBindingError(*m, 420, "Unknown Attribute", ""), *m, false);

  throng::rtc::BindingRequestParams params;
  params.username = m->username;
  params.password = std::string(kPassword);
  params.priority = m->priority.value_or(0);
  params.tie_breaker = m->ice_controlling.value_or(m->ice_controlled.value_or(0));
  params.controlling = m->ice_controlling.has_value();
  params.use_candidate = m->use_candidate;
  params.transaction_id = m->transaction_id;
  const std::string request = throng::rtc::buildBindingRequest(params);
  checkBuilt(request, *m, true);
  auto back = parseStun(bytes(request));
  if (back->username != m->username || back->use_candidate != m->use_candidate ||
      back->priority.value_or(0) != params.priority) {
    std::abort();
  }
  return 0;
}
