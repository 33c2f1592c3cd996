// The text of the answer once the negotiation is decided (sdp_answer.cpp decides). Internal.
#pragma once

#include "rtc/sdp.h"
#include "rtc/sdp_answer.h"

#include <string>
#include <vector>

namespace throng::rtc::answer_detail {

// One answer m-section per offer m-section (RFC 3264 §6), CRLF line ends. `bundle`: the offer
// had a BUNDLE group, so the answer has one with the accepted mids and the kept inactive one
// (RFC 8843 §7.3).
std::string writeAnswer(const SessionDescription& offer, const AnswerParams& params,
                        const std::vector<NegotiatedMedia>& media, bool bundle);

}  // namespace throng::rtc::answer_detail
