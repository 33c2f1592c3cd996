// What the ingest learns from a video payload without decoding it (media/payload_inspect.h):
// VP8 keyframe starts behind every form of the RFC 7741 §4.2 descriptor, H.264 facts from
// single NAL units, STAP-A and FU-A (RFC 6184 §5.6-5.8), B slices read from slice headers
// built bit by bit (H.264 §7.3.3, with emulation prevention §7.4.1), malformed payloads, and
// the project's own encoders' real packets.
#include "media/payload_inspect.h"
#include "media/h264_encoder.h"
#include "media/h264_nal.h"
#include "media/h264_packetizer.h"
#include "media/test_pattern.h"
#include "media/vp8_encoder.h"
#include "media/vp8_packetizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace throng::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

Bytes bytesOf(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bool vp8Key(const Bytes& payload) {
  return vp8StartsKeyframe(payload);
}
H264PayloadFacts h264(const Bytes& payload) {
  return inspectH264Payload(payload);
}

// ---- VP8 (RFC 7741 §4.2 descriptor, RFC 6386 §9.1 frame tag) ----

// A keyframe's frame tag starts with P = 0 (and a delta frame's with P = 1); the rest of the
// tag is the keyframe's start code 9d 01 2a.
const Bytes kKeyTag = bytes({0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a});
const Bytes kDeltaTag = bytes({0x51, 0x02, 0x00});

TEST(Vp8Inspect, KeyframeStartWithTheShortDescriptor) {
  EXPECT_TRUE(vp8Key(cat({bytes({0x10}), kKeyTag})));  // S=1, PID=0
  EXPECT_TRUE(vp8Key(cat({bytes({0x30}), kKeyTag})));  // N (non-reference) changes nothing
  EXPECT_FALSE(vp8Key(cat({bytes({0x10}), kDeltaTag})));
  EXPECT_FALSE(vp8Key(cat({bytes({0x00}), kKeyTag})));  // S=0: a continuation
  EXPECT_FALSE(vp8Key(cat({bytes({0x11}), kKeyTag})));  // partition 1, not the frame's start
  EXPECT_FALSE(vp8Key(cat({bytes({0x17}), kKeyTag})));  // partition 7
}

// Each extension field moves the frame tag; the byte at every wrong offset has its low bit set,
// so that reading the tag from the wrong place says "delta frame".
TEST(Vp8Inspect, KeyframeStartBehindEveryExtensionField) {
  // I, 7-bit PictureID 0x05.
  EXPECT_TRUE(vp8Key(cat({bytes({0x90, 0x80, 0x05}), kKeyTag})));
  EXPECT_FALSE(vp8Key(cat({bytes({0x90, 0x80, 0x05}), kDeltaTag})));
  // I, 15-bit PictureID 0x0123 (M bit): 81 23.
  EXPECT_TRUE(vp8Key(cat({bytes({0x90, 0x80, 0x81, 0x23}), kKeyTag})));
  EXPECT_FALSE(vp8Key(cat({bytes({0x90, 0x80, 0x81, 0x23}), kDeltaTag})));
  // L: TL0PICIDX.
  EXPECT_TRUE(vp8Key(cat({bytes({0x90, 0x40, 0x01}), kKeyTag})));
  // T: TID/Y/KEYIDX byte; K alone uses the same byte.
  EXPECT_TRUE(vp8Key(cat({bytes({0x90, 0x20, 0x41}), kKeyTag})));
  EXPECT_TRUE(vp8Key(cat({bytes({0x90, 0x10, 0x03}), kKeyTag})));
  // T and K together still use one byte.
  EXPECT_TRUE(vp8Key(cat({bytes({0x90, 0x30, 0x5f}), kKeyTag})));
  // Everything: I (15-bit), L, T, K.
  const Bytes all = bytes({0x90, 0xf0, 0xff, 0xff, 0x01, 0xe1});
  EXPECT_TRUE(vp8Key(cat({all, kKeyTag})));
  EXPECT_FALSE(vp8Key(cat({all, kDeltaTag})));
  // X set but no field present: the tag follows the extension byte.
  EXPECT_TRUE(vp8Key(cat({bytes({0x90, 0x00}), kKeyTag})));
  // Not a start, even with the extension.
  EXPECT_FALSE(vp8Key(cat({bytes({0x80, 0x80, 0x05}), kKeyTag})));
  EXPECT_FALSE(vp8Key(cat({bytes({0x91, 0x80, 0x05}), kKeyTag})));
}

TEST(Vp8Inspect, TruncatedDescriptorsAreNotKeyframes) {
  EXPECT_FALSE(vp8Key({}));
  EXPECT_FALSE(vp8Key(bytes({0x10})));                    // descriptor, no tag
  EXPECT_FALSE(vp8Key(bytes({0x90})));                    // X without the extension byte
  EXPECT_FALSE(vp8Key(bytes({0x90, 0x80})));              // I without the PictureID
  EXPECT_FALSE(vp8Key(bytes({0x90, 0x80, 0x81})));        // 15-bit PictureID cut short
  EXPECT_FALSE(vp8Key(bytes({0x90, 0x80, 0x81, 0x00})));  // ... and no tag after it
  EXPECT_FALSE(vp8Key(bytes({0x90, 0xf0, 0x80, 0x00, 0x00, 0x00})));  // all fields, no tag
}

// ---- H.264 slice headers, built bit by bit ----

class BitWriter {
 public:
  void bit(bool b) {
    if (used_ % 8 == 0) rbsp_.push_back(0);
    if (b) rbsp_.back() = static_cast<std::uint8_t>(rbsp_.back() | (0x80 >> (used_ % 8)));
    ++used_;
  }
  // ue(v), H.264 §9.1: leading zeros, a one, then the value's low bits.
  void ue(std::uint64_t value) {
    const std::uint64_t code = value + 1;
    int length = 0;
    while ((code >> length) > 1) ++length;
    for (int i = 0; i < length; ++i) bit(false);
    for (int i = length; i >= 0; --i) bit((code >> i) & 1);
  }
  // rbsp_trailing_bits (§7.3.2.11).
  Bytes finish() {
    bit(true);
    while (used_ % 8 != 0) bit(false);
    return rbsp_;
  }

 private:
  Bytes rbsp_;
  std::size_t used_ = 0;
};

// §7.4.1: 00 00 followed by 00..03 gets an emulation prevention byte 03 between.
Bytes escaped(const Bytes& rbsp, int* inserted = nullptr) {
  Bytes out;
  int zeros = 0;
  for (std::uint8_t b : rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push_back(3);
      zeros = 0;
      if (inserted) ++*inserted;
    }
    out.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return out;
}

// A slice NAL unit: header byte, then first_mb_in_slice, slice_type, pic_parameter_set_id 0 and
// frame_num 0 (4 bits) before the trailing bits, escaped as on the wire.
Bytes slice(int nal_type, std::uint64_t first_mb, unsigned slice_type, int* inserted = nullptr) {
  BitWriter w;
  w.ue(first_mb);
  w.ue(slice_type);
  w.ue(0);
  for (int i = 0; i < 4; ++i) w.bit(false);
  const Bytes nal = cat({bytes({0x60 | nal_type}), escaped(w.finish(), inserted)});
  return nal;
}

Bytes idr(std::uint64_t first_mb = 0, unsigned slice_type = 7) {
  return slice(kNalIdr, first_mb, slice_type);
}

const Bytes kSps =
    bytes({0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8, 0x06, 0xd0, 0xa1, 0x35});
const Bytes kPps = bytes({0x68, 0xce, 0x06, 0xe2});

Bytes stapA(std::initializer_list<Bytes> nals) {
  Bytes out = bytes({0x78});  // F=0 NRI=3 type 24
  for (const Bytes& nal : nals) {
    out.push_back(static_cast<std::uint8_t>(nal.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(nal.size() & 0xff));
    out.insert(out.end(), nal.begin(), nal.end());
  }
  return out;
}

// FU-A (RFC 6184 §5.8) carrying `nal` from byte `from` (1 = the start, after its header).
Bytes fuA(const Bytes& nal, bool start, bool end, std::size_t from = 1) {
  Bytes out =
      bytes({(nal[0] & 0xe0) | kNalFuA, (start ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0] & 0x1f)});
  out.insert(out.end(), nal.begin() + static_cast<std::ptrdiff_t>(from), nal.end());
  return out;
}

std::string_view view(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

TEST(H264Inspect, SingleNalUnits) {
  auto f = h264(idr());
  EXPECT_TRUE(f.valid);
  EXPECT_TRUE(f.starts_idr);
  EXPECT_TRUE(f.starts_slice);
  EXPECT_FALSE(f.b_slice);
  EXPECT_FALSE(f.has_sps || f.has_pps);

  f = h264(slice(kNalSlice, 0, 5));  // a P slice
  EXPECT_TRUE(f.valid);
  EXPECT_TRUE(f.starts_slice);
  EXPECT_FALSE(f.starts_idr);
  EXPECT_FALSE(f.b_slice);

  f = h264(kSps);
  EXPECT_TRUE(f.valid);
  EXPECT_TRUE(f.has_sps);
  EXPECT_FALSE(f.has_pps || f.starts_slice || f.starts_idr);
  EXPECT_EQ(f.sps, view(kSps));

  f = h264(kPps);
  EXPECT_TRUE(f.valid);
  EXPECT_TRUE(f.has_pps);
  EXPECT_FALSE(f.has_sps || f.starts_slice);
  EXPECT_EQ(f.pps, view(kPps));

  // SEI, AUD: understood, nothing to report.
  f = h264(bytes({0x06, 0x05, 0x01, 0x00, 0x80}));
  EXPECT_TRUE(f.valid);
  EXPECT_FALSE(f.starts_slice || f.has_sps || f.has_pps);
  EXPECT_TRUE(h264(bytes({0x09, 0xf0})).valid);
}

TEST(H264Inspect, StapAWithParameterSetsAndIdr) {
  const Bytes idr_nal = idr();
  const Bytes payload = stapA({kSps, kPps, idr_nal});
  const auto f = h264(payload);
  EXPECT_TRUE(f.valid);
  EXPECT_TRUE(f.has_sps);
  EXPECT_TRUE(f.has_pps);
  EXPECT_TRUE(f.starts_idr);
  EXPECT_TRUE(f.starts_slice);
  EXPECT_FALSE(f.b_slice);
  // The views are the NAL units themselves, inside the payload.
  EXPECT_EQ(f.sps, view(kSps));
  EXPECT_EQ(f.pps, view(kPps));
  const auto* begin = reinterpret_cast<const char*>(payload.data());
  EXPECT_EQ(f.sps.data(), begin + 3);
  EXPECT_EQ(f.pps.data(), begin + 3 + kSps.size() + 2);

  // Parameter sets alone: no slice.
  const auto sets = h264(stapA({kSps, kPps}));
  EXPECT_TRUE(sets.valid && sets.has_sps && sets.has_pps);
  EXPECT_FALSE(sets.starts_slice || sets.starts_idr);
}

TEST(H264Inspect, FuAStartsAndContinuations) {
  const Bytes nal = idr();
  auto f = h264(fuA(nal, true, false));
  EXPECT_TRUE(f.valid);
  EXPECT_TRUE(f.starts_idr);
  EXPECT_TRUE(f.starts_slice);
  EXPECT_FALSE(f.b_slice);

  // The middle and the end of a fragmented IDR start nothing.
  f = h264(fuA(nal, false, false, 2));
  EXPECT_TRUE(f.valid);
  EXPECT_FALSE(f.starts_idr || f.starts_slice);
  f = h264(fuA(nal, false, true, 2));
  EXPECT_TRUE(f.valid);
  EXPECT_FALSE(f.starts_idr || f.starts_slice);

  // A fragmented non-IDR slice.
  f = h264(fuA(slice(kNalSlice, 0, 0), true, false));
  EXPECT_TRUE(f.valid);
  EXPECT_TRUE(f.starts_slice);
  EXPECT_FALSE(f.starts_idr);
  // A fragmented B slice.
  EXPECT_TRUE(h264(fuA(slice(kNalSlice, 0, 1), true, false)).b_slice);
  EXPECT_TRUE(h264(fuA(slice(kNalSlice, 120, 6), true, false)).b_slice);
  // A fragmented SPS (odd but legal) starts no slice.
  f = h264(fuA(kSps, true, false));
  EXPECT_TRUE(f.valid);
  EXPECT_FALSE(f.starts_slice || f.has_sps);
}

// slice_type (Table 7-6): 0/5 P, 1/6 B, 2/7 I, 3/8 SP, 4/9 SI; 5-9 say every slice of the
// picture has that type. Only 1 and 6 are B.
TEST(H264Inspect, BSlicesAreFoundByTheirSliceType) {
  for (std::uint64_t first_mb : {0u, 1u, 7u, 254u, 255u, 396u, 8159u, 65534u, 139263u}) {
    for (unsigned type = 0; type <= 9; ++type) {
      const bool b = type == 1 || type == 6;
      EXPECT_EQ(h264(slice(kNalSlice, first_mb, type)).b_slice, b)
          << "first_mb " << first_mb << " slice_type " << type;
      EXPECT_EQ(h264(stapA({slice(kNalSlice, first_mb, type)})).b_slice, b)
          << "STAP-A, first_mb " << first_mb << " slice_type " << type;
      EXPECT_EQ(h264(fuA(slice(kNalSlice, first_mb, type), true, false)).b_slice, b)
          << "FU-A, first_mb " << first_mb << " slice_type " << type;
    }
  }
}

// first_mb_in_slice = 2^22 - 1 is coded as 22 zero bits, a one and 22 zero bits: the RBSP
// begins 00 00 02 and, further on, 00 00 02 again, so the NAL unit carries two emulation
// prevention bytes, the first right at the start of the slice header.
TEST(H264Inspect, SliceTypeIsReadThroughEmulationPreventionBytes) {
  constexpr std::uint64_t kFirstMb = (1u << 22) - 1;
  for (unsigned type = 0; type <= 9; ++type) {
    int inserted = 0;
    const Bytes nal = slice(kNalSlice, kFirstMb, type, &inserted);
    ASSERT_GE(inserted, 1) << "slice_type " << type;
    ASSERT_EQ(nal[1], 0x00);
    ASSERT_EQ(nal[2], 0x00);
    ASSERT_EQ(nal[3], 0x03);
    const bool b = type == 1 || type == 6;
    EXPECT_EQ(h264(nal).b_slice, b) << "slice_type " << type;
    EXPECT_EQ(h264(fuA(nal, true, false)).b_slice, b) << "FU-A, slice_type " << type;
  }
  // slice_type 1's code 010 ends the second run of zeros: 00 00 02 again, escaped mid-header.
  int inserted = 0;
  slice(kNalSlice, kFirstMb, 1, &inserted);
  EXPECT_EQ(inserted, 2);
}

TEST(H264Inspect, MalformedPayloadsAreNotValid) {
  EXPECT_FALSE(h264({}).valid);
  // forbidden_zero_bit set.
  Bytes forbidden = idr();
  forbidden[0] |= 0x80;
  EXPECT_FALSE(h264(forbidden).valid);
  EXPECT_FALSE(h264(fuA(forbidden, true, false)).valid);
  // STAP-A: a size running past the payload, a zero size, a dangling size byte.
  Bytes overrun = stapA({kSps, kPps});
  overrun[2] = static_cast<std::uint8_t>(overrun[2] + 1);
  EXPECT_FALSE(h264(overrun).valid);
  Bytes huge = stapA({kSps});
  huge[1] = 0xff;
  EXPECT_FALSE(h264(huge).valid);
  EXPECT_FALSE(h264(cat({stapA({kSps}), bytes({0x00, 0x00})})).valid);
  EXPECT_FALSE(h264(cat({stapA({kSps}), bytes({0x00})})).valid);
  EXPECT_FALSE(h264(bytes({0x78, 0x00})).valid);
  // FU-A with no fragment byte.
  EXPECT_FALSE(h264(bytes({0x7c, 0x85})).valid);
  EXPECT_FALSE(h264(bytes({0x7c})).valid);
  EXPECT_TRUE(h264(bytes({0x7c, 0x85, 0x88})).valid);
  // Types packetization-mode 1 does not use from a WebRTC sender: STAP-B, MTAP16/24, FU-B,
  // and the reserved 0, 30, 31.
  for (int type : {0, 25, 26, 27, 29, 30, 31}) {
    EXPECT_FALSE(h264(bytes({0x60 | type, 0x80, 0x00, 0x00})).valid) << "type " << type;
  }
  // A slice header cut short is a valid payload; it is just not known to be B.
  const auto cut = h264(bytes({0x41, 0x00}));
  EXPECT_TRUE(cut.valid);
  EXPECT_TRUE(cut.starts_slice);
  EXPECT_FALSE(cut.b_slice);
}

// ---- Real packets from the project's encoders ----

const std::chrono::system_clock::time_point kWallClock{
    std::chrono::milliseconds(1'714'998'896'789)};

TEST(H264Inspect, RealX264PacketsMarkEachIdrAndNoBSlices) {
  H264EncoderOptions options;
  options.width = 320;
  options.height = 240;
  options.bitrate_kbps = 500;
  auto encoder = H264Encoder::create(options);
  ASSERT_TRUE(encoder.ok()) << encoder.error().message;
  TestPattern pattern(options.width, options.height);
  I420Frame picture;
  // A small payload size forces FU-A for the IDR; a large one sends it whole.
  for (std::size_t max_payload : {std::size_t{300}, std::size_t{1200}}) {
    H264Packetizer packetizer(max_payload);
    int keyframes = 0, idr_starts = 0;
    for (int i = 0; i < 12; ++i) {
      pattern.render(picture, static_cast<std::uint64_t>(i), kWallClock);
      auto frame = (*encoder)->encode(picture, i == 0 || i == 6);
      ASSERT_TRUE(frame.has_value());
      std::vector<Payload> payloads;
      packetizer.packetize(*frame, payloads);
      ASSERT_FALSE(payloads.empty());
      keyframes += frame->keyframe ? 1 : 0;
      bool frame_has_idr = false, frame_has_sps = false, frame_has_pps = false;
      int slice_starts = 0;
      for (const Payload& p : payloads) {
        const Bytes packet = bytesOf(p.bytes);  // the views below point into it
        const auto f = inspectH264Payload(packet);
        ASSERT_TRUE(f.valid) << "frame " << i;
        EXPECT_FALSE(f.b_slice) << "frame " << i;  // constrained baseline has no B slices
        frame_has_idr = frame_has_idr || f.starts_idr;
        if (f.starts_idr) ++idr_starts;
        slice_starts += f.starts_slice ? 1 : 0;
        if (f.has_sps) {
          frame_has_sps = true;
          EXPECT_EQ(profileLevelIdFromSps(f.sps), (*encoder)->profileLevelId());
        }
        frame_has_pps = frame_has_pps || f.has_pps;
      }
      EXPECT_EQ(frame_has_idr, frame->keyframe) << "frame " << i;
      EXPECT_EQ(frame_has_sps, frame->keyframe) << "frame " << i;
      EXPECT_EQ(frame_has_pps, frame->keyframe) << "frame " << i;
      EXPECT_GE(slice_starts, 1) << "frame " << i;
      // The packet the packetizer marks as the keyframe's start is one the inspection agrees
      // starts it (the STAP-A of parameter sets, or the IDR itself).
      const auto first = inspectH264Payload(bytesOf(payloads.front().bytes));
      EXPECT_EQ(first.has_sps || first.starts_idr, frame->keyframe) << "frame " << i;
    }
    EXPECT_GE(keyframes, 2) << "the two forced ones";
    EXPECT_GE(idr_starts, keyframes);
  }
}

TEST(Vp8Inspect, RealLibvpxPacketsMarkOnlyKeyframeStarts) {
  Vp8EncoderOptions options;
  options.width = 320;
  options.height = 240;
  options.bitrate_kbps = 500;
  auto encoder = Vp8Encoder::create(options);
  ASSERT_TRUE(encoder.ok()) << encoder.error().message;
  TestPattern pattern(options.width, options.height);
  I420Frame picture;
  // From 0x7ffa the 15-bit PictureID wraps during the run.
  Vp8Packetizer packetizer(300, 0x7ffa);
  int keyframes = 0;
  for (int i = 0; i < 12; ++i) {
    pattern.render(picture, static_cast<std::uint64_t>(i), kWallClock);
    auto frame = (*encoder)->encode(picture, i == 6);
    ASSERT_TRUE(frame.has_value());
    std::vector<Payload> payloads;
    packetizer.packetize(*frame, payloads);
    ASSERT_FALSE(payloads.empty());
    keyframes += frame->keyframe ? 1 : 0;
    EXPECT_EQ(vp8StartsKeyframe(bytesOf(payloads.front().bytes)), frame->keyframe) << i;
    for (std::size_t k = 1; k < payloads.size(); ++k) {
      EXPECT_FALSE(vp8StartsKeyframe(bytesOf(payloads[k].bytes))) << "frame " << i << " #" << k;
    }
  }
  EXPECT_GE(keyframes, 2);
}

}  // namespace
}  // namespace throng::media
