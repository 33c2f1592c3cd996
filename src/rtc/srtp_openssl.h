// throng's own SRTP/SRTCP on OpenSSL 3 EVP, written to RFC 3711 and RFC 7714. Used through
// makeSrtpSession(); the extra entry points here exist for the RFC known-answer tests, whose
// vectors give session keys or KDF outputs rather than whole sessions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "rtc/srtp.h"

namespace throng::rtc {

// RFC 3711 §4.3.1 key derivation labels.
enum class SrtpKdfLabel : std::uint8_t {
  kRtpEncryption = 0x00,
  kRtpAuthentication = 0x01,
  kRtpSalt = 0x02,
  kRtcpEncryption = 0x03,
  kRtcpAuthentication = 0x04,
  kRtcpSalt = 0x05,
};

// The SRTP KDF with key derivation rate 0 (RFC 3711 §4.3.1; the AES-CM PRF of §4.3.3; RFC 7714
// §11 uses it unchanged for GCM, the 96-bit salt padded with zeros to 112 bits). `master_key` is
// 16 or 32 bytes (AES-128 or AES-256), `master_salt` 12 or 14. nullopt on other lengths.
std::optional<std::string> deriveSrtpSessionKey(std::string_view master_key,
                                                std::string_view master_salt, SrtpKdfLabel label,
                                                std::size_t length);

// The session keys of one direction: encryption key, salt and (AES-CM only) HMAC key, for SRTP
// and for SRTCP.
struct SrtpSessionKeys {
  SrtpProfile profile = SrtpProfile::kAeadAes128Gcm;
  std::string rtp_key, rtp_salt, rtp_auth_key;
  std::string rtcp_key, rtcp_salt, rtcp_auth_key;
};
Result<SrtpSessionKeys> deriveSrtpSessionKeys(const SrtpKeys& master);

Result<std::unique_ptr<SrtpSession>> makeOpenSslSrtpSession(const SrtpKeys& outbound,
                                                            const SrtpKeys& inbound);
// The same from session keys given directly (RFC 3711 B.2 and RFC 7714 §16 vectors).
Result<std::unique_ptr<SrtpSession>> makeOpenSslSrtpSession(const SrtpSessionKeys& outbound,
                                                            const SrtpSessionKeys& inbound);

}  // namespace throng::rtc
