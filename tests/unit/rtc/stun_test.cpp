#include "rtc/stun.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/crc.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace throng::rtc {
namespace {

using Bytes = std::vector<std::uint8_t>;
using boost::asio::ip::make_address;
using boost::asio::ip::udp;

constexpr std::string_view kPassword = "VOkJxbRl1RmTxUk/WvJxBt";  // RFC 5769 §2

Bytes fromHex(std::string_view hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size();) {
    if (hex[i] == ' ' || hex[i] == '\n') {
      ++i;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// RFC 5769 §2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME
// "evtj:h6vY" (padded with spaces, which receivers must ignore), MESSAGE-INTEGRITY, FINGERPRINT.
const Bytes kSampleRequest = fromHex(
    "000100582112a442b7e7a701bc34d686fa87dfae"
    "802200105354554e207465737420636c69656e74"
    "002400046e0001ff"
    "80290008932ff9b151263b36"
    "000600096576746a3a68367659202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    "80280004e57a3bcf");

// RFC 5769 §2.2: the IPv4 success response, mapped address 192.0.2.1 port 32853.
const Bytes kSampleIpv4Response = fromHex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000080001a147e112a643"
    "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96");

// RFC 5769 §2.3: the IPv6 success response, 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
const Bytes kSampleIpv6Response = fromHex(
    "010100482112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
    "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
    "80280004c8fb0b4c");

const StunTransactionId kSampleId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

// A message written independently of stun_build.cpp, to test the parser's edge cases.
class HandMessage {
 public:
  explicit HandMessage(std::uint16_t type) {
    put16(type);
    put16(0);
    put32(0x2112A442);
    out_.insert(out_.end(), kSampleId.begin(), kSampleId.end());
  }
  HandMessage& attribute(std::uint16_t type, const Bytes& value) {
    put16(type);
    put16(static_cast<std::uint16_t>(value.size()));
    out_.insert(out_.end(), value.begin(), value.end());
    while (out_.size() % 4 != 0) out_.push_back(0);
    setLength(0);
    return *this;
  }
  HandMessage& integrity(std::string_view key) {
    setLength(24);
    unsigned char mac[20];
    unsigned int size = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), out_.data(), out_.size(), mac,
         &size);
    return attribute(0x0008, Bytes(mac, mac + 20));
  }
  HandMessage& fingerprint() {
    setLength(8);
    boost::crc_32_type crc;
    crc.process_bytes(out_.data(), out_.size());
    const std::uint32_t v = crc.checksum() ^ 0x5354554e;
    return attribute(0x8028,
                     {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                      static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
  }
  const Bytes& bytes() const { return out_; }

 private:
  void put16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void put32(std::uint32_t v) {
    put16(static_cast<std::uint16_t>(v >> 16));
    put16(static_cast<std::uint16_t>(v));
  }
  void setLength(std::size_t extra) {
    const std::size_t length = out_.size() - 20 + extra;
    out_[2] = static_cast<std::uint8_t>(length >> 8);
    out_[3] = static_cast<std::uint8_t>(length);
  }
  Bytes out_;
};

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

TEST(Stun, ParsesTheRfc5769Request) {
  auto m = parseStun(kSampleRequest);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, kStunBindingRequest);
  EXPECT_EQ(m->transaction_id, kSampleId);
  EXPECT_EQ(m->username, "evtj:h6vY");
  EXPECT_EQ(m->priority, 0x6e0001ffu);
  EXPECT_EQ(m->ice_controlled, 0x932ff9b151263b36u);
  EXPECT_FALSE(m->ice_controlling);
  EXPECT_FALSE(m->use_candidate);
  EXPECT_EQ(m->integrity_offset, 76u);
  EXPECT_TRUE(m->has_fingerprint);
  EXPECT_EQ(m->unknown_required_attribute, 0);
  EXPECT_TRUE(checkStunIntegrity(kSampleRequest, *m, kPassword));
  EXPECT_FALSE(checkStunIntegrity(kSampleRequest, *m, "VOkJxbRl1RmTxUk/WvJxBu"));
  EXPECT_FALSE(checkStunIntegrity(kSampleRequest, *m, ""));
}

TEST(Stun, ParsesTheRfc5769Responses) {
  auto v4 = parseStun(kSampleIpv4Response);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->type, kStunBindingSuccess);
  ASSERT_TRUE(v4->xor_mapped_address);
  EXPECT_EQ(*v4->xor_mapped_address, udp::endpoint(make_address("192.0.2.1"), 32853));
  EXPECT_TRUE(v4->has_fingerprint);
  EXPECT_TRUE(checkStunIntegrity(kSampleIpv4Response, *v4, kPassword));

  auto v6 = parseStun(kSampleIpv6Response);
  ASSERT_TRUE(v6);
  ASSERT_TRUE(v6->xor_mapped_address);
  EXPECT_EQ(*v6->xor_mapped_address,
            udp::endpoint(make_address("2001:db8:1234:5678:11:2233:4455:6677"), 32853));
  EXPECT_TRUE(checkStunIntegrity(kSampleIpv6Response, *v6, kPassword));
}

TEST(Stun, AWrongFingerprintFailsTheParse) {
  Bytes wrong_crc = kSampleRequest;
  wrong_crc.back() ^= 1;
  EXPECT_FALSE(parseStun(wrong_crc));
  Bytes changed_body = kSampleRequest;
  changed_body[50] ^= 1;  // inside PRIORITY: the CRC no longer matches
  EXPECT_FALSE(parseStun(changed_body));
}

TEST(Stun, AWrongIntegrityParsesButDoesNotVerify) {
  const Bytes m = HandMessage(kStunBindingRequest)
                      .attribute(0x0006, text("a:b"))
                      .integrity("other password")
                      .fingerprint()
                      .bytes();
  auto parsed = parseStun(m);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(checkStunIntegrity(m, *parsed, "other password"));
  EXPECT_FALSE(checkStunIntegrity(m, *parsed, kPassword));
}

TEST(Stun, RejectsBrokenHeaders) {
  for (std::size_t size = 0; size < kSampleRequest.size(); ++size) {
    EXPECT_FALSE(parseStun(std::span(kSampleRequest).first(size))) << size;
  }
  Bytes cookie = kSampleRequest;
  cookie[4] = 0;
  EXPECT_FALSE(parseStun(cookie));
  Bytes leading_bits = kSampleRequest;
  leading_bits[0] |= 0x80;
  EXPECT_FALSE(parseStun(leading_bits));
  Bytes odd_length = kSampleRequest;
  odd_length[3] = 0x57;
  EXPECT_FALSE(parseStun(odd_length));
  Bytes trailing = kSampleRequest;
  trailing.insert(trailing.end(), {0, 0, 0, 0});
  EXPECT_FALSE(parseStun(trailing));
  EXPECT_FALSE(parseStun(Bytes(kStunMaxMessageSize + 4, 0)));
}

TEST(Stun, RejectsAttributesOverrunningTheMessage) {
  HandMessage m(kStunBindingRequest);
  m.attribute(0x0006, text("abcd"));
  Bytes b = m.bytes();
  b[23] = 8;  // USERNAME claims 8 bytes; 4 are there
  EXPECT_FALSE(parseStun(b));
}

TEST(Stun, RejectsKnownAttributesOfTheWrongSize) {
  EXPECT_FALSE(parseStun(HandMessage(1).attribute(0x0024, {1, 2, 3}).bytes()));     // PRIORITY
  EXPECT_FALSE(parseStun(HandMessage(1).attribute(0x0025, {1}).bytes()));           // USE-CANDIDATE
  EXPECT_FALSE(parseStun(HandMessage(1).attribute(0x802A, {1, 2, 3, 4}).bytes()));  // CONTROLLING
  EXPECT_FALSE(parseStun(HandMessage(1).attribute(0x0008, Bytes(16)).bytes()));     // INTEGRITY
  EXPECT_FALSE(parseStun(HandMessage(1).attribute(0x0020, {0, 3, 0, 0, 0, 0, 0, 0}).bytes()));
  EXPECT_FALSE(parseStun(HandMessage(1).attribute(0x0009, {0, 0, 7, 0}).bytes()));  // class 7
  EXPECT_FALSE(
      parseStun(HandMessage(1).attribute(0x0006, Bytes(kStunMaxUsernameSize + 1, 'a')).bytes()));
  EXPECT_TRUE(
      parseStun(HandMessage(1).attribute(0x0006, Bytes(kStunMaxUsernameSize, 'a')).bytes()));
}

TEST(Stun, SkipsOptionalUnknownsAndNotesRequiredOnes) {
  // Chrome's GOOG-NETWORK-INFO (0xC057) is comprehension-optional.
  auto optional = parseStun(HandMessage(1)
                                .attribute(0xC057, {0, 1, 0, 10})
                                .attribute(0x0006, text("ab:cd"))
                                .fingerprint()
                                .bytes());
  ASSERT_TRUE(optional);
  EXPECT_EQ(optional->username, "ab:cd");
  EXPECT_EQ(optional->unknown_required_attribute, 0);

  auto required = parseStun(HandMessage(1).attribute(0x0042, {}).attribute(0x0043, {}).bytes());
  ASSERT_TRUE(required);
  EXPECT_EQ(required->unknown_required_attribute, 0x0042);
}

TEST(Stun, IgnoresAttributesAfterIntegrityAndNothingFollowsFingerprint) {
  auto m = parseStun(HandMessage(1)
                         .attribute(0x0006, text("first"))
                         .integrity("pw")
                         .attribute(0x0024, {0, 0, 0, 9})  // PRIORITY after MI: ignored
                         .attribute(0x0006, text("second"))
                         .fingerprint()
                         .bytes());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->username, "first");
  EXPECT_FALSE(m->priority);
  EXPECT_TRUE(m->has_fingerprint);

