// STUN parsing and MESSAGE-INTEGRITY checking (RFC 8489 §5, §14, §15); see stun.h.
#include "rtc/stun.h"

#include "rtc/byte_order.h"
#include "rtc/stun_attributes.h"
#include "rtc/stun_crypto.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace throng::rtc {
namespace {

using namespace stun;  // NOLINT(google-build-using-namespace): the attribute constants
using Bytes = std::span<const std::uint8_t>;

// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the port is XORed with the cookie's top half, an IPv4
// address with the cookie, an IPv6 address with the cookie followed by the transaction ID.
std::optional<boost::asio::ip::udp::endpoint> readXorAddress(Bytes value,
                                                             const StunTransactionId& id) {
  if (value.size() < 4) return std::nullopt;
  const auto port = static_cast<std::uint16_t>(wire::readU16(value, 2) ^ (kMagicCookie >> 16));
  if (value[1] == kFamilyIpv4 && value.size() == 8) {
    const boost::asio::ip::address_v4 address(wire::readU32(value, 4) ^ kMagicCookie);
    return boost::asio::ip::udp::endpoint(address, port);
  }
  if (value[1] == kFamilyIpv6 && value.size() == 20) {
    boost::asio::ip::address_v6::bytes_type bytes;
    std::array<std::uint8_t, 16> key{};
    wire::writeU32(key, 0, kMagicCookie);
    std::copy(id.begin(), id.end(), key.begin() + 4);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<unsigned char>(value[4 + i] ^ key[i]);
    }
    return boost::asio::ip::udp::endpoint(boost::asio::ip::address_v6(bytes), port);
  }
  return std::nullopt;
}

// ERROR-CODE (RFC 8489 §14.8): class 3-6 in the low 3 bits of byte 2, number 0-99 in byte 3.
std::optional<std::uint16_t> readErrorCode(Bytes value) {
  if (value.size() < 4 || value.size() > 4 + kMaxReasonSize) return std::nullopt;
  const int error_class = value[2] & 0x07;
  const int number = value[3];
  if (error_class < 3 || error_class > 6 || number > 99) return std::nullopt;
  return static_cast<std::uint16_t>(error_class * 100 + number);
}

bool isKnownUnusedRequired(std::uint16_t type) {
  switch (type) {
    case kMappedAddress:
    case kUnknownAttributes:
    case kRealm:
    case kNonce:
    case kPasswordAlgorithm:
    case kUserhash:
      return true;
    default:
      return false;
  }
}

// Reads one attribute before MESSAGE-INTEGRITY into `m`; false when it is malformed.
bool readAttribute(std::uint16_t type, Bytes value, StunMessage& m, bool& seen_username) {
  switch (type) {
    case kUsername:
      if (value.size() > kStunMaxUsernameSize) return false;
      if (!seen_username) {
        m.username.assign(reinterpret_cast<const char*>(value.data()), value.size());
        seen_username = true;
      }
      return true;
    case kPriority:
      if (value.size() != 4) return false;
      if (!m.priority) m.priority = wire::readU32(value, 0);
      return true;
    case kUseCandidate:
      if (!value.empty()) return false;
      m.use_candidate = true;
      return true;
    case kIceControlling:
      if (value.size() != 8) return false;
      if (!m.ice_controlling) m.ice_controlling = wire::readU64(value, 0);
      return true;
    case kIceControlled:
      if (value.size() != 8) return false;
      if (!m.ice_controlled) m.ice_controlled = wire::readU64(value, 0);
      return true;
    case kXorMappedAddress: {
      auto address = readXorAddress(value, m.transaction_id);
      if (!address) return false;
      if (!m.xor_mapped_address) m.xor_mapped_address = *address;
      return true;
    }
    case kErrorCode: {
      auto code = readErrorCode(value);
      if (!code) return false;
      if (!m.error_code) m.error_code = *code;
      return true;
    }
    default:
      if (type < kFirstOptional && !isKnownUnusedRequired(type) &&
          m.unknown_required_attribute == 0) {
        m.unknown_required_attribute = type;
      }
      return true;  // comprehension-optional, or known and not needed by ICE-lite
  }
}

}  // namespace

std::optional<StunMessage> parseStun(std::span<const std::uint8_t> datagram) {
  const Bytes d = datagram;
  if (d.size() < kHeaderSize || d.size() > kStunMaxMessageSize) return std::nullopt;
  if ((d[0] & 0xC0) != 0) return std::nullopt;  // the two leading zero bits, RFC 8489 §5
  const std::size_t length = wire::readU16(d, 2);
  if (length % 4 != 0 || kHeaderSize + length != d.size()) return std::nullopt;
  if (wire::readU32(d, 4) != kMagicCookie) return std::nullopt;

  StunMessage m;
  m.type = wire::readU16(d, 0);
  std::copy_n(d.begin() + 8, m.transaction_id.size(), m.transaction_id.begin());

  bool seen_username = false;
  bool after_sha256 = false;  // RFC 8489 §14.6: only MESSAGE-INTEGRITY and FINGERPRINT count now
  std::size_t at = kHeaderSize;
  while (at < d.size()) {
    if (m.has_fingerprint) return std::nullopt;  // FINGERPRINT is last (§14.7)
    if (d.size() - at < kAttributeHeaderSize) return std::nullopt;
    const std::uint16_t type = wire::readU16(d, at);
    const std::size_t value_size = wire::readU16(d, at + 2);
    const std::size_t value_at = at + kAttributeHeaderSize;
    if (padded(value_size) > d.size() - value_at) return std::nullopt;
    const Bytes value = d.subspan(value_at, value_size);

    if (type == kFingerprint) {
      if (value_size != kFingerprintSize) return std::nullopt;
      if (wire::readU32(value, 0) != computeFingerprint(d.first(at))) return std::nullopt;
      m.has_fingerprint = true;
    } else if (m.integrity_offset != 0) {
      // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY, FINGERPRINT aside, are ignored.
    } else if (type == kMessageIntegrity) {
      if (value_size != kIntegritySize) return std::nullopt;
      m.integrity_offset = at;
    } else if (type == kMessageIntegritySha256) {
      // Not used by ICE (RFC 8445 §7.2.2 uses SHA-1); bounds from RFC 8489 §14.6.
      if (value_size < 16 || value_size > 32 || value_size % 4 != 0) return std::nullopt;
      after_sha256 = true;
    } else if (!after_sha256 && !readAttribute(type, value, m, seen_username)) {
      return std::nullopt;
    }
    at = value_at + padded(value_size);
  }
  return m;
}

bool checkStunIntegrity(std::span<const std::uint8_t> datagram, const StunMessage& message,
                        std::string_view password) {
  const std::size_t at = message.integrity_offset;
  if (at < kHeaderSize || datagram.size() > kStunMaxMessageSize ||
      at + kAttributeHeaderSize + kIntegritySize > datagram.size() ||
      wire::readU16(datagram, at) != kMessageIntegrity) {
    return false;
  }
  const auto expected = computeIntegrity(datagram.first(at), password);
  if (!expected) return false;
  return CRYPTO_memcmp(expected->data(), datagram.data() + at + kAttributeHeaderSize,
                       expected->size()) == 0;
}

}  // namespace throng::rtc
