// STUN constants shared by the parser (stun.cpp) and the builders (stun_build.cpp): attribute
// types (RFC 8489 §18.3, RFC 8445 §16.1) and the magic cookie. Not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>

namespace throng::rtc::stun {

inline constexpr std::size_t kHeaderSize = 20;          // RFC 8489 §5
inline constexpr std::size_t kAttributeHeaderSize = 4;  // type + length, RFC 8489 §14
inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kIntegritySize = 20;             // HMAC-SHA1, RFC 8489 §14.5
inline constexpr std::size_t kFingerprintSize = 4;            // CRC-32, RFC 8489 §14.7
inline constexpr std::uint32_t kFingerprintXor = 0x5354554e;  // "STUN", RFC 8489 §14.7
inline constexpr std::size_t kMaxReasonSize = 763;  // ERROR-CODE reason phrase, RFC 8489 §14.8

// Comprehension-required (0x0000-0x7FFF).
inline constexpr std::uint16_t kMappedAddress = 0x0001;
inline constexpr std::uint16_t kUsername = 0x0006;
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;
inline constexpr std::uint16_t kErrorCode = 0x0009;
inline constexpr std::uint16_t kUnknownAttributes = 0x000A;
inline constexpr std::uint16_t kRealm = 0x0014;
inline constexpr std::uint16_t kNonce = 0x0015;
inline constexpr std::uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr std::uint16_t kPasswordAlgorithm = 0x001D;
inline constexpr std::uint16_t kUserhash = 0x001E;
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kPriority = 0x0024;
inline constexpr std::uint16_t kUseCandidate = 0x0025;
// Comprehension-optional (0x8000-0xFFFF).
inline constexpr std::uint16_t kFingerprint = 0x8028;
inline constexpr std::uint16_t kIceControlled = 0x8029;
inline constexpr std::uint16_t kIceControlling = 0x802A;
inline constexpr std::uint16_t kFirstOptional = 0x8000;

// XOR-MAPPED-ADDRESS families (RFC 8489 §14.2).
inline constexpr std::uint8_t kFamilyIpv4 = 0x01;
inline constexpr std::uint8_t kFamilyIpv6 = 0x02;

// Attribute values are padded to a multiple of 4 bytes (RFC 8489 §14).
constexpr std::size_t padded(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

}  // namespace throng::rtc::stun
