// What the WHEP and WHIP endpoints share on the HTTP side: the resource paths
// ("<event>" and "<event>/<token>"), CORS (players and studios on other origins may use the
// endpoints), and one-line answers.
#pragma once

#include "http/types.h"

#include <string>
#include <string_view>

namespace throng::rtc::endpoint_http {

// "application/sdp" from "Application/SDP; charset=x": lower case, parameters dropped.
std::string mediaType(std::string_view header);

// "<event>" or "<event>/<token>", the token 32 hex digits.
struct ResourcePath {
  std::string_view slug;
  std::string_view token;
  bool valid = false;
};
ResourcePath splitPath(std::string_view tail);

void addCors(http::StringResponse& response);
void answer(http::Responder& responder, boost::beast::http::status status, std::string body = {},
            std::string_view content_type = "text/plain; charset=utf-8");
// `reason` plus a line end as the body.
void fail(http::Responder& responder, boost::beast::http::status status, std::string reason);

// OPTIONS (CORS preflight, RFC 9725 §4.2): the methods of the endpoint (`endpoint_methods`,
// which takes SDP offers) or of a session resource (PATCH, DELETE), with Accept-Post or
// Accept-Patch. `what` names the protocol in the 404 for a malformed path.
void answerOptions(const http::RequestContext& context, http::Responder& responder,
                   std::string_view what, const char* endpoint_methods);

// PATCH with trickled candidates (RFC 8840): throng is ICE-lite (RFC 8445 §2.5) and learns the
// peer's addresses from its binding requests, so they need nothing (204); new credentials mean
// an ICE restart, which throng does not do (422: start a new session).
void answerTrickle(const http::RequestContext& context, http::Responder& responder);

}  // namespace throng::rtc::endpoint_http
