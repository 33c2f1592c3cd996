// Depacketizer: turns one track's RTP payloads, in sequence order, back into the codec's frames
// (a VP8 frame, an H.264 access unit in Annex B, an Opus packet). Video frames come out only
// when they are whole and decodable: nothing before the first keyframe, and after a lost or
// damaged packet nothing until the next keyframe, so that an exported file never shows the
// smears of a decoder fed half a picture. Pure: no I/O, every size bounded.
#pragma once

#include "record/rtp_view.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace throng::record {

// A video frame larger than this is not one (4K intra frames stay far below); its packets are
// dropped rather than buffered without bound.
inline constexpr std::size_t kMaxFrameBytes = 8u << 20;

struct MediaFrame {
  std::vector<std::uint8_t> data;
  std::uint32_t rtp_timestamp = 0;
  bool keyframe = false;                          // every audio frame is one
  std::chrono::system_clock::time_point arrival;  // of its first packet
};

class Depacketizer {
 public:
  struct Stats {
    std::uint64_t frames = 0;          // handed out
    std::uint64_t frames_damaged = 0;  // incomplete or malformed, dropped
    std::uint64_t frames_skipped = 0;  // whole, but waiting for a keyframe
  };

  virtual ~Depacketizer() = default;

  // `packet` is the next one in sequence order; `gap_before` says packets are missing just
  // before it. Appends any frame it completes to `out`.
  virtual void push(const RtpView& packet, bool gap_before,
                    std::chrono::system_clock::time_point arrival,
                    std::vector<MediaFrame>& out) = 0;
  // The end of the track: a frame still open is given out if it is whole.
  virtual void finish(std::vector<MediaFrame>& out) = 0;

  const Stats& stats() const { return stats_; }

 protected:
  Stats stats_;
};

// "VP8", "H264" or "opus" (case-insensitive, as SDP encoding names are: RFC 4566 §6), with the
// track's fmtp (H.264 sprop-parameter-sets); nullptr for any other codec.
std::unique_ptr<Depacketizer> makeDepacketizer(std::string_view codec, std::string_view fmtp);

// Opus (RFC 7587 §4.2): one packet, one frame.
class OpusDepacketizer final : public Depacketizer {
 public:
  void push(const RtpView& packet, bool gap_before, std::chrono::system_clock::time_point arrival,
            std::vector<MediaFrame>& out) override;
  void finish(std::vector<MediaFrame>&) override {}
};

// What VP8 and H.264 share: frames are the packets of one RTP timestamp, closed by the marker
// bit (RFC 7741 §4.1, RFC 6184 §5.1) or by a packet of another timestamp.
class VideoDepacketizer : public Depacketizer {
 public:
  void push(const RtpView& packet, bool gap_before, std::chrono::system_clock::time_point arrival,
            std::vector<MediaFrame>& out) final;
  void finish(std::vector<MediaFrame>& out) final;

 protected:
  // Whether `payload` can be the first packet of a frame.
  virtual bool startsFrame(std::span<const std::uint8_t> payload) const = 0;
  // A new frame begins (reset per-frame state).
  virtual void beginFrame() = 0;
  // Adds `payload`'s share of the frame to `frame`; false if it is malformed.
  virtual bool append(std::span<const std::uint8_t> payload, std::vector<std::uint8_t>& frame) = 0;
  // The frame's packets are all in: checks it and says whether it is a keyframe; false if it
  // cannot be decoded.
  virtual bool endFrame(std::vector<std::uint8_t>& frame, bool& keyframe) = 0;

 private:
  void close(std::vector<MediaFrame>& out);

  bool open_ = false;
  bool broken_ = false;
  bool need_keyframe_ = true;
  std::uint32_t timestamp_ = 0;
  std::chrono::system_clock::time_point arrival_;
  std::vector<std::uint8_t> frame_;
};

}  // namespace throng::record
