// throng's SRTP/SRTCP on OpenSSL 3 EVP (RFC 3711; AEAD-AES-GCM from RFC 7714).
//
// Cost model: every cipher and MAC context is keyed once, when the session is made (session keys
// do not depend on the SSRC: RFC 3711 §4.3 with key derivation rate 0), so a packet costs an IV
// reset, the cipher pass and the tag; no allocation. Per-SSRC state is only the packet index and
// the replay window, in fixed arrays.

// The SHA1_* functions HmacSha1 uses are deprecated in OpenSSL 3 (see there for why they are
// used); this must come before any OpenSSL header.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "rtc/srtp_openssl.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

namespace throng::rtc {
namespace {

constexpr std::size_t kRtpFixedHeaderSize = 12;  // RFC 3550 §5.1
// RTCP header and sender SSRC: authenticated, never encrypted (RFC 3711 §3.4).
constexpr std::size_t kRtcpClearPrefixSize = 8;
constexpr std::size_t kHmacTagSize = 10;  // HMAC-SHA1-80 (RFC 3711 §5.2)
constexpr std::size_t kSha1Size = 20;
constexpr std::size_t kGcmTagSize = 16;  // RFC 7714 §14.2: 16-octet tags only
constexpr std::size_t kGcmIvSize = 12;   // RFC 7714 §8.1
constexpr std::size_t kCmIvSize = 16;    // RFC 3711 §4.1.1
constexpr std::size_t kCmSaltSize = 14;
constexpr std::size_t kSrtcpTrailerSize = 4;  // E flag + 31-bit SRTCP index (RFC 3711 §3.4)
constexpr std::uint32_t kSrtcpEncryptedFlag = 0x80000000u;
constexpr std::uint32_t kMaxSrtcpIndex = 0x7fffffffu;
// Nothing larger fits in a UDP datagram; it also keeps every length below INT_MAX for EVP.
constexpr std::size_t kMaxPacketLength = 65535;

std::uint16_t load16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t load32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
void store32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
// XORs the low `bytes` bytes of `v`, big-endian, into p[0..bytes).
void xorBigEndian(std::uint8_t* p, std::uint64_t v, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) {
    p[bytes - 1 - i] ^= static_cast<std::uint8_t>(v >> (8 * i));
  }
}

bool isGcm(SrtpProfile profile) {
  return profile != SrtpProfile::kAes128CmHmacSha1_80;
}

const EVP_CIPHER* ctrCipher(std::size_t key_length) {
  return key_length == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
}
const EVP_CIPHER* gcmCipher(std::size_t key_length) {
  return key_length == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const std::uint8_t* bytes(const std::string& s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

// A failed EVP call leaves entries in the thread's OpenSSL error queue; the worker's DTLS code
// reads that queue, so a refused packet must not leave anything behind.
bool refuse() {
  ERR_clear_error();
  return false;
}

// The RTP header's length including CSRCs and the header extension (RFC 3550 §5.1, §5.3.1),
// which SRTP authenticates but does not encrypt (RFC 3711 §3.1). nullopt when the packet is
// shorter than its header says.
std::optional<std::size_t> rtpHeaderLength(const std::uint8_t* packet, std::size_t length) {
  if (length < kRtpFixedHeaderSize) return std::nullopt;
  std::size_t header = kRtpFixedHeaderSize + 4 * std::size_t{packet[0] & 0x0fu};
  if ((packet[0] & 0x10u) != 0) {
    if (length < header + 4) return std::nullopt;
    header += 4 + 4 * std::size_t{load16(packet + header + 2)};
  }
  if (length < header) return std::nullopt;
  return header;
}

// The packet index (ROC || SEQ) of sequence number `seq` given the highest index so far
// (RFC 3711 §3.3.1, the estimation of Appendix A). Before the first packet the ROC is 0
// (§3.3.1). A guess of ROC - 1 while ROC is 0 means a packet from before the first one seen, not
// a roll-over: it is taken with ROC 0, as libsrtp does.
// The result reaches kMaxPacketIndex only past the 2^48 packets a key may protect (§9.2).
constexpr std::uint64_t kMaxPacketIndex = (std::uint64_t{1} << 48) - 1;
std::uint64_t estimateIndex(bool started, std::uint64_t highest, std::uint16_t seq) {
  if (!started) return seq;
  const std::uint64_t roc = highest >> 16;
  const auto s_l = static_cast<std::uint16_t>(highest);
  std::uint64_t v = roc;
  if (s_l < 0x8000) {
    if (seq > s_l && seq - s_l > 0x8000 && roc > 0) v = roc - 1;
  } else if (s_l - 0x8000 > seq) {
    v = roc + 1;
  }
  return (v << 16) | seq;
}

// The replay list of RFC 3711 §3.3.2 as a ring of kSrtpReplayWindow bits indexed by the packet
// index modulo the window: moving the window forward clears only the bits it passes over.
class ReplayWindow {
 public:
  bool started() const { return started_; }
  std::uint64_t highest() const { return highest_; }

  // True for an index newer than any seen, or inside the window and not yet seen.
  bool fresh(std::uint64_t index) const {
    if (!started_ || index > highest_) return true;
    if (highest_ - index >= kSrtpReplayWindow) return false;
    return !test(index);
  }

  // Records an authenticated index that fresh() accepted.
  void add(std::uint64_t index) {
    if (!started_) {
      started_ = true;
      highest_ = index;
    } else if (index > highest_) {
      if (index - highest_ >= kSrtpReplayWindow) {
        bits_.fill(0);
      } else {
        for (std::uint64_t i = highest_ + 1; i < index; ++i) clear(i);
      }
      highest_ = index;
    }
    set(index);
  }

 private:
  static constexpr std::size_t kWords = kSrtpReplayWindow / 64;
  static_assert(kSrtpReplayWindow % 64 == 0);

  bool test(std::uint64_t i) const { return (bits_[(i / 64) % kWords] >> (i % 64)) & 1u; }
  void set(std::uint64_t i) { bits_[(i / 64) % kWords] |= std::uint64_t{1} << (i % 64); }
  void clear(std::uint64_t i) { bits_[(i / 64) % kWords] &= ~(std::uint64_t{1} << (i % 64)); }

  std::array<std::uint64_t, kWords> bits_{};
  std::uint64_t highest_ = 0;
  bool started_ = false;
};

// What is kept per outbound SSRC.
struct OutboundStream {
  std::uint32_t ssrc = 0;
  bool rtp_started = false;
  std::uint64_t rtp_highest = 0;  // highest packet index sent: ROC << 16 | SEQ (§3.3.1)
  std::uint32_t rtcp_index = 0;   // the last SRTCP index sent (§3.4)
};

// What is kept per inbound SSRC: the windows also hold the highest index (ROC and s_l).
struct InboundStream {
  std::uint32_t ssrc = 0;
  ReplayWindow rtp;
  ReplayWindow rtcp;
};

// At most kSrtpMaxSsrcsPerDirection streams, found by a linear scan (a handful of SSRCs; the last
// one used is tried first since packets come in runs).
template <class Stream>
class StreamTable {
 public:
  Stream* find(std::uint32_t ssrc) {
    if (count_ > 0 && streams_[last_].ssrc == ssrc) return &streams_[last_];
    for (std::size_t i = 0; i < count_; ++i) {
      if (streams_[i].ssrc == ssrc) {
        last_ = i;
        return &streams_[i];
      }
    }
    return nullptr;
  }
  bool full() const { return count_ == streams_.size(); }
  Stream* add(Stream stream) {
    if (full()) return nullptr;
    last_ = count_++;
    streams_[last_] = std::move(stream);
    return &streams_[last_];
  }
  Stream* findOrAdd(std::uint32_t ssrc) {
    if (Stream* found = find(ssrc)) return found;
    Stream fresh;
    fresh.ssrc = ssrc;
    return add(std::move(fresh));
  }

 private:
  std::array<Stream, kSrtpMaxSsrcsPerDirection> streams_{};
  std::size_t count_ = 0;
  std::size_t last_ = 0;
};

// HMAC-SHA1 (RFC 2104) keyed once: the SHA-1 states after the key's inner and outer pads are
// kept, and each packet starts from copies of them, so a tag costs the packet's SHA-1 blocks plus
// two final blocks and nothing is allocated.
//
// Not EVP_MAC: re-initialised per packet with EVP_MAC_init(ctx, nullptr, 0, nullptr), OpenSSL
// 3.0's HMAC duplicates its digest context twice per packet (a malloc and a free each, counted by
// srtp_bench) and was measured about 110 ns per packet slower than this at 200-byte payloads.
// The SHA1_* functions are deprecated since 3.0 but present in every 3.x.
class HmacSha1 {
 public:
  static constexpr std::size_t kBlockSize = 64;

  bool init(const std::string& key) {
    if (key.size() > kBlockSize) return false;  // SRTP auth keys are 20 bytes (RFC 3711 §4.3)
    std::uint8_t pad[kBlockSize];
    const auto keyed = [&](std::uint8_t fill, SHA_CTX& state) {
      std::memset(pad, fill, sizeof pad);
      for (std::size_t i = 0; i < key.size(); ++i) pad[i] ^= static_cast<std::uint8_t>(key[i]);
      return SHA1_Init(&state) == 1 && SHA1_Update(&state, pad, sizeof pad) == 1;
    };
    const bool ok = keyed(0x36, inner_) && keyed(0x5c, outer_);
    OPENSSL_cleanse(pad, sizeof pad);
    return ok;
  }

  // out = HMAC-SHA1(key, a || b), all 20 bytes.
  bool compute(const std::uint8_t* a, std::size_t a_length, const std::uint8_t* b,
               std::size_t b_length, std::uint8_t (&out)[kSha1Size]) const {
    SHA_CTX state = inner_;
    if (SHA1_Update(&state, a, a_length) != 1 || SHA1_Update(&state, b, b_length) != 1 ||
        SHA1_Final(out, &state) != 1) {
      return false;
    }
    state = outer_;
    return SHA1_Update(&state, out, kSha1Size) == 1 && SHA1_Final(out, &state) == 1;
  }

  ~HmacSha1() {
    OPENSSL_cleanse(&inner_, sizeof inner_);
    OPENSSL_cleanse(&outer_, sizeof outer_);
  }

 private:
  SHA_CTX inner_{};
  SHA_CTX outer_{};
};

// One direction's keyed contexts for SRTP and SRTCP.
class DirectionCrypto {
 public:
  // `outbound` chooses encryption or decryption contexts for GCM (AES-CM is its own inverse).
  Status init(const SrtpSessionKeys& keys, bool outbound) {
    gcm_ = isGcm(keys.profile);
    const std::size_t key_length = srtpMasterKeyLength(keys.profile);
    const std::size_t salt_length = gcm_ ? kGcmIvSize : kCmSaltSize;
    if (keys.rtp_key.size() != key_length || keys.rtcp_key.size() != key_length ||
        keys.rtp_salt.size() != salt_length || keys.rtcp_salt.size() != salt_length) {
      return makeError("SRTP session key or salt of the wrong length");
    }
    if (!gcm_ &&
        (keys.rtp_auth_key.size() != kSha1Size || keys.rtcp_auth_key.size() != kSha1Size)) {
      return makeError("SRTP session authentication key of the wrong length");
    }
    std::memcpy(rtp_salt_.data(), keys.rtp_salt.data(), salt_length);
    std::memcpy(rtcp_salt_.data(), keys.rtcp_salt.data(), salt_length);
    const EVP_CIPHER* cipher = gcm_ ? gcmCipher(key_length) : ctrCipher(key_length);
    const bool encrypt = outbound || !gcm_;
    if (!initCipher(rtp_cipher_, cipher, keys.rtp_key, encrypt) ||
        !initCipher(rtcp_cipher_, cipher, keys.rtcp_key, encrypt)) {
      ERR_clear_error();
      return makeError("OpenSSL refused an SRTP cipher key");
    }
    if (!gcm_ && (!rtp_mac_.init(keys.rtp_auth_key) || !rtcp_mac_.init(keys.rtcp_auth_key))) {
      ERR_clear_error();
      return makeError("OpenSSL refused an SRTP HMAC key");
    }
    return {};
  }

  bool gcm() const { return gcm_; }
  std::size_t rtpTagSize() const { return gcm_ ? kGcmTagSize : kHmacTagSize; }

  // RFC 3711 §3.1/§4: encrypt the payload, then append the tag over header, payload and ROC.
  // RFC 7714 §7/§8: AEAD over the payload with the header as AAD.
  bool sealRtp(std::uint8_t* packet, std::size_t header, std::size_t length, std::uint32_t ssrc,
               std::uint64_t index) {
    if (gcm_) {
      std::uint8_t iv[kGcmIvSize];
      gcmRtpIv(iv, rtp_salt_, ssrc, index);
      return gcmSeal(rtp_cipher_.get(), iv, packet, header, nullptr, 0, packet + header,
                     length - header, packet + length);
    }
    std::uint8_t iv[kCmIvSize];
    cmIv(iv, rtp_salt_, ssrc, index);
    if (!ctrApply(rtp_cipher_.get(), iv, packet + header, length - header)) return false;
    std::uint8_t roc[4];
    store32(roc, static_cast<std::uint32_t>(index >> 16));
    std::uint8_t mac[kSha1Size];
    if (!rtp_mac_.compute(packet, length, roc, sizeof roc, mac)) return false;
    std::memcpy(packet + length, mac, kHmacTagSize);
    return true;
  }

  // `length` includes the tag. Authenticates before anything is decrypted (AES-CM) or decrypts
  // and checks the tag (GCM; a refused packet's payload is then garbage, which is harmless).
  bool openRtp(std::uint8_t* packet, std::size_t header, std::size_t length, std::uint32_t ssrc,
               std::uint64_t index) {
    const std::size_t body = length - rtpTagSize();
    if (gcm_) {
      std::uint8_t iv[kGcmIvSize];
      gcmRtpIv(iv, rtp_salt_, ssrc, index);
      return gcmOpen(rtp_cipher_.get(), iv, packet, header, nullptr, 0, packet + header,
                     body - header, packet + body);
    }
    std::uint8_t roc[4];
    store32(roc, static_cast<std::uint32_t>(index >> 16));
    std::uint8_t mac[kSha1Size];
    if (!rtp_mac_.compute(packet, body, roc, sizeof roc, mac)) return false;
    if (CRYPTO_memcmp(mac, packet + body, kHmacTagSize) != 0) return false;
    std::uint8_t iv[kCmIvSize];
    cmIv(iv, rtp_salt_, ssrc, index);
    return ctrApply(rtp_cipher_.get(), iv, packet + header, body - header);
  }

  std::size_t rtcpOverhead() const {
    return kSrtcpTrailerSize + (gcm_ ? kGcmTagSize : kHmacTagSize);
  }

  // RFC 3711 §3.4: header | encrypted | E+index | tag (tag over everything before it).
  // RFC 7714 §9: header | ciphertext | tag | E+index, with AAD = header || E+index (§9.2).
  bool sealRtcp(std::uint8_t* packet, std::size_t length, std::uint32_t ssrc, std::uint32_t index) {
    std::uint8_t trailer[kSrtcpTrailerSize];
    store32(trailer, kSrtcpEncryptedFlag | index);
    std::uint8_t* body = packet + kRtcpClearPrefixSize;
    const std::size_t body_length = length - kRtcpClearPrefixSize;
    if (gcm_) {
      std::uint8_t iv[kGcmIvSize];
      gcmRtcpIv(iv, rtcp_salt_, ssrc, index);
      if (!gcmSeal(rtcp_cipher_.get(), iv, packet, kRtcpClearPrefixSize, trailer, sizeof trailer,
                   body, body_length, packet + length)) {
        return false;
      }
      std::memcpy(packet + length + kGcmTagSize, trailer, sizeof trailer);
      return true;
    }
    std::uint8_t iv[kCmIvSize];
    cmIv(iv, rtcp_salt_, ssrc, index);
    if (!ctrApply(rtcp_cipher_.get(), iv, body, body_length)) return false;
    std::memcpy(packet + length, trailer, sizeof trailer);
    std::uint8_t mac[kSha1Size];
    if (!rtcp_mac_.compute(packet, length + sizeof trailer, nullptr, 0, mac)) return false;
    std::memcpy(packet + length + sizeof trailer, mac, kHmacTagSize);
    return true;
  }

  // `length` includes trailer and tag (at least kRtcpClearPrefixSize + rtcpOverhead()).
  bool openRtcp(std::uint8_t* packet, std::size_t length, std::uint32_t ssrc, std::uint32_t index) {
    std::uint8_t* body = packet + kRtcpClearPrefixSize;
    const std::size_t body_length = length - kRtcpClearPrefixSize - rtcpOverhead();
    if (gcm_) {
      const std::uint8_t* trailer = packet + length - kSrtcpTrailerSize;
      std::uint8_t iv[kGcmIvSize];
      gcmRtcpIv(iv, rtcp_salt_, ssrc, index);
      return gcmOpen(rtcp_cipher_.get(), iv, packet, kRtcpClearPrefixSize, trailer,
                     kSrtcpTrailerSize, body, body_length, body + body_length);
    }
    const std::size_t authenticated = length - kHmacTagSize;
    std::uint8_t mac[kSha1Size];
    if (!rtcp_mac_.compute(packet, authenticated, nullptr, 0, mac)) return false;
    if (CRYPTO_memcmp(mac, packet + authenticated, kHmacTagSize) != 0) return false;
    std::uint8_t iv[kCmIvSize];
    cmIv(iv, rtcp_salt_, ssrc, index);
    return ctrApply(rtcp_cipher_.get(), iv, body, body_length);
  }

 private:
  static bool initCipher(CipherCtx& ctx, const EVP_CIPHER* cipher, const std::string& key,
                         bool encrypt) {
    ctx.reset(EVP_CIPHER_CTX_new());
    if (!ctx) return false;
    return EVP_CipherInit_ex(ctx.get(), cipher, nullptr, bytes(key), nullptr, encrypt ? 1 : 0) == 1;
  }

  // RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16); for SRTCP i is the
  // SRTCP index (§4.1.2 via §3.4).
  static void cmIv(std::uint8_t (&iv)[kCmIvSize], const std::array<std::uint8_t, 14>& salt,
                   std::uint32_t ssrc, std::uint64_t index) {
    std::memcpy(iv, salt.data(), kCmSaltSize);
    iv[14] = 0;
    iv[15] = 0;
    xorBigEndian(iv + 4, ssrc, 4);
    xorBigEndian(iv + 8, index, 6);
  }
  // RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt.
  static void gcmRtpIv(std::uint8_t (&iv)[kGcmIvSize], const std::array<std::uint8_t, 14>& salt,
                       std::uint32_t ssrc, std::uint64_t index) {
    std::memcpy(iv, salt.data(), kGcmIvSize);
    xorBigEndian(iv + 2, ssrc, 4);
    xorBigEndian(iv + 6, index, 6);
  }
  // RFC 7714 §9.1: IV = (0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt.
  static void gcmRtcpIv(std::uint8_t (&iv)[kGcmIvSize], const std::array<std::uint8_t, 14>& salt,
                        std::uint32_t ssrc, std::uint32_t index) {
    std::memcpy(iv, salt.data(), kGcmIvSize);
    xorBigEndian(iv + 2, ssrc, 4);
    xorBigEndian(iv + 8, index, 4);
  }

  // AES-CTR in place from `iv`: resets only the IV of a keyed context.
  static bool ctrApply(EVP_CIPHER_CTX* ctx, const std::uint8_t* iv, std::uint8_t* data,
                       std::size_t length) {
    if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv) != 1) return false;
    if (length == 0) return true;
    int out = 0;
    return EVP_EncryptUpdate(ctx, data, &out, data, static_cast<int>(length)) == 1 &&
           static_cast<std::size_t>(out) == length;
  }

  // AEAD seal in place: AAD = aad1 || aad2, then the 16-byte tag at `tag`.
  static bool gcmSeal(EVP_CIPHER_CTX* ctx, const std::uint8_t* iv, const std::uint8_t* aad1,
                      std::size_t aad1_length, const std::uint8_t* aad2, std::size_t aad2_length,
                      std::uint8_t* data, std::size_t length, std::uint8_t* tag) {
    int out = 0;
    if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv) != 1) return false;
    if (EVP_EncryptUpdate(ctx, nullptr, &out, aad1, static_cast<int>(aad1_length)) != 1) {
      return false;
    }
    if (aad2_length > 0 &&
        EVP_EncryptUpdate(ctx, nullptr, &out, aad2, static_cast<int>(aad2_length)) != 1) {
      return false;
    }
    if (length > 0 && EVP_EncryptUpdate(ctx, data, &out, data, static_cast<int>(length)) != 1) {
      return false;
    }
    return EVP_EncryptFinal_ex(ctx, data + length, &out) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kGcmTagSize, tag) == 1;
  }

  static bool gcmOpen(EVP_CIPHER_CTX* ctx, const std::uint8_t* iv, const std::uint8_t* aad1,
                      std::size_t aad1_length, const std::uint8_t* aad2, std::size_t aad2_length,
                      std::uint8_t* data, std::size_t length, const std::uint8_t* tag) {
    int out = 0;
    if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, iv) != 1) return false;
    if (EVP_DecryptUpdate(ctx, nullptr, &out, aad1, static_cast<int>(aad1_length)) != 1) {
      return false;
    }
    if (aad2_length > 0 &&
        EVP_DecryptUpdate(ctx, nullptr, &out, aad2, static_cast<int>(aad2_length)) != 1) {
      return false;
    }
    if (length > 0 && EVP_DecryptUpdate(ctx, data, &out, data, static_cast<int>(length)) != 1) {
      return false;
    }
    // EVP_CTRL_AEAD_SET_TAG only reads the tag; the API takes a non-const pointer.
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kGcmTagSize,
                            const_cast<std::uint8_t*>(tag)) != 1) {
      return false;
    }
    return EVP_DecryptFinal_ex(ctx, data + length, &out) == 1;
  }

  bool gcm_ = true;
  CipherCtx rtp_cipher_;
  CipherCtx rtcp_cipher_;
  HmacSha1 rtp_mac_;
  HmacSha1 rtcp_mac_;
  std::array<std::uint8_t, 14> rtp_salt_{};
  std::array<std::uint8_t, 14> rtcp_salt_{};
};