  EXPECT_FALSE(parseStun(HandMessage(1).fingerprint().attribute(0x0024, {0, 0, 0, 9}).bytes()));
}

TEST(Stun, TheFirstOfARepeatedAttributeCounts) {
  auto m = parseStun(
      HandMessage(1).attribute(0x0024, {0, 0, 0, 1}).attribute(0x0024, {0, 0, 0, 2}).bytes());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->priority, 1u);
}

TEST(Stun, BindingSuccessMatchesTheRfcEncodingAndRoundTrips) {
  auto request = parseStun(kSampleRequest);
  ASSERT_TRUE(request);
  for (const auto& [mapped, sample] :
       {std::pair{udp::endpoint(make_address("192.0.2.1"), 32853), &kSampleIpv4Response},
        std::pair{udp::endpoint(make_address("2001:db8:1234:5678:11:2233:4455:6677"), 32853),
                  &kSampleIpv6Response}}) {
    const std::string out = buildBindingSuccess(*request, mapped, kPassword);
    // XOR-MAPPED-ADDRESS is the first attribute here and follows SOFTWARE (16 bytes) in the RFC.
    const std::size_t size = mapped.address().is_v4() ? 12 : 24;
    EXPECT_EQ(Bytes(out.begin() + 20, out.begin() + 20 + static_cast<long>(size)),
              Bytes(sample->begin() + 36, sample->begin() + 36 + static_cast<long>(size)));
    auto parsed = parseStun(bytes(out));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->type, kStunBindingSuccess);
    EXPECT_EQ(parsed->transaction_id, kSampleId);
    EXPECT_EQ(parsed->xor_mapped_address, mapped);
    EXPECT_TRUE(parsed->has_fingerprint);
    EXPECT_TRUE(checkStunIntegrity(bytes(out), *parsed, kPassword));
  }
}

