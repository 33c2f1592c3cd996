// STUN messages as ICE-lite needs them (design.md §5 step 2): RFC 8489 with the ICE attributes of
// RFC 8445 §16 and short-term credentials (RFC 8489 §9.1). Pure: bytes in, a value or nothing out.
#pragma once

#include <boost/asio/ip/udp.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace throng::rtc {

// Message types (method Binding 0x001 with each class, RFC 8489 §5 and §18.2).
inline constexpr std::uint16_t kStunBindingRequest = 0x0001, kStunBindingSuccess = 0x0101,
                               kStunBindingError = 0x0111, kStunBindingIndication = 0x0011;

// RFC 8489 §6.1: a message over UDP should fit the path MTU; ICE checks are ~100-200 bytes. Larger
// datagrams are refused unread, which also bounds the copy that integrity checking makes.
inline constexpr std::size_t kStunMaxMessageSize = 2048;
// RFC 5389 §15.3: USERNAME is fewer than 513 bytes (RFC 8489 §14.3 says 509; old peers use 512).
inline constexpr std::size_t kStunMaxUsernameSize = 512;

using StunTransactionId = std::array<std::uint8_t, 12>;

struct StunMessage {
  std::uint16_t type = 0;
  StunTransactionId transaction_id{};
  std::string username;  // USERNAME; empty if absent (at most kStunMaxUsernameSize bytes)
  std::optional<std::uint32_t> priority;
  bool use_candidate = false;
  std::optional<std::uint64_t> ice_controlling;
  std::optional<std::uint64_t> ice_controlled;
  std::optional<boost::asio::ip::udp::endpoint> xor_mapped_address;  // IPv4 and IPv6
  std::optional<std::uint16_t> error_code;                           // class*100+number
  std::size_t integrity_offset = 0;  // offset of the MESSAGE-INTEGRITY attribute; 0 = absent
  bool has_fingerprint = false;      // present and correct (a wrong FINGERPRINT fails parseStun)
  // The first comprehension-required attribute (type < 0x8000) this parser does not know; 0 if
  // none. RFC 8489 §6.3.1: a request carrying one is answered 420 (buildBindingError lists it in
  // UNKNOWN-ATTRIBUTES), a response carrying one is discarded.
  std::uint16_t unknown_required_attribute = 0;
};

// Checks the header (leading zero bits, magic cookie, length = datagram size - 20, a multiple of
// 4) and each attribute's bounds and padding. Unknown comprehension-optional attributes are
// skipped; of a repeated attribute the first counts (RFC 8489 §14). Attributes after
// MESSAGE-INTEGRITY other than FINGERPRINT are ignored (§14.5); nothing may follow FINGERPRINT
// (§14.7), and a FINGERPRINT that does not match fails the parse.
std::optional<StunMessage> parseStun(std::span<const std::uint8_t> datagram);

// HMAC-SHA1 keyed with the short-term password over the message up to MESSAGE-INTEGRITY, with the
// header's length field covering MESSAGE-INTEGRITY as its end (§14.5); compared in constant time.
// False when `message` (parsed from `datagram`) has no MESSAGE-INTEGRITY.
bool checkStunIntegrity(std::span<const std::uint8_t> datagram, const StunMessage& message,
                        std::string_view password);

// The answer to a Binding request: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT (RFC 8445
// §7.3.1.5).
std::string buildBindingSuccess(const StunMessage& request,
                                const boost::asio::ip::udp::endpoint& mapped,
                                std::string_view password);

// ERROR-CODE (reason cut to the 763 bytes RFC 8489 §14.8 allows), UNKNOWN-ATTRIBUTES for a 420
// when the request had one, MESSAGE-INTEGRITY only if `password` is non-empty (a 400 or 401 for a
// request that failed authentication carries none, §9.1.3), FINGERPRINT always.
std::string buildBindingError(const StunMessage& request, std::uint16_t code,
                              std::string_view reason, std::string_view password);

struct BindingRequestParams {
  std::string username;  // "<remote ufrag>:<local ufrag>"; cut to kStunMaxUsernameSize
  std::string password;  // the remote side's ice-pwd
  std::uint32_t priority = 0;
  std::uint64_t tie_breaker = 0;
  bool controlling = true;
  bool use_candidate = false;
  StunTransactionId transaction_id{};
};

// A connectivity check (RFC 8445 §7.1.1): USERNAME, ICE-CONTROLLING or ICE-CONTROLLED,
// USE-CANDIDATE if asked, PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT.
std::string buildBindingRequest(const BindingRequestParams& params);

}  // namespace throng::rtc