class OpenSslSrtpSession final : public SrtpSession {
 public:
  Status init(const SrtpSessionKeys& outbound, const SrtpSessionKeys& inbound) {
    if (Status s = out_.init(outbound, true); !s) return s;
    return in_.init(inbound, false);
  }

  bool protectRtp(std::uint8_t* packet, std::size_t& length) override {
    if (length > kMaxPacketLength) return false;
    const auto header = rtpHeaderLength(packet, length);
    if (!header) return false;
    OutboundStream* stream = outbound_.findOrAdd(load32(packet + 8));
    if (stream == nullptr) return false;
    // The sender tracks its ROC the way a receiver would (§3.3.1): a packet sent out of order,
    // or again for a NACK, keeps the index it had the first time.
    const std::uint64_t index =
        estimateIndex(stream->rtp_started, stream->rtp_highest, load16(packet + 2));
    if (index > kMaxPacketIndex) return false;  // the ROC would wrap: a new key is needed
    if (!out_.sealRtp(packet, *header, length, stream->ssrc, index)) return refuse();
    if (!stream->rtp_started || index > stream->rtp_highest) {
      stream->rtp_started = true;
      stream->rtp_highest = index;
    }
    length += out_.rtpTagSize();
    return true;
  }

  bool unprotectRtp(std::uint8_t* packet, std::size_t& length) override {
    if (length > kMaxPacketLength) return false;
    const auto header = rtpHeaderLength(packet, length);
    if (!header || length - *header < in_.rtpTagSize()) return false;
    const std::uint32_t ssrc = load32(packet + 8);
    InboundStream* stream = inboundStream(ssrc);
    if (stream == nullptr) return false;
    const std::uint64_t index =
        estimateIndex(stream->rtp.started(), stream->rtp.highest(), load16(packet + 2));
    if (index > kMaxPacketIndex || !stream->rtp.fresh(index)) return false;
    if (!in_.openRtp(packet, *header, length, ssrc, index)) return refuse();
    stream->rtp.add(index);
    if (stream == &candidate_) inbound_.add(candidate_);
    length -= in_.rtpTagSize();
    return true;
  }

