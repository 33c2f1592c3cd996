// libvpx VP8 real-time encoding (vp8_encoder.h).
#include "media/vp8_encoder.h"

#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include <algorithm>
#include <string>

namespace throng::media {

struct Vp8Encoder::Codec {
  vpx_codec_ctx_t ctx{};
  vpx_image_t image{};
  bool initialised = false;

  ~Codec() {
    if (initialised) vpx_codec_destroy(&ctx);
  }
};

Result<std::unique_ptr<Vp8Encoder>> Vp8Encoder::create(const Vp8EncoderOptions& options) {
  vpx_codec_iface_t* iface = vpx_codec_vp8_cx();
  vpx_codec_enc_cfg_t cfg;
  if (vpx_codec_enc_config_default(iface, &cfg, 0) != VPX_CODEC_OK) {
    return makeError("vp8: no default configuration");
  }
  cfg.g_w = static_cast<unsigned>(options.width);
  cfg.g_h = static_cast<unsigned>(options.height);
  cfg.g_threads = static_cast<unsigned>(options.threads);
  // Timestamps are the RTP clock itself, so skipped capture instants show as longer frames.
  cfg.g_timebase = {1, static_cast<int>(kVideoClockRate)};
  cfg.g_pass = VPX_RC_ONE_PASS;
  cfg.g_lag_in_frames = 0;  // every frame comes out of the call that took it in
  // Each frame decodable after a lost one once the next keyframe/golden arrives: what WebRTC
  // senders set for VP8.
  cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
  cfg.rc_end_usage = VPX_CBR;
  cfg.rc_target_bitrate = static_cast<unsigned>(options.bitrate_kbps);
  cfg.rc_dropframe_thresh = 0;  // a test source must show every frame number
  // Quantiser and buffer model as in WebRTC's libvpx VP8 wrapper: buffers in milliseconds.
  cfg.rc_min_quantizer = 2;
  cfg.rc_max_quantizer = 56;
  cfg.rc_undershoot_pct = 100;
  cfg.rc_overshoot_pct = 15;
  cfg.rc_buf_initial_sz = 500;
  cfg.rc_buf_optimal_sz = 600;
  cfg.rc_buf_sz = 1000;
  cfg.kf_mode = VPX_KF_AUTO;
  cfg.kf_min_dist = 0;
  cfg.kf_max_dist =
      static_cast<unsigned>(keyframeIntervalFrames(options.keyframe_interval_ms, options.fps));

  auto codec = std::make_unique<Codec>();
  if (vpx_codec_enc_init(&codec->ctx, iface, &cfg, 0) != VPX_CODEC_OK) {
    return makeError(std::string("vp8: encoder init failed: ") + vpx_codec_error(&codec->ctx));
  }
  codec->initialised = true;

  // A keyframe may take at most this share of the per-frame budget (in %), so that one keyframe
  // does not burst a second's worth of bits: WebRTC's rule, optimal buffer * 0.5 * fps / 10.
  const unsigned max_intra_pct =
      std::max(300u, cfg.rc_buf_optimal_sz / 2 * static_cast<unsigned>(options.fps) / 10);
  if (vpx_codec_control(&codec->ctx, VP8E_SET_CPUUSED, options.cpu_used) != VPX_CODEC_OK ||
      vpx_codec_control(&codec->ctx, VP8E_SET_STATIC_THRESHOLD, 1u) != VPX_CODEC_OK ||
      vpx_codec_control(&codec->ctx, VP8E_SET_NOISE_SENSITIVITY, 0u) != VPX_CODEC_OK ||
      vpx_codec_control(&codec->ctx, VP8E_SET_TOKEN_PARTITIONS,
                        static_cast<int>(VP8_ONE_TOKENPARTITION)) != VPX_CODEC_OK ||
      vpx_codec_control(&codec->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, max_intra_pct) !=
          VPX_CODEC_OK) {
    return makeError(std::string("vp8: encoder control failed: ") + vpx_codec_error(&codec->ctx));
  }

  return std::unique_ptr<Vp8Encoder>(new Vp8Encoder(options, std::move(codec)));
}

Vp8Encoder::Vp8Encoder(const Vp8EncoderOptions& options, std::unique_ptr<Codec> codec)
    : VideoEncoder(options.fps), options_(options), codec_(std::move(codec)) {}

Vp8Encoder::~Vp8Encoder() = default;

bool Vp8Encoder::encodeInto(const I420Frame& frame, bool force_keyframe,
                            std::uint32_t rtp_timestamp, EncodedFrame& out) {
  if (frame.width != options_.width || frame.height != options_.height || !frame.hasPlanes()) {
    return false;
  }
  Codec& c = *codec_;
  const std::int64_t pts = presentationTime(rtp_timestamp);

  // The image only describes the caller's planes (wrapping non-null data allocates nothing);
  // libvpx reads them only, though its image type has no const.
  vpx_image_t& img = c.image;
  vpx_img_wrap(&img, VPX_IMG_FMT_I420, static_cast<unsigned>(frame.width),
               static_cast<unsigned>(frame.height), 1, const_cast<unsigned char*>(frame.y.data()));
  img.planes[VPX_PLANE_Y] = const_cast<unsigned char*>(frame.y.data());
  img.planes[VPX_PLANE_U] = const_cast<unsigned char*>(frame.u.data());
  img.planes[VPX_PLANE_V] = const_cast<unsigned char*>(frame.v.data());
  img.stride[VPX_PLANE_Y] = frame.width;
  img.stride[VPX_PLANE_U] = frame.chromaWidth();
  img.stride[VPX_PLANE_V] = frame.chromaWidth();

  const auto duration =
      static_cast<unsigned long>(kVideoClockRate / static_cast<unsigned>(options_.fps));
  const vpx_enc_frame_flags_t flags = force_keyframe ? VPX_EFLAG_FORCE_KF : 0;
  if (vpx_codec_encode(&c.ctx, &img, pts, duration, flags, VPX_DL_REALTIME) != VPX_CODEC_OK) {
    return false;
  }
  out.data.clear();
  out.keyframe = false;
  out.rtp_timestamp = rtp_timestamp;
  bool produced = false;
  vpx_codec_iter_t iter = nullptr;
  while (const vpx_codec_cx_pkt_t* pkt = vpx_codec_get_cx_data(&c.ctx, &iter)) {
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
    // One token partition and no partition output: one packet per frame.
    out.data.append(static_cast<const char*>(pkt->data.frame.buf), pkt->data.frame.sz);
    out.keyframe = out.keyframe || (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    produced = true;
  }
  return produced && !out.data.empty();
}

}  // namespace throng::media
