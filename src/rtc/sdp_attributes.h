// The a= attribute readers behind parseSdp (sdp.cpp): one function per attribute family, each
// returning the reason a value is malformed ("a=rtpmap: payload type 300 out of range"); sdp.cpp
// adds the line number. Internal to src/rtc.
#pragma once

#include "base/result.h"
#include "rtc/sdp.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace throng::rtc::sdp_detail {

inline constexpr int kMaxPayloadType = 127;  // 7 bits (RFC 3550 §5.1)

// a=rtpmap, a=fmtp and a=rtcp-fb arrive in any order (Firefox writes fmtp first); they are
// gathered per payload type and become SdpMedia::codecs when the section ends.
struct PendingCodec {
  bool mapped = false;  // an a=rtpmap was seen
  SdpCodec codec;
};

struct SectionState {
  SdpMedia media;
  std::array<PendingCodec, kMaxPayloadType + 1> codecs{};
  std::vector<std::string> wildcard_fb;  // a=rtcp-fb:* values, for every codec
};

// ICE and DTLS attributes (ice-ufrag, ice-pwd, ice-options, fingerprint, setup), allowed at the
// session and the media level. `handled` tells whether `name` was one of them.
Status readTransportAttribute(SdpMedia& target, std::string_view name, std::string_view value,
                              bool& handled);

// Any other media-level attribute; unknown ones are ignored.
Status readMediaAttribute(SectionState& section, std::string_view name, std::string_view value);

// a=group:BUNDLE at session level; other group semantics are ignored.
Status readGroup(SessionDescription& session, std::string_view value);

}  // namespace throng::rtc::sdp_detail