  bool protectRtcp(std::uint8_t* packet, std::size_t& length) override {
    if (length < kRtcpClearPrefixSize || length > kMaxPacketLength) return false;
    OutboundStream* stream = outbound_.findOrAdd(load32(packet + 4));
    if (stream == nullptr) return false;
    // §3.4: at most 2^31 SRTCP packets per key. The first index is 1, as libsrtp (and so the
    // browsers) sends; receivers accept any.
    if (stream->rtcp_index >= kMaxSrtcpIndex) return false;
    const std::uint32_t index = stream->rtcp_index + 1;
    if (!out_.sealRtcp(packet, length, stream->ssrc, index)) return refuse();
    stream->rtcp_index = index;
    length += out_.rtcpOverhead();
    return true;
  }

  bool unprotectRtcp(std::uint8_t* packet, std::size_t& length) override {
    if (length > kMaxPacketLength || length < kRtcpClearPrefixSize + in_.rtcpOverhead()) {
      return false;
    }
    const std::uint32_t ssrc = load32(packet + 4);
    const std::size_t trailer_at =
        in_.gcm() ? length - kSrtcpTrailerSize : length - kHmacTagSize - kSrtcpTrailerSize;
    const std::uint32_t trailer = load32(packet + trailer_at);
    // E = 0 (authenticated only, RFC 3711 §3.4) is never what throng or a browser sends; refusing
    // it keeps one code path.
    if ((trailer & kSrtcpEncryptedFlag) == 0) return false;
    const std::uint32_t index = trailer & kMaxSrtcpIndex;
    InboundStream* stream = inboundStream(ssrc);
    if (stream == nullptr) return false;
    if (!stream->rtcp.fresh(index)) return false;
    if (!in_.openRtcp(packet, length, ssrc, index)) return refuse();
    stream->rtcp.add(index);
    if (stream == &candidate_) inbound_.add(candidate_);
    length -= in_.rtcpOverhead();
    return true;
  }

