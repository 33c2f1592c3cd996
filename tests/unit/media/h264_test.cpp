// H.264: x264's output is constrained baseline with no B-slices, SPS/PPS before each IDR, and
// the RFC 6184 payloads give back the same NAL units.
#include "media/h264_encoder.h"
#include "media/h264_nal.h"
#include "media/h264_packetizer.h"
#include "media/test_pattern.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

namespace throng::media {
namespace {

using namespace std::string_literals;

const std::chrono::system_clock::time_point kWallClock{
    std::chrono::milliseconds(1'714'998'896'789)};

H264EncoderOptions smallOptions() {
  H264EncoderOptions options;
  options.width = 320;
  options.height = 240;
  options.fps = 30;
  options.bitrate_kbps = 500;
  options.keyframe_interval_ms = 1000;
  return options;
}

std::vector<EncodedFrame> encodeFrames(H264Encoder& encoder, int count,
                                       const std::vector<int>& forced = {}) {
  TestPattern pattern(encoder.options().width, encoder.options().height);
  I420Frame frame;
  std::vector<EncodedFrame> out;
  for (int i = 0; i < count; ++i) {
    pattern.render(frame, static_cast<std::uint64_t>(i), kWallClock);
    const bool force = std::find(forced.begin(), forced.end(), i) != forced.end();
    auto encoded = encoder.encode(frame, force);
    EXPECT_TRUE(encoded.has_value()) << "frame " << i;
    if (encoded) out.push_back(std::move(*encoded));
  }
  return out;
}

// Reads exp-Golomb codes (H.264 §9.1) from the RBSP of a NAL unit (emulation prevention bytes
// removed).
class BitReader {
 public:
  explicit BitReader(std::string_view nal) {
    int zeros = 0;
    for (std::size_t i = 1; i < nal.size(); ++i) {  // skip the NAL header
      const auto b = static_cast<unsigned char>(nal[i]);
      if (zeros >= 2 && b == 3) {
        zeros = 0;
        continue;
      }
      zeros = b == 0 ? zeros + 1 : 0;
      rbsp_.push_back(b);
    }
  }
  std::optional<unsigned> bit() {
    if (pos_ >= rbsp_.size() * 8) return std::nullopt;
    const unsigned b = rbsp_[pos_ / 8] >> (7 - pos_ % 8) & 1;
    ++pos_;
    return b;
  }
  std::optional<unsigned> ue() {
    int leading = 0;
    for (;;) {
      auto b = bit();
      if (!b) return std::nullopt;
      if (*b == 1) break;
      if (++leading > 31) return std::nullopt;
    }
    unsigned value = 0;
    for (int i = 0; i < leading; ++i) {
      auto b = bit();
      if (!b) return std::nullopt;
      value = value << 1 | *b;
    }
    return (1u << leading) - 1 + value;
  }

