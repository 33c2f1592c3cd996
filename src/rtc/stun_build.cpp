// Builders of the STUN messages ICE-lite sends (RFC 8489 §6, RFC 8445 §7); see stun.h.
#include "rtc/byte_order.h"
#include "rtc/stun.h"
#include "rtc/stun_attributes.h"
#include "rtc/stun_crypto.h"

#include <algorithm>
#include <cassert>

namespace throng::rtc {
namespace {

using namespace stun;  // NOLINT(google-build-using-namespace): the attribute constants

std::string startMessage(std::uint16_t type, const StunTransactionId& id) {
  std::string out;
  out.reserve(128);  // a Binding success with integrity and fingerprint is 64-76 bytes
  wire::appendU16(out, type);
  wire::appendU16(out, 0);  // length, patched as attributes are added
  wire::appendU32(out, kMagicCookie);
  out.append(reinterpret_cast<const char*>(id.data()), id.size());
  return out;
}

void setLength(std::string& out, std::size_t extra) {
  wire::patchU16(out, 2, static_cast<std::uint16_t>(out.size() - kHeaderSize + extra));
}

void appendAttribute(std::string& out, std::uint16_t type, std::string_view value) {
  assert(value.size() <= 0xFFFF);
  wire::appendU16(out, type);
  wire::appendU16(out, static_cast<std::uint16_t>(value.size()));
  out.append(value);
  out.append(padded(value.size()) - value.size(), '\0');  // zero padding, RFC 8489 §14
  setLength(out, 0);
}

void appendXorMappedAddress(std::string& out, const boost::asio::ip::udp::endpoint& mapped,
                            const StunTransactionId& id) {
  std::string value;
  wire::appendU8(value, 0);
  const auto port = static_cast<std::uint16_t>(mapped.port() ^ (kMagicCookie >> 16));
  if (mapped.address().is_v4()) {
    wire::appendU8(value, kFamilyIpv4);
    wire::appendU16(value, port);
    wire::appendU32(value, mapped.address().to_v4().to_uint() ^ kMagicCookie);
  } else {
    wire::appendU8(value, kFamilyIpv6);
    wire::appendU16(value, port);
    std::array<std::uint8_t, 16> key{};
    wire::writeU32(key, 0, kMagicCookie);
    std::copy(id.begin(), id.end(), key.begin() + 4);
    const auto bytes = mapped.address().to_v6().to_bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      wire::appendU8(value, static_cast<std::uint8_t>(bytes[i] ^ key[i]));
    }
  }
  appendAttribute(out, kXorMappedAddress, value);
}

// MESSAGE-INTEGRITY when a password is given (§14.5), then FINGERPRINT (§14.7).
std::string finish(std::string out, std::string_view password) {
  if (!password.empty()) {
    const auto mac = computeIntegrity(wire::bytesOf(out), password);
    const Hmac value = mac.value_or(Hmac{});  // OpenSSL failing: the peer rejects the message
    appendAttribute(out, kMessageIntegrity,
                    {reinterpret_cast<const char*>(value.data()), value.size()});
  }
  setLength(out, kAttributeHeaderSize + kFingerprintSize);
  std::string crc;
  wire::appendU32(crc, computeFingerprint(wire::bytesOf(out)));
  appendAttribute(out, kFingerprint, crc);
  return out;
}

std::string u32Value(std::uint32_t v) {
  std::string s;
  wire::appendU32(s, v);
  return s;
}

std::string u64Value(std::uint64_t v) {
  std::string s;
  wire::appendU64(s, v);
  return s;
}

}  // namespace

std::string buildBindingSuccess(const StunMessage& request,
                                const boost::asio::ip::udp::endpoint& mapped,
                                std::string_view password) {
  std::string out = startMessage(kStunBindingSuccess, request.transaction_id);
  appendXorMappedAddress(out, mapped, request.transaction_id);
  return finish(std::move(out), password);
}

std::string buildBindingError(const StunMessage& request, std::uint16_t code,
                              std::string_view reason, std::string_view password) {
  if (code < 300 || code > 699) code = 500;  // ERROR-CODE classes are 3-6 (RFC 8489 §14.8)
  if (reason.size() > kMaxReasonSize) {
    std::size_t cut = kMaxReasonSize;
    while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);  // at a UTF-8 character boundary
  }
  std::string out = startMessage(kStunBindingError, request.transaction_id);
  std::string value;
  wire::appendU16(value, 0);
  wire::appendU8(value, static_cast<std::uint8_t>(code / 100));
  wire::appendU8(value, static_cast<std::uint8_t>(code % 100));
  value.append(reason);
  appendAttribute(out, kErrorCode, value);
  if (code == 420 && request.unknown_required_attribute != 0) {
    std::string types;
    wire::appendU16(types, request.unknown_required_attribute);
    appendAttribute(out, kUnknownAttributes, types);  // RFC 8489 §14.9
  }
  return finish(std::move(out), password);
}

std::string buildBindingRequest(const BindingRequestParams& params) {
  std::string out = startMessage(kStunBindingRequest, params.transaction_id);
  appendAttribute(out, kUsername,
                  std::string_view(params.username).substr(0, kStunMaxUsernameSize));
  appendAttribute(out, params.controlling ? kIceControlling : kIceControlled,
                  u64Value(params.tie_breaker));
  if (params.use_candidate) appendAttribute(out, kUseCandidate, {});
  appendAttribute(out, kPriority, u32Value(params.priority));
  return finish(std::move(out), params.password);
}

}  // namespace throng::rtc
