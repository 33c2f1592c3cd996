// The two checksums of a STUN message: MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) and
// FINGERPRINT (CRC-32, §14.7). Shared by parser and builders; not part of the public API.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace throng::rtc::stun {

using Hmac = std::array<std::uint8_t, 20>;

// HMAC-SHA1 keyed with `key` over `prefix` (a message's bytes up to a MESSAGE-INTEGRITY attribute)
// as if the header's length field ended the message right after that attribute.
// Precondition: 20 <= prefix.size() <= kStunMaxMessageSize. Nothing if OpenSSL fails.
std::optional<Hmac> computeIntegrity(std::span<const std::uint8_t> prefix, std::string_view key);

// CRC-32 of `prefix` (a message's bytes up to FINGERPRINT, length field already covering it)
// XOR 0x5354554e.
std::uint32_t computeFingerprint(std::span<const std::uint8_t> prefix);

}  // namespace throng::rtc::stun