 private:
  // The stream of a known SSRC; for a new one, a blank candidate that joins the table only once
  // a packet of it authenticates (so forged packets cannot fill the table); nullptr when full.
  InboundStream* inboundStream(std::uint32_t ssrc) {
    if (InboundStream* known = inbound_.find(ssrc)) return known;
    if (inbound_.full()) return nullptr;
    candidate_ = InboundStream{};
    candidate_.ssrc = ssrc;
    return &candidate_;
  }

  DirectionCrypto out_;
  DirectionCrypto in_;
  StreamTable<OutboundStream> outbound_;
  StreamTable<InboundStream> inbound_;
  InboundStream candidate_;
};

// Session keys live on only inside the keyed contexts.
void cleanse(SrtpSessionKeys& keys) {
  for (std::string* k : {&keys.rtp_key, &keys.rtp_salt, &keys.rtp_auth_key, &keys.rtcp_key,
                         &keys.rtcp_salt, &keys.rtcp_auth_key}) {
    OPENSSL_cleanse(k->data(), k->size());
  }
}

}  // namespace

std::optional<std::string> deriveSrtpSessionKey(std::string_view master_key,
                                                std::string_view master_salt, SrtpKdfLabel label,
                                                std::size_t length) {
  if ((master_key.size() != 16 && master_key.size() != 32) ||
      (master_salt.size() != kGcmIvSize && master_salt.size() != kCmSaltSize)) {
    return std::nullopt;
  }
  // x = (label || r) XOR master_salt with r = 0 (KDR 0), the 56-bit key_id right-aligned in the
  // 112-bit salt, so the label lands on octet 7; a 96-bit GCM salt is padded on the right with
  // zeros (RFC 7714 §11, as libsrtp does). The PRF is AES-CM keyed with the master key from
  // IV = x * 2^16 (§4.3.3), i.e. the keystream for an all-zero input.
  std::uint8_t iv[kCmIvSize] = {};
  std::memcpy(iv, master_salt.data(), master_salt.size());
  iv[7] ^= static_cast<std::uint8_t>(label);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(length, '\0');
  int written = 0;
  auto* data = reinterpret_cast<std::uint8_t*>(out.data());
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), ctrCipher(master_key.size()), nullptr,
                         reinterpret_cast<const std::uint8_t*>(master_key.data()), iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), data, &written, data, static_cast<int>(length)) != 1 ||
      static_cast<std::size_t>(written) != length) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

