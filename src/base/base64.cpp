#include "base/base64.h"

#include <array>
#include <cstdint>

namespace throng {
namespace {

// Hand-rolled rather than EVP_EncodeBlock/EVP_DecodeBlock: the OpenSSL decoder accepts
// surrounding whitespace, returns pad bytes as zeros that the caller must strip, and does not
// check pad bits, so strictness would need a second pass anyway.
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> makeDecodeTable() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecode = makeDecodeTable();

}  // namespace

std::string base64Encode(std::string_view data) {
  const auto byteAt = [data](std::size_t i) -> std::uint32_t {
    return i < data.size() ? static_cast<unsigned char>(data[i]) : 0u;
  };
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  // Each 3-byte group becomes 4 characters; a short last group is padded with '=' (§4).
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t left = data.size() - i;
    const std::uint32_t n = (byteAt(i) << 16) | (byteAt(i + 1) << 8) | byteAt(i + 2);
    out.push_back(kAlphabet[(n >> 18) & 0x3F]);
    out.push_back(kAlphabet[(n >> 12) & 0x3F]);
    out.push_back(left > 1 ? kAlphabet[(n >> 6) & 0x3F] : '=');
    out.push_back(left > 2 ? kAlphabet[n & 0x3F] : '=');
  }
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    // '=' may only end the last quantum: "xx==" or "xxx=" (RFC 4648 §4).
    std::size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    std::uint32_t n = 0;
    for (std::size_t k = 0; k < 4 - pad; ++k) {
      const std::uint8_t v = kDecode[static_cast<unsigned char>(text[i + k])];
      if (v == kInvalid) return std::nullopt;  // also catches '=' anywhere else
      n |= static_cast<std::uint32_t>(v) << (18 - 6 * k);
    }
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad == 2) {
      if ((n & 0xFFFF) != 0) return std::nullopt;  // non-zero pad bits (§3.5)
      break;
    }
    out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad == 1) {
      if ((n & 0xFF) != 0) return std::nullopt;
      break;
    }
    out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

}  // namespace throng
