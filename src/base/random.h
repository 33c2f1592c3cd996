// Unguessable tokens (session ids, WHEP/WHIP resource ids, admin tokens) from OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <string>

namespace throng {

// `bytes` random bytes rendered as lowercase hex (2 * bytes characters). 16 bytes = 128 bits,
// the least throng uses for anything that grants access.
std::string randomHexToken(std::size_t bytes = 16);

// Compares two secrets in time independent of where they differ.
bool constantTimeEquals(const std::string& a, const std::string& b);

}  // namespace throng
