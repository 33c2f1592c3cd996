// Network byte order (big-endian) reads and writes shared by the wire formats (STUN, RTP, RTCP).
// Callers check bounds first; the asserts catch a caller that did not.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace throng::rtc::wire {

inline std::uint16_t readU16(std::span<const std::uint8_t> b, std::size_t at) {
  assert(at + 2 <= b.size());
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

inline std::uint32_t readU24(std::span<const std::uint8_t> b, std::size_t at) {
  assert(at + 3 <= b.size());
  return (std::uint32_t{b[at]} << 16) | (std::uint32_t{b[at + 1]} << 8) | b[at + 2];
}

inline std::uint32_t readU32(std::span<const std::uint8_t> b, std::size_t at) {
  assert(at + 4 <= b.size());
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

inline std::uint64_t readU64(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint64_t{readU32(b, at)} << 32) | readU32(b, at + 4);
}

inline void writeU16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) {
  assert(at + 2 <= b.size());
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

inline void writeU32(std::span<std::uint8_t> b, std::size_t at, std::uint32_t v) {
  assert(at + 4 <= b.size());
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}

// Builders write into std::string (bytes as char); these append in network order.
inline void appendU8(std::string& out, std::uint8_t v) {
  out.push_back(static_cast<char>(v));
}

inline void appendU16(std::string& out, std::uint16_t v) {
  appendU8(out, static_cast<std::uint8_t>(v >> 8));
  appendU8(out, static_cast<std::uint8_t>(v));
}

inline void appendU24(std::string& out, std::uint32_t v) {
  appendU8(out, static_cast<std::uint8_t>(v >> 16));
  appendU16(out, static_cast<std::uint16_t>(v));
}

inline void appendU32(std::string& out, std::uint32_t v) {
  appendU16(out, static_cast<std::uint16_t>(v >> 16));
  appendU16(out, static_cast<std::uint16_t>(v));
}

inline void appendU64(std::string& out, std::uint64_t v) {
  appendU32(out, static_cast<std::uint32_t>(v >> 32));
  appendU32(out, static_cast<std::uint32_t>(v));
}

// Overwrites a 16-bit field of a message being built (a length filled in once known).
inline void patchU16(std::string& out, std::size_t at, std::uint16_t v) {
  assert(at + 2 <= out.size());
  out[at] = static_cast<char>(v >> 8);
  out[at + 1] = static_cast<char>(v);
}

// The bytes of a built message as the parsers take them.
inline std::span<const std::uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace throng::rtc::wire