TEST(Stun, BindingErrorCarriesTheCodeAndIntegrityOnlyWithAPassword) {
  auto request = parseStun(kSampleRequest);
  ASSERT_TRUE(request);
  const std::string with = buildBindingError(*request, 487, "Role Conflict", kPassword);
  auto parsed = parseStun(bytes(with));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->type, kStunBindingError);
  EXPECT_EQ(parsed->error_code, 487);
  EXPECT_TRUE(checkStunIntegrity(bytes(with), *parsed, kPassword));

  const std::string without = buildBindingError(*request, 401, "Unauthenticated", "");
  parsed = parseStun(bytes(without));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->error_code, 401);
  EXPECT_EQ(parsed->integrity_offset, 0u);
  EXPECT_TRUE(parsed->has_fingerprint);

  const std::string long_reason = buildBindingError(*request, 400, std::string(2000, 'x'), "");
  EXPECT_TRUE(parseStun(bytes(long_reason)));
}

TEST(Stun, A420ListsTheUnknownAttribute) {
  auto request = parseStun(HandMessage(1).attribute(0x0042, {}).bytes());
  ASSERT_TRUE(request);
  const std::string out = buildBindingError(*request, 420, "Unknown Attribute", "");
  auto parsed = parseStun(bytes(out));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->error_code, 420);
  // ERROR-CODE (4 + 4 + 17 reason, padded to 20) then UNKNOWN-ATTRIBUTES naming 0x0042.
  EXPECT_NE(out.find(std::string("\x00\x0a\x00\x02\x00\x42", 6)), std::string::npos);
}

TEST(Stun, BindingRequestRoundTrips) {
  BindingRequestParams params;
  params.username = "Fx8d:local";
  params.password = "1hAJZMUnVZkzSuQZYAuHc5pV";
  params.priority = 1853824767;
  params.tie_breaker = 0x0102030405060708;
  params.controlling = true;
  params.use_candidate = true;
  params.transaction_id = kSampleId;
  const std::string out = buildBindingRequest(params);
  auto parsed = parseStun(bytes(out));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->type, kStunBindingRequest);
  EXPECT_EQ(parsed->username, "Fx8d:local");
  EXPECT_EQ(parsed->priority, 1853824767u);
  EXPECT_EQ(parsed->ice_controlling, 0x0102030405060708u);
  EXPECT_FALSE(parsed->ice_controlled);
  EXPECT_TRUE(parsed->use_candidate);
  EXPECT_TRUE(checkStunIntegrity(bytes(out), *parsed, params.password));

  params.controlling = false;
  params.use_candidate = false;
  parsed = parseStun(bytes(buildBindingRequest(params)));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->ice_controlled, 0x0102030405060708u);
  EXPECT_FALSE(parsed->use_candidate);
}

}  // namespace
}  // namespace throng::rtc