 private:
  std::vector<unsigned char> rbsp_;
  std::size_t pos_ = 0;
};

std::vector<std::string_view> nalsOf(const std::string& au) {
  std::vector<std::string_view> nals;
  splitAnnexB(au, nals);
  return nals;
}

TEST(H264Encoder, ConstrainedBaselineWithParameterSetsBeforeEveryIdr) {
  auto encoder = H264Encoder::create(smallOptions());
  ASSERT_TRUE(encoder.ok()) << encoder.error().message;
  const std::string profile = (*encoder)->profileLevelId();
  ASSERT_EQ(profile.size(), 6u);
  EXPECT_EQ(profile.substr(0, 2), "42");  // profile_idc 66, baseline
  // constraint_set1: the stream also obeys Main, i.e. constrained baseline (RFC 6184 §8.1).
  EXPECT_NE(std::stoi(profile.substr(2, 2), nullptr, 16) & 0x40, 0);

  const auto frames = encodeFrames(**encoder, 40, {35});
  ASSERT_EQ(frames.size(), 40u);
  int since_keyframe = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const EncodedFrame& frame = frames[i];
    EXPECT_EQ(frame.rtp_timestamp, i * 3000);
    std::vector<int> types;
    for (std::string_view nal : nalsOf(frame.data)) {
      const int type = nalType(static_cast<unsigned char>(nal[0]));
      types.push_back(type);
      if (type == kNalSps) {
        EXPECT_EQ(profileLevelIdFromSps(nal), profile);
      }
      if (type == kNalPps) {
        BitReader r(nal);
        ASSERT_TRUE(r.ue().has_value());  // pic_parameter_set_id
        ASSERT_TRUE(r.ue().has_value());  // seq_parameter_set_id
        EXPECT_EQ(r.bit(), 0u) << "entropy_coding_mode_flag: CAVLC";
      }
      if (type == kNalSlice || type == kNalIdr) {
        BitReader r(nal);
        ASSERT_TRUE(r.ue().has_value());  // first_mb_in_slice
        const auto slice_type = r.ue();
        ASSERT_TRUE(slice_type.has_value());
        EXPECT_NE(*slice_type % 5, 1u) << "B-slice in frame " << i;
        if (type == kNalIdr) {
          EXPECT_EQ(*slice_type % 5, 2u) << "IDR must be intra";
        }
      }
    }
    const auto has = [&](int t) { return std::count(types.begin(), types.end(), t) > 0; };
    if (frame.keyframe) {
      EXPECT_TRUE(has(kNalSps) && has(kNalPps) && has(kNalIdr)) << "frame " << i;
      const auto sps = std::find(types.begin(), types.end(), kNalSps);
      const auto idr = std::find(types.begin(), types.end(), kNalIdr);
      EXPECT_LT(sps, idr);
    } else {
      EXPECT_FALSE(has(kNalIdr) || has(kNalSps)) << "frame " << i;
      EXPECT_TRUE(has(kNalSlice)) << "frame " << i;
    }
    since_keyframe = frame.keyframe ? 0 : since_keyframe + 1;
    EXPECT_LT(since_keyframe, 30) << "frame " << i;
  }
  EXPECT_TRUE(frames[0].keyframe);
  EXPECT_TRUE(frames[35].keyframe);
  EXPECT_FALSE(frames[34].keyframe);
  EXPECT_FALSE(frames[36].keyframe);
}

TEST(H264Encoder, ProfileLevelIdAtCommonSizes) {
  // Level grows with the picture; logged so the SDP can be compared with a browser's.
  for (auto [w, h] : {std::pair{640, 360}, std::pair{1280, 720}, std::pair{1920, 1080}}) {
    H264EncoderOptions options = smallOptions();
    options.width = w;
    options.height = h;
    options.bitrate_kbps = 2500;
    auto encoder = H264Encoder::create(options);
    ASSERT_TRUE(encoder.ok());
    std::printf("h264 %dx%d@30 profile-level-id=%s\n", w, h, (*encoder)->profileLevelId().c_str());
    EXPECT_EQ((*encoder)->profileLevelId().substr(0, 2), "42");
  }
}

TEST(H264Encoder, RejectsAnUnknownPreset) {
  H264EncoderOptions options = smallOptions();
  options.preset = "warp-speed";
  auto encoder = H264Encoder::create(options);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.error().message.find("warp-speed"), std::string::npos);
}

TEST(H264Nal, SplitsAnnexBWithThreeAndFourByteStartCodes) {
  const std::string stream =
      "\x00\x00\x00\x01\x67\x42\xc0\x1f\x00\x00\x01\x68\xce"
      "\x00\x00\x00\x01\x65\x88\x00\x00\x03\x01\x00\x00"s;
  const auto nals = nalsOf(stream);
  ASSERT_EQ(nals.size(), 3u);
  EXPECT_EQ(nals[0], "\x67\x42\xc0\x1f"s);
  EXPECT_EQ(nals[1], "\x68\xce"s);
  EXPECT_EQ(nals[2], "\x65\x88\x00\x00\x03\x01"s);  // trailing zero bytes dropped
  EXPECT_EQ(profileLevelIdFromSps(nals[0]), "42c01f");
  EXPECT_EQ(profileLevelIdFromSps(nals[1]), std::nullopt);
  EXPECT_EQ(profileLevelIdFromSps("\x67\x42"s), std::nullopt);
  EXPECT_TRUE(nalsOf("").empty());
  EXPECT_TRUE(nalsOf("\x00\x00\x01"s).empty());
  EXPECT_TRUE(nalsOf("garbage"s).empty());
}

// RFC 6184 depacketizer for single NAL unit, STAP-A and FU-A packets.
std::vector<std::string> depacketize(const std::vector<Payload>& payloads) {
  std::vector<std::string> nals;
  std::optional<std::string> fragment;
  for (const Payload& p : payloads) {
    const std::string& b = p.bytes;
    EXPECT_FALSE(b.empty());
    if (b.empty()) continue;
    const int type = nalType(static_cast<unsigned char>(b[0]));
    if (type >= 1 && type <= 23) {
      nals.push_back(b);
    } else if (type == kNalStapA) {
      std::size_t at = 1;
      while (at + 2 <= b.size()) {
        const std::size_t size =
            static_cast<unsigned char>(b[at]) << 8 | static_cast<unsigned char>(b[at + 1]);
        at += 2;
        EXPECT_LE(at + size, b.size());
        nals.push_back(b.substr(at, size));
        at += size;
      }
      EXPECT_EQ(at, b.size());
    } else if (type == kNalFuA) {
      EXPECT_GE(b.size(), 3u);
      const auto indicator = static_cast<unsigned char>(b[0]);
      const auto header = static_cast<unsigned char>(b[1]);
      if ((header & 0x80) != 0) {
        EXPECT_FALSE(fragment.has_value()) << "FU-A start inside a fragmented unit";
        fragment = std::string(1, static_cast<char>((indicator & 0xe0) | (header & 0x1f)));
      }
      EXPECT_TRUE(fragment.has_value());
      if (!fragment) continue;
      fragment->append(b, 2);
      if ((header & 0x40) != 0) {
        nals.push_back(std::move(*fragment));
        fragment.reset();
      }
    } else {
      ADD_FAILURE() << "unexpected packet type " << type;
    }
  }
  EXPECT_FALSE(fragment.has_value()) << "unfinished FU-A";
  return nals;
}

