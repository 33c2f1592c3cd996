// Codec choice for outgoing tracks; see codec_choice.h.
#include "rtc/codec_choice.h"

#include "rtc/fmtp.h"
#include "rtc/h264_profile.h"
#include "rtc/sdp_text.h"

namespace throng::rtc::answer_detail {
namespace {

using sdp_text::iequals;

// Formats that repair or wrap others; naming them in a 422 only adds noise.
bool isRepairFormat(const SdpCodec& c) {
  return iequals(c.name, "rtx") || iequals(c.name, "red") || iequals(c.name, "ulpfec") ||
         iequals(c.name, "flexfec-03") || iequals(c.name, "telephone-event") ||
         iequals(c.name, "CN");
}

std::string describeCodec(std::string_view name, std::uint32_t clock_rate, int channels,
                          MediaKind kind, std::string_view fmtp) {
  std::string text = std::string(name) + "/" + std::to_string(clock_rate);
  if (kind == MediaKind::kAudio && channels > 1) text += "/" + std::to_string(channels);
  if (iequals(name, "H264")) {
    text += " (profile-level-id=" +
            std::string(fmtpParameter(fmtp, "profile-level-id").value_or("420010")) +
            ";packetization-mode=" +
            std::string(fmtpParameter(fmtp, "packetization-mode").value_or("0")) + ")";
  }
  return text;
}

const char* kindName(MediaKind kind) {
  return kind == MediaKind::kAudio ? "audio" : "video";
}

}  // namespace

bool codecCarries(const SdpCodec& codec, const OutgoingTrack& track) {
  if (!iequals(codec.name, track.codec) || codec.clock_rate != track.clock_rate) return false;
  if (track.kind == MediaKind::kAudio && codec.channels != track.channels) return false;
  if (!iequals(track.codec, "H264")) return true;
  const auto profile = h264ProfileOfFmtp(track.fmtp);
  if (profile == H264Profile::kConstrainedBaseline || profile == H264Profile::kBaseline) {
    return h264FmtpAcceptsConstrainedBaseline(codec.fmtp);
  }
  // A publisher's Main or High stream goes out as it came: the viewer must take that profile.
  return fmtpParameter(codec.fmtp, "packetization-mode").value_or("0") == "1" &&
         h264ProfileOfFmtp(codec.fmtp) == profile;
}

bool codecPublishable(const SdpCodec& codec, const OutgoingTrack& accepted) {
  if (!iequals(codec.name, accepted.codec) || codec.clock_rate != accepted.clock_rate) {
    return false;
  }
  if (accepted.kind == MediaKind::kAudio && codec.channels != accepted.channels) return false;
  if (!iequals(accepted.codec, "H264")) return true;
  // FU-A needs packetization-mode=1 (RFC 6184 §6.3); any profile is forwarded as it is.
  return fmtpParameter(codec.fmtp, "packetization-mode").value_or("0") == "1" &&
         h264ProfileOfFmtp(codec.fmtp).has_value();
}

std::optional<std::size_t> chooseCodec(const SdpMedia& media, const OutgoingTrack& track) {
  std::optional<H264Profile> wanted;
  if (iequals(track.codec, "H264") && fmtpParameter(track.fmtp, "profile-level-id")) {
    wanted = h264ProfileOfFmtp(track.fmtp);
  }
  std::optional<std::size_t> first;
  for (std::size_t i = 0; i < media.codecs.size(); ++i) {
    const SdpCodec& codec = media.codecs[i];
    if (!codecCarries(codec, track)) continue;
    if (!wanted || h264ProfileOfFmtp(codec.fmtp) == wanted) return i;
    if (!first) first = i;
  }
  return first;
}

std::string describeOffered(const SessionDescription& offer) {
  constexpr std::size_t kMaxNamed = 12;  // keeps the reason readable
  std::string text;
  for (const SdpMedia& m : offer.media) {
    if (m.kind == MediaKind::kOther) continue;
    if (!text.empty()) text += "; ";
    text += std::string(kindName(m.kind)) + " (mid " + (m.mid.empty() ? "none" : m.mid) + ", " +
            (m.port == 0 && !m.bundle_only ? "port 0" : m.direction) + "):";
    std::size_t named = 0;
    for (const SdpCodec& c : m.codecs) {
      if (isRepairFormat(c)) continue;
      if (++named > kMaxNamed) {
        text += " ...";
        break;
      }
      text += (named == 1 ? " " : ", ") +
              describeCodec(c.name, c.clock_rate, c.channels, m.kind, c.fmtp);
    }
    if (named == 0) text += " no codecs";
  }
  return text.empty() ? "no audio or video" : text;
}

std::string describeTracks(const std::vector<OutgoingTrack>& tracks) {
  std::string text;
  for (const OutgoingTrack& t : tracks) {
    if (!text.empty()) text += ", ";
    text += std::string(kindName(t.kind)) + " ";
    if (iequals(t.codec, "H264")) {
      text += t.codec + "/" + std::to_string(t.clock_rate) +
              " (Baseline or Constrained Baseline profile, packetization-mode=1)";
    } else {
      text += describeCodec(t.codec, t.clock_rate, t.channels, t.kind, {});
    }
  }
  return text.empty() ? "nothing" : text;
}

}  // namespace throng::rtc::answer_detail
