// SrtpSession over libsrtp2. One srtp_t per direction: a libsrtp session holds one wildcard
// template (ssrc_any_outbound or ssrc_any_inbound), from which it makes a stream per SSRC.
#include "rtc/srtp_libsrtp.h"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

namespace throng::rtc {
namespace {

// Nothing larger fits in a UDP datagram; it also keeps lengths within libsrtp's int.
constexpr std::size_t kMaxPacketLength = 65535;
constexpr std::size_t kRtpFixedHeaderSize = 12;
constexpr std::size_t kRtcpClearPrefixSize = 8;

std::uint32_t load32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// srtp_init() registers libsrtp's ciphers process-wide; once, whichever worker gets there first.
srtp_err_status_t initLibSrtp() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] { status = srtp_init(); });
  return status;
}

struct SrtpDealloc {
  void operator()(srtp_ctx_t* session) const { srtp_dealloc(session); }
};
using SrtpHandle = std::unique_ptr<srtp_ctx_t, SrtpDealloc>;

void setCryptoPolicy(SrtpProfile profile, srtp_crypto_policy_t& policy) {
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy);
      return;
    case SrtpProfile::kAeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy);
      return;
    case SrtpProfile::kAes128CmHmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy);
      return;
  }
}

Result<SrtpHandle> makeContext(const SrtpKeys& keys, srtp_ssrc_type_t direction) {
  if (keys.master_key.size() != srtpMasterKeyLength(keys.profile) ||
      keys.master_salt.size() != srtpMasterSaltLength(keys.profile)) {
    return makeError(std::string("SRTP master key or salt of the wrong length for ") +
                     srtpProfileName(keys.profile));
  }
  // libsrtp takes the key and salt concatenated; it copies what it derives from them.
  std::string key = keys.master_key + keys.master_salt;
  srtp_policy_t policy{};
  setCryptoPolicy(keys.profile, policy.rtp);
  setCryptoPolicy(keys.profile, policy.rtcp);
  policy.ssrc.type = direction;
  policy.key = reinterpret_cast<unsigned char*>(key.data());
  policy.window_size = kSrtpReplayWindow;
  // A NACK retransmission resends a packet with the index it had the first time.
  policy.allow_repeat_tx = 1;
  policy.next = nullptr;
  srtp_t session = nullptr;
  const srtp_err_status_t status = srtp_create(&session, &policy);
  OPENSSL_cleanse(key.data(), key.size());
  if (status != srtp_err_status_ok) {
    return makeError("libsrtp srtp_create failed with status " +
                     std::to_string(static_cast<int>(status)));
  }
  return SrtpHandle(session);
}

// The SSRCs libsrtp has (or is about to have) a stream for, bounded like the OpenSSL side.
class SsrcSet {
 public:
  bool contains(std::uint32_t ssrc) const {
    for (std::size_t i = 0; i < count_; ++i) {
      if (ssrcs_[i] == ssrc) return true;
    }
    return false;
  }
  bool full() const { return count_ == ssrcs_.size(); }
  void add(std::uint32_t ssrc) {
    if (!full()) ssrcs_[count_++] = ssrc;
  }
  // Known, or room to become known.
  bool admit(std::uint32_t ssrc) {
    if (contains(ssrc)) return true;
    if (full()) return false;
    add(ssrc);
    return true;
  }

 private:
  std::array<std::uint32_t, kSrtpMaxSsrcsPerDirection> ssrcs_{};
  std::size_t count_ = 0;
};

class LibSrtpSession final : public SrtpSession {
 public:
  LibSrtpSession(SrtpHandle out, SrtpHandle in) : out_(std::move(out)), in_(std::move(in)) {}

  bool protectRtp(std::uint8_t* packet, std::size_t& length) override {
    if (length < kRtpFixedHeaderSize || length > kMaxPacketLength) return false;
    if (!out_ssrcs_.admit(load32(packet + 8))) return false;
    return call(srtp_protect, out_.get(), packet, length);
  }

  bool unprotectRtp(std::uint8_t* packet, std::size_t& length) override {
    if (length < kRtpFixedHeaderSize || length > kMaxPacketLength) return false;
    return unprotect(srtp_unprotect, load32(packet + 8), packet, length);
  }

  bool protectRtcp(std::uint8_t* packet, std::size_t& length) override {
    if (length < kRtcpClearPrefixSize || length > kMaxPacketLength) return false;
    if (!out_ssrcs_.admit(load32(packet + 4))) return false;
    return call(srtp_protect_rtcp, out_.get(), packet, length);
  }

  bool unprotectRtcp(std::uint8_t* packet, std::size_t& length) override {
    if (length < kRtcpClearPrefixSize || length > kMaxPacketLength) return false;
    return unprotect(srtp_unprotect_rtcp, load32(packet + 4), packet, length);
  }

 private:
  using Function = srtp_err_status_t (*)(srtp_t, void*, int*);

  static bool call(Function function, srtp_t session, std::uint8_t* packet, std::size_t& length) {
    int n = static_cast<int>(length);
    if (function(session, packet, &n) != srtp_err_status_ok || n < 0) return false;
    length = static_cast<std::size_t>(n);
    return true;
  }

  // libsrtp makes a stream for a new SSRC only once its packet authenticates; the set follows.
  bool unprotect(Function function, std::uint32_t ssrc, std::uint8_t* packet, std::size_t& length) {
    const bool known = in_ssrcs_.contains(ssrc);
    if (!known && in_ssrcs_.full()) return false;
    if (!call(function, in_.get(), packet, length)) return false;
    if (!known) in_ssrcs_.add(ssrc);
    return true;
  }

  SrtpHandle out_;
  SrtpHandle in_;
  SsrcSet out_ssrcs_;
  SsrcSet in_ssrcs_;
};

}  // namespace

Result<std::unique_ptr<SrtpSession>> makeLibSrtpSession(const SrtpKeys& outbound,
                                                        const SrtpKeys& inbound) {
  if (const srtp_err_status_t status = initLibSrtp(); status != srtp_err_status_ok) {
    return makeError("libsrtp srtp_init failed with status " +
                     std::to_string(static_cast<int>(status)));
  }
  auto out = makeContext(outbound, ssrc_any_outbound);
  if (!out) return out.error();
  auto in = makeContext(inbound, ssrc_any_inbound);
  if (!in) return in.error();
  return std::unique_ptr<SrtpSession>(
      std::make_unique<LibSrtpSession>(std::move(*out), std::move(*in)));
}

}  // namespace throng::rtc
