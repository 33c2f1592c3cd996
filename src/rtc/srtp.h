// SRTP and SRTCP (RFC 3711, AEAD-AES-GCM from RFC 7714) behind one interface, with two
// implementations: throng's own on OpenSSL EVP (srtp_openssl.cpp) and a wrapper over Debian's
// libsrtp2 (srtp_libsrtp.cpp). Each is the other's test oracle; defaultSrtpImplementation() names
// the one the engine uses, chosen by bench/micro/srtp_bench.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace throng::rtc {

// The DTLS-SRTP protection profiles throng negotiates (RFC 5764 §4.1.2, RFC 7714 §14.2).
enum class SrtpProfile { kAeadAes128Gcm, kAeadAes256Gcm, kAes128CmHmacSha1_80 };

// The RFC 5764 / RFC 7714 names OpenSSL uses, e.g. "SRTP_AEAD_AES_128_GCM".
const char* srtpProfileName(SrtpProfile profile);
std::optional<SrtpProfile> srtpProfileFromName(std::string_view name);

// Master key and salt lengths of a profile (RFC 7714 §14.2: 96-bit salt for GCM; RFC 5764
// §4.1.2: 112-bit salt for AES-CM).
std::size_t srtpMasterKeyLength(SrtpProfile profile);
std::size_t srtpMasterSaltLength(SrtpProfile profile);

// One direction's master key and salt (16/32-byte key; 12-byte salt for GCM, 14 for CM).
struct SrtpKeys {
  SrtpProfile profile = SrtpProfile::kAeadAes128Gcm;
  std::string master_key;
  std::string master_salt;
};

// Extra bytes a protected packet may need beyond its plaintext length: the 16-byte tag plus the
// 4-byte SRTCP index.
inline constexpr std::size_t kSrtpMaxOverhead = 16 + 4;

// How many SSRCs one session tracks per direction. A WebRTC peer sends a handful (audio, video,
// RTX, simulcast layers); packets of further SSRCs are refused so a peer cannot make us keep
// unbounded state.
inline constexpr std::size_t kSrtpMaxSsrcsPerDirection = 16;

// Replay window (RFC 3711 §3.3.2 asks for at least 64). 1024, like browsers use for video: a
// packet retransmitted after a NACK arrives an RTT late, which at a few Mbit/s is hundreds of
// packets behind the newest.
inline constexpr std::uint64_t kSrtpReplayWindow = 1024;

// One SRTP/SRTCP session = one direction out + one in, any number of SSRCs (bounded by
// kSrtpMaxSsrcsPerDirection per direction; packets of further SSRCs are refused).
// Not thread-safe: used by one worker.
class SrtpSession {
 public:
  virtual ~SrtpSession() = default;
  // In place: `length` in/out; the buffer has room for length + kSrtpMaxOverhead.
  // false = refused (count it; never throws). A refused packet's buffer may have been altered.
  virtual bool protectRtp(std::uint8_t* packet, std::size_t& length) = 0;
  // Authenticates, replay-checks (RFC 3711 §3.3.2, kSrtpReplayWindow), decrypts.
  virtual bool unprotectRtp(std::uint8_t* packet, std::size_t& length) = 0;
  virtual bool protectRtcp(std::uint8_t* packet, std::size_t& length) = 0;
  virtual bool unprotectRtcp(std::uint8_t* packet, std::size_t& length) = 0;
};

enum class SrtpImplementation { kOpenSsl, kLibSrtp };
const char* srtpImplementationName(SrtpImplementation implementation);

// The implementation the engine uses (the faster one as measured by srtp_bench; see srtp.cpp).
SrtpImplementation defaultSrtpImplementation();

// Fails when a key or salt has the wrong length for its profile, or the library refuses them.
Result<std::unique_ptr<SrtpSession>> makeSrtpSession(SrtpImplementation implementation,
                                                     const SrtpKeys& outbound,
                                                     const SrtpKeys& inbound);

}  // namespace throng::rtc