std::vector<std::string> sentNals(const std::string& au) {
  std::vector<std::string> out;
  for (std::string_view nal : nalsOf(au)) {
    const int type = nalType(static_cast<unsigned char>(nal[0]));
    if (type != kNalSei && type != kNalAud && type != kNalFiller) out.emplace_back(nal);
  }
  return out;
}

TEST(H264Packetizer, EncodedAccessUnitsRoundTrip) {
  auto encoder = H264Encoder::create(smallOptions());
  ASSERT_TRUE(encoder.ok());
  const auto frames = encodeFrames(**encoder, 10);
  for (std::size_t max : {std::size_t{100}, std::size_t{1200}}) {
    H264Packetizer packetizer(max);
    for (const EncodedFrame& frame : frames) {
      std::vector<Payload> payloads;
      packetizer.packetize(frame, payloads);
      ASSERT_FALSE(payloads.empty());
      for (std::size_t i = 0; i < payloads.size(); ++i) {
        EXPECT_LE(payloads[i].bytes.size(), max);
        EXPECT_EQ(payloads[i].rtp_timestamp, frame.rtp_timestamp);
        EXPECT_EQ(payloads[i].marker, i + 1 == payloads.size());
        EXPECT_EQ(payloads[i].keyframe_start, i == 0 && frame.keyframe);
      }
      EXPECT_EQ(depacketize(payloads), sentNals(frame.data));
      if (frame.keyframe) {
        // SPS + PPS in one STAP-A, first.
        EXPECT_EQ(nalType(static_cast<unsigned char>(payloads[0].bytes[0])), kNalStapA);
      }
    }
  }
}

TEST(H264Packetizer, ChoosesSingleStapAOrFuABySize) {
  const std::string sps = "\x67\x42\xc0\x1f\x11\x22"s;
  const std::string pps = "\x68\xce\x3c\x80"s;
  const std::string idr = "\x65" + std::string(20, '\x55');
  EncodedFrame frame;
  frame.keyframe = true;
  frame.rtp_timestamp = 1234;
  frame.data = "\x00\x00\x00\x01"s + sps + "\x00\x00\x00\x01"s + "\x06\x05\x01\x80"s +
               "\x00\x00\x01"s + pps + "\x00\x00\x01"s + idr;
  // With an SEI between them, SPS and PPS go alone (only adjacent ones are aggregated; x264
  // writes them adjacent) and the SEI is dropped.
  {
    H264Packetizer packetizer(21);  // idr fits exactly; SPS+PPS = 1+2+6+2+4 = 15 fit
    std::vector<Payload> payloads;
    packetizer.packetize(frame, payloads);
    EXPECT_EQ(depacketize(payloads), (std::vector<std::string>{sps, pps, idr}));
    for (const auto& p : payloads) EXPECT_LE(p.bytes.size(), 21u);
  }
  frame.data = "\x00\x00\x00\x01"s + sps + "\x00\x00\x01"s + pps + "\x00\x00\x01"s + idr;
  {
    H264Packetizer packetizer(21);
    std::vector<Payload> payloads;
    packetizer.packetize(frame, payloads);
    ASSERT_EQ(payloads.size(), 2u);
    EXPECT_EQ(nalType(static_cast<unsigned char>(payloads[0].bytes[0])), kNalStapA);
    EXPECT_EQ(payloads[1].bytes, idr);  // single NAL unit packet, exactly the limit
    EXPECT_TRUE(payloads[0].keyframe_start);
    EXPECT_TRUE(payloads[1].marker);
    EXPECT_FALSE(payloads[0].marker);
  }
  {
    H264Packetizer packetizer(14);  // SPS+PPS no longer fit together; idr needs FU-A
    std::vector<Payload> payloads;
    packetizer.packetize(frame, payloads);
    EXPECT_EQ(depacketize(payloads), (std::vector<std::string>{sps, pps, idr}));
    ASSERT_EQ(payloads.size(), 4u);  // SPS, PPS, two FU-A fragments of 10 bytes
    EXPECT_EQ(payloads[0].bytes, sps);
    EXPECT_EQ(payloads[1].bytes, pps);
    EXPECT_EQ(payloads[2].bytes.size(), 12u);
    EXPECT_EQ(payloads[3].bytes.size(), 12u);
    EXPECT_EQ(static_cast<unsigned char>(payloads[2].bytes[0]), 0x60u | kNalFuA);
    EXPECT_EQ(static_cast<unsigned char>(payloads[2].bytes[1]), 0x80u | kNalIdr);
    EXPECT_EQ(static_cast<unsigned char>(payloads[3].bytes[1]), 0x40u | kNalIdr);
  }
}

}  // namespace
}  // namespace throng::media
