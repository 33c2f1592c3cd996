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

// throng's own, measured faster in every case by bench/micro/srtp_bench.cpp (release build,
// OpenSSL 3.0.19 vs Debian libsrtp2 2.5.0 on NSS, AMD EPYC with AES-NI/VAES/SHA-NI; ns per packet,
// protect / unprotect, best of 5 runs of 200k packets):
//   1200-byte payload  AEAD_AES_128_GCM  407 / 408 vs 890 / 857   (0.46 / 0.48)
//                      AEAD_AES_256_GCM  431 / 416 vs 897 / 865   (0.48 / 0.48)
//                      AES128_CM_SHA1_80 918 / 930 vs 4250 / 4279 (0.22 / 0.22)
//   200-byte payload   AEAD_AES_128_GCM  235 / 220 vs 797 / 778   (0.30 / 0.28)
//                      AEAD_AES_256_GCM  251 / 226 vs 754 / 713   (0.33 / 0.32)
//                      AES128_CM_SHA1_80 297 / 322 vs 2101 / 2160 (0.14 / 0.15)
// Geometric mean 0.30: 3.4x faster, with no heap allocation per packet (libsrtp's NSS AES-ICM
// destroys and creates a PKCS#11 context at every packet's IV). libsrtp stays the test oracle.
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
