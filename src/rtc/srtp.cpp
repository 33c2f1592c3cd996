// SRTP profile names and lengths, and the choice between the two SrtpSession implementations.
#include "rtc/srtp.h"

#include "rtc/srtp_libsrtp.h"
#include "rtc/srtp_openssl.h"

namespace throng::rtc {

const char* srtpProfileName(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
    case SrtpProfile::kAeadAes256Gcm:
      return "SRTP_AEAD_AES_256_GCM";
    case SrtpProfile::kAes128CmHmacSha1_80:
      return "SRTP_AES128_CM_SHA1_80";
  }
  return "?";
}

std::optional<SrtpProfile> srtpProfileFromName(std::string_view name) {
  for (SrtpProfile profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm,
                              SrtpProfile::kAes128CmHmacSha1_80}) {
    if (name == srtpProfileName(profile)) return profile;
  }
  return std::nullopt;
}

std::size_t srtpMasterKeyLength(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes256Gcm ? 32 : 16;
}

std::size_t srtpMasterSaltLength(SrtpProfile profile) {
  return profile == SrtpProfile::kAes128CmHmacSha1_80 ? 14 : 12;
}

const char* srtpImplementationName(SrtpImplementation implementation) {
  return implementation == SrtpImplementation::kOpenSsl ? "openssl" : "libsrtp";
}

SrtpImplementation defaultSrtpImplementation() {
  return SrtpImplementation::kOpenSsl;
}

Result<std::unique_ptr<SrtpSession>> makeSrtpSession(SrtpImplementation implementation,
                                                     const SrtpKeys& outbound,
                                                     const SrtpKeys& inbound) {
  if (implementation == SrtpImplementation::kLibSrtp) {
    return makeLibSrtpSession(outbound, inbound);
  }
  return makeOpenSslSrtpSession(outbound, inbound);
}

}  // namespace throng::rtc
