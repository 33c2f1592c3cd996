// SRTP/SRTCP: throng's OpenSSL implementation against the RFC 3711 and RFC 7714 vectors and
// against libsrtp2 (the oracle): byte-for-byte agreement, each unprotecting what the other
// protects, roll-over, reordering, replay, tampering and truncation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "rtc/srtp.h"
#include "rtc/srtp_openssl.h"

namespace throng::rtc {
namespace {

constexpr SrtpImplementation kBoth[] = {SrtpImplementation::kOpenSsl, SrtpImplementation::kLibSrtp};

std::string unhex(std::string_view text) {
  std::string out;
  int high = -1;
  for (char c : text) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;  // spaces between groups
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

// A packet in a buffer with the room protect needs.
struct Packet {
  std::vector<std::uint8_t> buffer;
  std::size_t length = 0;

  static Packet of(const std::string& bytes) {
    Packet p;
    p.buffer.assign(bytes.begin(), bytes.end());
    p.length = bytes.size();
    p.buffer.resize(p.length + kSrtpMaxOverhead);
    return p;
  }
  std::string bytes() const { return std::string(buffer.begin(), buffer.begin() + length); }
};

enum class HeaderShape { kPlain, kCsrcs, kExtension };

// RTP packet (RFC 3550 §5.1) with a payload that depends on the sequence number.
Packet rtpPacket(std::uint32_t ssrc, std::uint16_t seq, std::size_t payload,
                 HeaderShape shape = HeaderShape::kPlain) {
  std::string p;
  const int csrcs = shape == HeaderShape::kCsrcs ? 2 : 0;
  const bool extension = shape == HeaderShape::kExtension;
  p.push_back(static_cast<char>(0x80 | (extension ? 0x10 : 0) | csrcs));
  p.push_back(static_cast<char>(96));
  p.push_back(static_cast<char>(seq >> 8));
  p.push_back(static_cast<char>(seq));
  const std::uint32_t timestamp = 3000u * seq;
  for (int shift = 24; shift >= 0; shift -= 8) p.push_back(static_cast<char>(timestamp >> shift));
  for (int shift = 24; shift >= 0; shift -= 8) p.push_back(static_cast<char>(ssrc >> shift));
  for (int i = 0; i < csrcs * 4; ++i) p.push_back(static_cast<char>(0x10 + i));
  if (extension) p += unhex("bede0001 10aa0000");  // RFC 8285 one-byte form, one element
  for (std::size_t i = 0; i < payload; ++i) p.push_back(static_cast<char>(seq * 31 + i));
  return Packet::of(p);
}

// An RTCP sender report with `extra` bytes of report blocks (RFC 3550 §6.4.1).
Packet rtcpPacket(std::uint32_t ssrc, std::size_t extra, std::uint8_t fill) {
  std::string p = unhex("80c8");
  const std::size_t words = (8 + 20 + extra) / 4 - 1;
  p.push_back(static_cast<char>(words >> 8));
  p.push_back(static_cast<char>(words));
  for (int shift = 24; shift >= 0; shift -= 8) p.push_back(static_cast<char>(ssrc >> shift));
  for (std::size_t i = 0; i < 20 + extra; ++i) p.push_back(static_cast<char>(fill + i));
  return Packet::of(p);
}

SrtpKeys testKeys(SrtpProfile profile, std::uint8_t seed) {
  SrtpKeys keys;
  keys.profile = profile;
  for (std::size_t i = 0; i < srtpMasterKeyLength(profile); ++i) {
    keys.master_key.push_back(static_cast<char>(seed + 7 * i));
  }
  for (std::size_t i = 0; i < srtpMasterSaltLength(profile); ++i) {
    keys.master_salt.push_back(static_cast<char>(3 * seed + 13 * i + 1));
  }
  return keys;
}

std::unique_ptr<SrtpSession> makeSession(SrtpImplementation implementation, const SrtpKeys& out,
                                         const SrtpKeys& in) {
  auto session = makeSrtpSession(implementation, out, in);
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().message);
  return session.ok() ? std::move(session.value()) : nullptr;
}

// Sender and receiver of one direction (A → B), for one implementation each.
struct Pair {
  std::unique_ptr<SrtpSession> sender;
  std::unique_ptr<SrtpSession> receiver;
};
Pair makePair(SrtpProfile profile, SrtpImplementation sender, SrtpImplementation receiver) {
  const SrtpKeys a = testKeys(profile, 1);
  const SrtpKeys b = testKeys(profile, 101);
  return Pair{makeSession(sender, a, b), makeSession(receiver, b, a)};
}

bool protect(SrtpSession& s, Packet& p) {
  return s.protectRtp(p.buffer.data(), p.length);
}
bool unprotect(SrtpSession& s, Packet& p) {
  return s.unprotectRtp(p.buffer.data(), p.length);
}
bool protectRtcp(SrtpSession& s, Packet& p) {
  return s.protectRtcp(p.buffer.data(), p.length);
}
bool unprotectRtcp(SrtpSession& s, Packet& p) {
  return s.unprotectRtcp(p.buffer.data(), p.length);
}

// Sequence numbers across a roll-over (the ROC goes to 1), with the header shapes mixed in.
std::vector<Packet> rolloverStream(std::uint32_t ssrc) {
  std::vector<Packet> packets;
  std::uint16_t seq = 65530;
  for (int i = 0; i < 40; ++i, ++seq) {
    const auto shape = static_cast<HeaderShape>(i % 3);
    packets.push_back(rtpPacket(ssrc, seq, i == 5 ? 0 : 17 + 37 * (i % 5), shape));
  }
  return packets;
}

// --- RFC known answers -----------------------------------------------------------------------

TEST(SrtpProfiles, NamesRoundTrip) {
  for (SrtpProfile p : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm,
                        SrtpProfile::kAes128CmHmacSha1_80}) {
    EXPECT_EQ(srtpProfileFromName(srtpProfileName(p)), p);
  }
  EXPECT_STREQ(srtpProfileName(SrtpProfile::kAeadAes128Gcm), "SRTP_AEAD_AES_128_GCM");
  EXPECT_STREQ(srtpProfileName(SrtpProfile::kAes128CmHmacSha1_80), "SRTP_AES128_CM_SHA1_80");
  EXPECT_FALSE(srtpProfileFromName("SRTP_AES128_CM_SHA1_32").has_value());
}

// RFC 3711 Appendix B.3: key derivation, KDR 0.
TEST(SrtpOpenSsl, Rfc3711KeyDerivationVectors) {
  const std::string key = unhex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const std::string salt = unhex("0EC675AD498AFEEBB6960B3AABE6");
  EXPECT_EQ(deriveSrtpSessionKey(key, salt, SrtpKdfLabel::kRtpEncryption, 16),
            unhex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(deriveSrtpSessionKey(key, salt, SrtpKdfLabel::kRtpSalt, 14),
            unhex("30CBBC08863D8C85D49DB34A9AE1"));
  EXPECT_EQ(deriveSrtpSessionKey(key, salt, SrtpKdfLabel::kRtpAuthentication, 94),
            unhex("CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
                  "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
                  "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"));
  EXPECT_FALSE(deriveSrtpSessionKey(key.substr(1), salt, SrtpKdfLabel::kRtpSalt, 14));
}

// RFC 3711 Appendix B.2: the AES-CM keystream for SSRC 0, index 0 (a zero payload encrypts to
// the keystream itself).
TEST(SrtpOpenSsl, Rfc3711AesCmKeystream) {
  SrtpSessionKeys keys;
  keys.profile = SrtpProfile::kAes128CmHmacSha1_80;
  keys.rtp_key = keys.rtcp_key = unhex("2B7E151628AED2A6ABF7158809CF4F3C");
  keys.rtp_salt = keys.rtcp_salt = unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  keys.rtp_auth_key = keys.rtcp_auth_key = std::string(20, '\0');
  auto session = makeOpenSslSrtpSession(keys, keys);
  ASSERT_TRUE(session.ok());
  Packet p = Packet::of(unhex("800000000000000000000000") + std::string(48, '\0'));
  ASSERT_TRUE(protect(**session, p));
  EXPECT_EQ(p.bytes().substr(12, 48), unhex("E03EAD0935C95E80E166B16DD92B4EB4"
                                            "D23513162B02D0F72A43A2FE4A5F97AB"
                                            "41E95B3BB0A2E8DD477901E4FCA894C0"));
}

// RFC 7714 §16.1.1 and §17.1.1: AEAD_AES_128_GCM with the session key and salt given directly.
SrtpSessionKeys rfc7714Keys() {
  SrtpSessionKeys keys;
  keys.profile = SrtpProfile::kAeadAes128Gcm;
  keys.rtp_key = keys.rtcp_key = unhex("000102030405060708090a0b0c0d0e0f");
  keys.rtp_salt = keys.rtcp_salt = unhex("517569642070726f2071756f");  // "Quid pro quo"
  return keys;
}

TEST(SrtpOpenSsl, Rfc7714RtpVector) {
  const std::string plain = unhex(
      "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120"
      "696e2070 61727465 73207472 6573");  // "Gallia est omnis divisa in partes tres"
  const std::string sealed = unhex(
      "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f"
      "42a5f47a 51c7d19b 36de3adf 8833 899d7f27 beb16a91 52cf765e e4390cce");
  auto sender = makeOpenSslSrtpSession(rfc7714Keys(), rfc7714Keys());
  ASSERT_TRUE(sender.ok());
  Packet p = Packet::of(plain);
  ASSERT_TRUE(protect(**sender, p));
  EXPECT_EQ(p.bytes(), sealed);

  auto receiver = makeOpenSslSrtpSession(rfc7714Keys(), rfc7714Keys());
  ASSERT_TRUE(receiver.ok());
  ASSERT_TRUE(unprotect(**receiver, p));
  EXPECT_EQ(p.bytes(), plain);
}

TEST(SrtpOpenSsl, Rfc7714RtcpVector) {
  // Sender report of SSRC "Mars", SRTCP index 0x5d4; header | ciphertext | tag | E+index.
  const std::string plain = unhex(
      "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
      "deadbeef deadbeef deadbeef deadbeef deadbeef");
  const std::string sealed = unhex(
      "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1"
      "730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4");
  auto receiver = makeOpenSslSrtpSession(rfc7714Keys(), rfc7714Keys());
  ASSERT_TRUE(receiver.ok());
  Packet p = Packet::of(sealed);
  ASSERT_TRUE(unprotectRtcp(**receiver, p));
  EXPECT_EQ(p.bytes(), plain);
}

// The AES_CM_128_HMAC_SHA1_80 packet of libsrtp's srtp_driver: master key in, so it covers the
// KDF, AES-CM and HMAC-SHA1 together. Both implementations must produce it.
TEST(Srtp, AesCmKnownPacketBothImplementations) {
  SrtpKeys keys;
  keys.profile = SrtpProfile::kAes128CmHmacSha1_80;
  keys.master_key = unhex("e1f97a0d3e018be0d64fa32c06de4139");
  keys.master_salt = unhex("0ec675ad498afeebb6960b3aabe6");
  const std::string plain = unhex("800f1234 decafbad cafebabe") + std::string(16, '\xab');
  const std::string sealed = unhex(
      "800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402 b78d6acc 99ea179b 8dbb");
  for (SrtpImplementation implementation : kBoth) {
    SCOPED_TRACE(srtpImplementationName(implementation));
    auto sender = makeSession(implementation, keys, keys);
    Packet p = Packet::of(plain);
    ASSERT_TRUE(protect(*sender, p));
    EXPECT_EQ(p.bytes(), sealed);
    auto receiver = makeSession(implementation, keys, keys);
    ASSERT_TRUE(unprotect(*receiver, p));
    EXPECT_EQ(p.bytes(), plain);
  }
}

TEST(Srtp, RefusesKeysOfTheWrongLength) {
  for (SrtpImplementation implementation : kBoth) {
    SrtpKeys keys = testKeys(SrtpProfile::kAeadAes128Gcm, 1);
    keys.master_salt.push_back('x');
    EXPECT_FALSE(makeSrtpSession(implementation, keys, keys).ok());
    keys = testKeys(SrtpProfile::kAeadAes256Gcm, 1);
    keys.master_key.resize(16);
    EXPECT_FALSE(makeSrtpSession(implementation, keys, keys).ok());
  }
}

// --- Both implementations, every profile ------------------------------------------------------

class SrtpBoth : public ::testing::TestWithParam<SrtpProfile> {};

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpBoth,
                         ::testing::Values(SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm,
                                           SrtpProfile::kAes128CmHmacSha1_80),
                         [](const auto& test) { return std::string(srtpProfileName(test.param)); });

TEST_P(SrtpBoth, ProtectAgreesByteForByte) {
  const SrtpKeys out = testKeys(GetParam(), 1);
  const SrtpKeys in = testKeys(GetParam(), 101);
  auto ours = makeSession(SrtpImplementation::kOpenSsl, out, in);
  auto theirs = makeSession(SrtpImplementation::kLibSrtp, out, in);
  for (std::uint32_t ssrc : {0x11223344u, 0xcafebabeu}) {
    for (const Packet& original : rolloverStream(ssrc)) {
      Packet a = original;
      Packet b = original;
      ASSERT_TRUE(protect(*ours, a));
      ASSERT_TRUE(protect(*theirs, b));
      ASSERT_EQ(a.bytes(), b.bytes());
    }
    for (std::size_t extra : {0u, 4u, 24u, 1000u}) {
      Packet a = rtcpPacket(ssrc, extra, static_cast<std::uint8_t>(extra));
      Packet b = a;
      ASSERT_TRUE(protectRtcp(*ours, a));
      ASSERT_TRUE(protectRtcp(*theirs, b));
      ASSERT_EQ(a.bytes(), b.bytes());
    }
  }
}

TEST_P(SrtpBoth, EachUnprotectsWhatTheOtherProtectsAcrossRolloverAndReordering) {
  for (SrtpImplementation sender : kBoth) {
    for (SrtpImplementation receiver : kBoth) {
      SCOPED_TRACE(std::string(srtpImplementationName(sender)) + " -> " +
                   srtpImplementationName(receiver));
      Pair pair = makePair(GetParam(), sender, receiver);
      const std::vector<Packet> plain = rolloverStream(0x5501a0b2);
      std::vector<Packet> sealed = plain;
      for (Packet& p : sealed) ASSERT_TRUE(protect(*pair.sender, p));
      // Delivered out of order inside the window: each run of five reversed.
      std::vector<std::size_t> order;
      for (std::size_t i = 0; i < sealed.size(); i += 5) {
        for (std::size_t j = std::min(i + 5, sealed.size()); j > i; --j) order.push_back(j - 1);
      }
      for (std::size_t i : order) {
        Packet p = sealed[i];
        ASSERT_TRUE(unprotect(*pair.receiver, p)) << "packet " << i;
        EXPECT_EQ(p.bytes(), plain[i].bytes());
      }
      for (int i = 0; i < 3; ++i) {
        const Packet original = rtcpPacket(0x5501a0b2, 8 * i, static_cast<std::uint8_t>(i));
        Packet p = original;
        ASSERT_TRUE(protectRtcp(*pair.sender, p));
        ASSERT_TRUE(unprotectRtcp(*pair.receiver, p));
        EXPECT_EQ(p.bytes(), original.bytes());
      }
    }
  }
}

TEST_P(SrtpBoth, RolloverUsesTheNextRoc) {
  // Seq 0 after 65535 is index 65536: it must differ from seq 0 sent first (index 0).
  for (SrtpImplementation implementation : kBoth) {
    Pair rolled = makePair(GetParam(), implementation, implementation);
    Pair fresh = makePair(GetParam(), implementation, implementation);
    Packet a = rtpPacket(7, 65535, 40);
    ASSERT_TRUE(protect(*rolled.sender, a));
    Packet after = rtpPacket(7, 0, 40);
    Packet first = after;
    ASSERT_TRUE(protect(*rolled.sender, after));
    ASSERT_TRUE(protect(*fresh.sender, first));
    EXPECT_NE(after.bytes(), first.bytes());
  }
}

TEST_P(SrtpBoth, ReplayedPacketIsRefused) {
  for (SrtpImplementation implementation : kBoth) {
    SCOPED_TRACE(srtpImplementationName(implementation));
    Pair pair = makePair(GetParam(), SrtpImplementation::kOpenSsl, implementation);
    Packet p = rtpPacket(9, 100, 60);
    ASSERT_TRUE(protect(*pair.sender, p));
    Packet copy = p;
    ASSERT_TRUE(unprotect(*pair.receiver, p));
    EXPECT_FALSE(unprotect(*pair.receiver, copy));

    Packet r = rtcpPacket(9, 0, 1);
    ASSERT_TRUE(protectRtcp(*pair.sender, r));
    Packet r_copy = r;
    ASSERT_TRUE(unprotectRtcp(*pair.receiver, r));
    EXPECT_FALSE(unprotectRtcp(*pair.receiver, r_copy));
  }
}

TEST_P(SrtpBoth, ReplayWindowKeepsLateOnesAndRefusesTooOld) {
  for (SrtpImplementation implementation : kBoth) {
    SCOPED_TRACE(srtpImplementationName(implementation));
    Pair pair = makePair(GetParam(), SrtpImplementation::kOpenSsl, implementation);
    std::vector<Packet> sealed;
    for (std::uint16_t seq = 1000; seq < 2200; ++seq) {
      sealed.push_back(rtpPacket(9, seq, 10));
      ASSERT_TRUE(protect(*pair.sender, sealed.back()));
    }
    Packet newest = sealed[1150];
    ASSERT_TRUE(unprotect(*pair.receiver, newest));
    Packet late = sealed[1150 - 1000];  // 1000 behind: inside the 1024 window
    EXPECT_TRUE(unprotect(*pair.receiver, late));
    Packet too_old = sealed[1150 - 1100];
    EXPECT_FALSE(unprotect(*pair.receiver, too_old));
  }
}

TEST_P(SrtpBoth, RetransmissionKeepsItsIndex) {
  // A NACK retransmission protects the same packet again: same bytes out, and the receiver
  // that already has it refuses the copy as a replay.
  for (SrtpImplementation implementation : kBoth) {
    SCOPED_TRACE(srtpImplementationName(implementation));
    Pair pair = makePair(GetParam(), implementation, SrtpImplementation::kOpenSsl);
    Packet first = rtpPacket(9, 500, 90);
    Packet again = first;
    ASSERT_TRUE(protect(*pair.sender, first));
    for (std::uint16_t seq = 501; seq < 520; ++seq) {
      Packet p = rtpPacket(9, seq, 90);
      ASSERT_TRUE(protect(*pair.sender, p));
    }
    ASSERT_TRUE(protect(*pair.sender, again));
    EXPECT_EQ(first.bytes(), again.bytes());
    ASSERT_TRUE(unprotect(*pair.receiver, first));
    EXPECT_FALSE(unprotect(*pair.receiver, again));
  }
}

TEST_P(SrtpBoth, FlippedBitIsRefused) {
  for (SrtpImplementation implementation : kBoth) {
    SCOPED_TRACE(srtpImplementationName(implementation));
    Pair pair = makePair(GetParam(), SrtpImplementation::kOpenSsl, implementation);
    Packet sealed = rtpPacket(9, 7, 100, HeaderShape::kExtension);
    ASSERT_TRUE(protect(*pair.sender, sealed));
    // Header, payload, and tag (last byte).
    for (std::size_t at : {std::size_t{1}, std::size_t{30}, sealed.length - 1}) {
      Packet p = sealed;
      p.buffer[at] ^= 0x04;
      EXPECT_FALSE(unprotect(*pair.receiver, p)) << "byte " << at;
    }
    Packet good = sealed;
    EXPECT_TRUE(unprotect(*pair.receiver, good));

    Packet rtcp = rtcpPacket(9, 16, 3);
    ASSERT_TRUE(protectRtcp(*pair.sender, rtcp));
    for (std::size_t at : {std::size_t{5}, std::size_t{20}, rtcp.length - 1, rtcp.length - 5}) {
      Packet p = rtcp;
      p.buffer[at] ^= 0x01;
      EXPECT_FALSE(unprotectRtcp(*pair.receiver, p)) << "byte " << at;
    }
  }
}

TEST_P(SrtpBoth, TruncatedPacketIsRefusedWithoutReadingPastIt) {
  // Each truncation sits in a buffer of exactly its length, so a read past it shows under ASan.
  for (SrtpImplementation implementation : kBoth) {
    SCOPED_TRACE(srtpImplementationName(implementation));
    Pair pair = makePair(GetParam(), SrtpImplementation::kOpenSsl, implementation);
    Packet rtp = rtpPacket(9, 7, 30, HeaderShape::kCsrcs);
    ASSERT_TRUE(protect(*pair.sender, rtp));
    Packet rtcp = rtcpPacket(9, 8, 3);
    ASSERT_TRUE(protectRtcp(*pair.sender, rtcp));
    for (std::size_t n = 0; n < rtp.length; ++n) {
      std::vector<std::uint8_t> cut(rtp.buffer.begin(), rtp.buffer.begin() + n);
      std::size_t length = n;
      EXPECT_FALSE(pair.receiver->unprotectRtp(cut.data(), length)) << n;
    }
    for (std::size_t n = 0; n < rtcp.length; ++n) {
      std::vector<std::uint8_t> cut(rtcp.buffer.begin(), rtcp.buffer.begin() + n);
      std::size_t length = n;
      EXPECT_FALSE(pair.receiver->unprotectRtcp(cut.data(), length)) << n;
    }
    // A header claiming more CSRCs or extension words than the packet has.
    Packet lying = rtpPacket(9, 8, 0);
    lying.buffer[0] = 0x9f;  // X = 1, CC = 15
    EXPECT_FALSE(protect(*pair.sender, lying));
    // The whole packets still pass afterwards.
    EXPECT_TRUE(unprotect(*pair.receiver, rtp));
    EXPECT_TRUE(unprotectRtcp(*pair.receiver, rtcp));
  }
}

TEST_P(SrtpBoth, SsrcsPerDirectionAreBounded) {
  for (SrtpImplementation implementation : kBoth) {
    SCOPED_TRACE(srtpImplementationName(implementation));
    Pair pair = makePair(GetParam(), implementation, implementation);
    Pair spare = makePair(GetParam(), SrtpImplementation::kOpenSsl, implementation);
    for (std::uint32_t ssrc = 1; ssrc <= kSrtpMaxSsrcsPerDirection; ++ssrc) {
      Packet p = rtpPacket(ssrc, 1, 20);
      ASSERT_TRUE(protect(*pair.sender, p));
      ASSERT_TRUE(unprotect(*pair.receiver, p));
    }
    Packet extra = rtpPacket(1000, 1, 20);
    EXPECT_FALSE(protect(*pair.sender, extra));
    // The receiver refuses a 17th SSRC too, even authentic.
    ASSERT_TRUE(protect(*spare.sender, extra));
    EXPECT_FALSE(unprotect(*pair.receiver, extra));
    // Known SSRCs keep working.
    Packet known = rtpPacket(3, 2, 20);
    ASSERT_TRUE(protect(*pair.sender, known));
    EXPECT_TRUE(unprotect(*pair.receiver, known));
  }
}

}  // namespace
}  // namespace throng::rtc
