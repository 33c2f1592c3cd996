// MESSAGE-INTEGRITY and FINGERPRINT computations; see stun_crypto.h.
#include "rtc/stun_crypto.h"

#include "rtc/byte_order.h"
#include "rtc/stun.h"
#include "rtc/stun_attributes.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/crc.hpp>

#include <algorithm>
#include <cassert>

namespace throng::rtc::stun {

std::optional<Hmac> computeIntegrity(std::span<const std::uint8_t> prefix, std::string_view key) {
  assert(prefix.size() >= kHeaderSize && prefix.size() <= kStunMaxMessageSize);
  // The HMAC covers the header with its length patched (RFC 8489 §14.5), so hash a copy; the
  // size bound keeps the copy on the stack.
  std::array<std::uint8_t, kStunMaxMessageSize> copy;
  std::copy(prefix.begin(), prefix.end(), copy.begin());
  const std::size_t length = prefix.size() - kHeaderSize + kAttributeHeaderSize + kIntegritySize;
  wire::writeU16(copy, 2, static_cast<std::uint16_t>(length));

  Hmac out{};
  static constexpr std::uint8_t kNoKey = 0;  // OpenSSL wants a non-null key pointer
  const void* key_data = key.empty() ? static_cast<const void*>(&kNoKey) : key.data();
  unsigned int out_size = 0;
  if (HMAC(EVP_sha1(), key_data, static_cast<int>(key.size()), copy.data(), prefix.size(),
           out.data(), &out_size) == nullptr ||
      out_size != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::uint32_t computeFingerprint(std::span<const std::uint8_t> prefix) {
  boost::crc_32_type crc;
  crc.process_bytes(prefix.data(), prefix.size());
  return crc.checksum() ^ kFingerprintXor;
}

}  // namespace throng::rtc::stun
