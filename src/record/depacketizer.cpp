// Frame assembly shared by the video formats, Opus, and the codec lookup (depacketizer.h).
#include "record/depacketizer.h"

#include "record/h264_depacketizer.h"
#include "record/vp8_depacketizer.h"

#include <strings.h>

#include <string>

namespace throng::record {

std::unique_ptr<Depacketizer> makeDepacketizer(std::string_view codec, std::string_view fmtp) {
  const std::string name(codec);
  if (strcasecmp(name.c_str(), "VP8") == 0) return std::make_unique<Vp8Depacketizer>();
  if (strcasecmp(name.c_str(), "H264") == 0) return std::make_unique<H264Depacketizer>(fmtp);
  if (strcasecmp(name.c_str(), "opus") == 0) return std::make_unique<OpusDepacketizer>();
  return nullptr;
}

void OpusDepacketizer::push(const RtpView& packet, bool,
                            std::chrono::system_clock::time_point arrival,
                            std::vector<MediaFrame>& out) {
  // An empty payload carries no frame (RFC 7587 §4.2: the payload is exactly one Opus packet).
  if (packet.payload.empty()) {
    ++stats_.frames_damaged;
    return;
  }
  MediaFrame& frame = out.emplace_back();
  frame.data.assign(packet.payload.begin(), packet.payload.end());
  frame.rtp_timestamp = packet.timestamp;
  frame.keyframe = true;
  frame.arrival = arrival;
  ++stats_.frames;
}

void VideoDepacketizer::push(const RtpView& packet, bool gap_before,
                             std::chrono::system_clock::time_point arrival,
                             std::vector<MediaFrame>& out) {
  if (gap_before) {
    // Something was lost: the open frame may lack its tail, and a lost whole frame breaks
    // every frame that refers to it until the next keyframe.
    need_keyframe_ = true;
    if (open_) broken_ = true;
  }
  if (open_ && packet.timestamp != timestamp_) close(out);
  if (!open_) {
    open_ = true;
    timestamp_ = packet.timestamp;
    arrival_ = arrival;
    frame_.clear();
    beginFrame();
    broken_ = !startsFrame(packet.payload);
  }
  if (!broken_) {
    broken_ = !append(packet.payload, frame_) || frame_.size() > kMaxFrameBytes;
    if (broken_) frame_.clear();  // do not hold a damaged frame's bytes
  }
  if (packet.marker) close(out);
}

void VideoDepacketizer::finish(std::vector<MediaFrame>& out) {
  if (open_) close(out);
}

void VideoDepacketizer::close(std::vector<MediaFrame>& out) {
  open_ = false;
  bool keyframe = false;
  if (broken_ || !endFrame(frame_, keyframe)) {
    ++stats_.frames_damaged;
    need_keyframe_ = true;
    return;
  }
  if (need_keyframe_ && !keyframe) {
    ++stats_.frames_skipped;
    return;
  }
  need_keyframe_ = false;
  MediaFrame& frame = out.emplace_back();
  frame.data = std::move(frame_);
  frame.rtp_timestamp = timestamp_;
  frame.keyframe = keyframe;
  frame.arrival = arrival_;
  frame_ = {};
  ++stats_.frames;
}

}  // namespace throng::record
