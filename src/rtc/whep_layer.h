// The WHEP layer resource: a viewer's simulcast layer, read and chosen over HTTP, after the
// layer extension of the WHEP drafts (draft-ietf-wish-whep-01 §4.6, rel
// "urn:ietf:params:whep:ext:core:layer"). The session's 201 names it in a Link header:
//
//   GET     /whep/<event>/<token>/layer   → 200 {"mode","current","target","layers":[...]}
//   POST    /whep/<event>/<token>/layer   {"encodingId":"l"} pins a layer; "auto" unpins → 200
//   OPTIONS /whep/<event>/<token>/layer   CORS preflight
//
// "layers" lists the stream's encodings lowest quality first (encodingId, bitrate, width,
// height, active); it is empty without simulcast. A pinned layer is reached at its next
// keyframe, which throng asks the publisher for. The session's token is the credential.
#pragma once

#include "http/types.h"

#include <string_view>

namespace throng::rtc {

class RtcService;

inline constexpr std::string_view kWhepLayerSuffix = "/layer";
inline constexpr std::string_view kWhepLayerRel = "urn:ietf:params:whep:ext:core:layer";

// `tail` (after /whep/) names a layer resource.
bool isWhepLayerPath(std::string_view tail);
// A request for a layer resource (isWhepLayerPath(context.route_tail)): GET, POST, OPTIONS;
// other methods get 405.
void answerWhepLayer(RtcService& service, http::RequestContext& context,
                     http::Responder responder);

}  // namespace throng::rtc
