// Which offered codec carries an outgoing track, and the words for a 422 when none does.
// Internal to the answer builder (sdp_answer.cpp).
#pragma once

#include "rtc/sdp.h"
#include "rtc/sdp_answer.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace throng::rtc::answer_detail {

// True when the viewer's `codec` can carry `track` as it is sent: same name (without case) and
// clock rate, same channel count for audio, and for H.264 an fmtp that accepts constrained
// baseline in packetization mode 1 (h264_profile.h).
bool codecCarries(const SdpCodec& codec, const OutgoingTrack& track);
// True when a publisher may send `accepted` in the offered `codec`: same name and clock rate
// (channels for audio), and for H.264 packetization-mode=1 with a well-formed profile.
bool codecPublishable(const SdpCodec& codec, const OutgoingTrack& accepted);

// The index in media.codecs of the codec to send `track` with: the first in the offer's order
// that carries it, preferring for H.264 one of the same profile as the track's fmtp.
std::optional<std::size_t> chooseCodec(const SdpMedia& media, const OutgoingTrack& track);

// "video (mid 1, recvonly): VP9/90000, H264/90000 (profile-level-id=64001f;packetization-mode=1)"
// for each audio/video section, joined with "; ".
std::string describeOffered(const SessionDescription& offer);
// "video H264/90000 (Baseline or Constrained Baseline profile, packetization-mode=1), audio
// opus/48000/2": what the offer would need.
std::string describeTracks(const std::vector<OutgoingTrack>& tracks);

}  // namespace throng::rtc::answer_detail