Result<SrtpSessionKeys> deriveSrtpSessionKeys(const SrtpKeys& master) {
  if (master.master_key.size() != srtpMasterKeyLength(master.profile) ||
      master.master_salt.size() != srtpMasterSaltLength(master.profile)) {
    return makeError(std::string("SRTP master key or salt of the wrong length for ") +
                     srtpProfileName(master.profile));
  }
  const bool gcm = isGcm(master.profile);
  const std::size_t key_length = master.master_key.size();
  const std::size_t salt_length = gcm ? kGcmIvSize : kCmSaltSize;
  SrtpSessionKeys keys;
  keys.profile = master.profile;
  auto derive = [&](SrtpKdfLabel label, std::size_t length, std::string& out) {
    auto derived = deriveSrtpSessionKey(master.master_key, master.master_salt, label, length);
    if (!derived) return false;
    out = std::move(*derived);
    return true;
  };
  bool ok = derive(SrtpKdfLabel::kRtpEncryption, key_length, keys.rtp_key) &&
            derive(SrtpKdfLabel::kRtpSalt, salt_length, keys.rtp_salt) &&
            derive(SrtpKdfLabel::kRtcpEncryption, key_length, keys.rtcp_key) &&
            derive(SrtpKdfLabel::kRtcpSalt, salt_length, keys.rtcp_salt);
  if (ok && !gcm) {
    ok = derive(SrtpKdfLabel::kRtpAuthentication, kSha1Size, keys.rtp_auth_key) &&
         derive(SrtpKdfLabel::kRtcpAuthentication, kSha1Size, keys.rtcp_auth_key);
  }
  if (!ok) return makeError("SRTP key derivation failed");
  return keys;
}

Result<std::unique_ptr<SrtpSession>> makeOpenSslSrtpSession(const SrtpSessionKeys& outbound,
                                                            const SrtpSessionKeys& inbound) {
  auto session = std::make_unique<OpenSslSrtpSession>();
  if (Status s = session->init(outbound, inbound); !s) return s.error();
  return std::unique_ptr<SrtpSession>(std::move(session));
}

Result<std::unique_ptr<SrtpSession>> makeOpenSslSrtpSession(const SrtpKeys& outbound,
                                                            const SrtpKeys& inbound) {
  auto out = deriveSrtpSessionKeys(outbound);
  if (!out) return out.error();
  auto in = deriveSrtpSessionKeys(inbound);
  if (!in) {
    cleanse(*out);
    return in.error();
  }
  auto session = makeOpenSslSrtpSession(*out, *in);
  cleanse(*out);
  cleanse(*in);
  return session;
}

}  // namespace throng::rtc
