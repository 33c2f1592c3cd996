// Base64 (RFC 4648 §4, the standard alphabet with '=' padding), as SASL (RFC 6120 §6.4.2) and
// SCRAM (RFC 5802 §5.1) carry binary data. Pure functions: no I/O, no allocation beyond the
// result.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace throng {

// Encodes `data` (any bytes) with padding; the empty input encodes to "".
std::string base64Encode(std::string_view data);

// Strict decoding (RFC 4648 §3.3: "implementations MUST reject the encoded data if it contains
// characters outside the base alphabet"): nullopt on a character outside the alphabet
// (whitespace and line breaks included), a length that is not a multiple of 4, misplaced or
// excess '=', or non-zero pad bits (§3.5: a canonical encoding only, so one value has one
// spelling). "" decodes to "".
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace throng
