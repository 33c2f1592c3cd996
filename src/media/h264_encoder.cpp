// x264 constrained-baseline, zero-latency encoding (h264_encoder.h).
#include "media/h264_encoder.h"

#include "media/h264_nal.h"

#include <cstdint>
#include <vector>

extern "C" {
#include <x264.h>
}

namespace throng::media {

struct H264Encoder::Codec {
  x264_t* encoder = nullptr;
  x264_picture_t picture{};

  ~Codec() {
    if (encoder != nullptr) x264_encoder_close(encoder);
  }
};

Result<std::unique_ptr<H264Encoder>> H264Encoder::create(const H264EncoderOptions& options) {
  x264_param_t param;
  if (x264_param_default_preset(&param, options.preset.c_str(), "zerolatency") < 0) {
    return makeError("h264: unknown x264 preset '" + options.preset + "'");
  }
  param.i_log_level = X264_LOG_ERROR;
  param.i_threads = options.threads;
  param.i_width = options.width;
  param.i_height = options.height;
  param.i_csp = X264_CSP_I420;
  param.i_fps_num = static_cast<std::uint32_t>(options.fps);
  param.i_fps_den = 1;
  // Timestamps are the RTP clock; rate control still assumes a constant fps (b_vfr_input 0).
  param.i_timebase_num = 1;
  param.i_timebase_den = kVideoClockRate;
  param.b_vfr_input = 0;
  param.i_keyint_max = keyframeIntervalFrames(options.keyframe_interval_ms, options.fps);
  param.b_intra_refresh = 0;
  param.b_repeat_headers = 1;  // SPS + PPS before every IDR: a late joiner needs them
  param.b_annexb = 1;          // start codes: the packetizer splits on them (RFC 6184 §5.6)
  param.b_aud = 0;
  param.rc.i_rc_method = X264_RC_ABR;
  param.rc.i_bitrate = options.bitrate_kbps;
  param.rc.i_vbv_max_bitrate = options.bitrate_kbps;
  param.rc.i_vbv_buffer_size = options.bitrate_kbps * options.vbv_buffer_ms / 1000;
  // Constrained baseline: no B-frames, CAVLC, no 8x8 transform, no weighted prediction. x264
  // sets constraint_set1 for it, which WebRTC reads as constrained baseline (42c0xx / 42e0xx).
  if (x264_param_apply_profile(&param, "baseline") < 0) {
    return makeError("h264: x264 refused the baseline profile");
  }

  auto codec = std::make_unique<Codec>();
  codec->encoder = x264_encoder_open(&param);
  if (codec->encoder == nullptr) return makeError("h264: x264_encoder_open failed");
  x264_picture_init(&codec->picture);
  codec->picture.img.i_csp = X264_CSP_I420;
  codec->picture.img.i_plane = 3;

  // The SPS the encoder will put before every IDR carries the profile and level it chose.
  x264_nal_t* nals = nullptr;
  int count = 0;
  if (x264_encoder_headers(codec->encoder, &nals, &count) < 0) {
    return makeError("h264: x264_encoder_headers failed");
  }
  std::optional<std::string> profile_level_id;
  for (int i = 0; i < count && !profile_level_id; ++i) {
    std::vector<std::string_view> units;
    splitAnnexB(std::string_view(reinterpret_cast<const char*>(nals[i].p_payload),
                                 static_cast<std::size_t>(nals[i].i_payload)),
                units);
    for (std::string_view unit : units) {
      if (!profile_level_id) profile_level_id = profileLevelIdFromSps(unit);
    }
  }
  if (!profile_level_id) return makeError("h264: x264 produced no SPS");
  return std::unique_ptr<H264Encoder>(
      new H264Encoder(options, std::move(codec), std::move(*profile_level_id)));
}

H264Encoder::H264Encoder(const H264EncoderOptions& options, std::unique_ptr<Codec> codec,
                         std::string profile_level_id)
    : VideoEncoder(options.fps),
      options_(options),
      codec_(std::move(codec)),
      profile_level_id_(std::move(profile_level_id)) {}

H264Encoder::~H264Encoder() = default;

bool H264Encoder::encodeInto(const I420Frame& frame, bool force_keyframe,
                             std::uint32_t rtp_timestamp, EncodedFrame& out) {
  if (frame.width != options_.width || frame.height != options_.height || !frame.hasPlanes()) {
    return false;
  }
  Codec& c = *codec_;
  const std::int64_t pts = presentationTime(rtp_timestamp);

  // x264 reads the planes only; its picture type has no const.
  x264_picture_t& pic = c.picture;
  pic.img.plane[0] = const_cast<std::uint8_t*>(frame.y.data());
  pic.img.plane[1] = const_cast<std::uint8_t*>(frame.u.data());
  pic.img.plane[2] = const_cast<std::uint8_t*>(frame.v.data());
  pic.img.i_stride[0] = frame.width;
  pic.img.i_stride[1] = frame.chromaWidth();
  pic.img.i_stride[2] = frame.chromaWidth();
  pic.i_pts = pts;
  pic.i_type = force_keyframe ? X264_TYPE_IDR : X264_TYPE_AUTO;

  x264_nal_t* nals = nullptr;
  int count = 0;
  x264_picture_t encoded;
  const int size = x264_encoder_encode(c.encoder, &nals, &count, &pic, &encoded);
  if (size <= 0 || count <= 0) return false;
  // x264 lays the frame's NAL units out back to back, start codes included.
  out.data.assign(reinterpret_cast<const char*>(nals[0].p_payload), static_cast<std::size_t>(size));
  out.keyframe = encoded.b_keyframe != 0;
  out.rtp_timestamp = rtp_timestamp;
  return true;
}

}  // namespace throng::media
