#include "rtc/endpoint_http.h"

#include <algorithm>
#include <cctype>

namespace throng::rtc::endpoint_http {

namespace beast_http = boost::beast::http;

std::string mediaType(std::string_view header) {
  const auto semicolon = header.find(';');
  if (semicolon != std::string_view::npos) header = header.substr(0, semicolon);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  std::string type(header);
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

namespace {

bool validSlug(std::string_view slug) {
  if (slug.empty() || slug.size() > 64) return false;
  return std::all_of(slug.begin(), slug.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

}  // namespace

ResourcePath splitPath(std::string_view tail) {
  ResourcePath path;
  const auto slash = tail.find('/');
  path.slug = tail.substr(0, slash);
  if (slash != std::string_view::npos) path.token = tail.substr(slash + 1);
  path.valid = validSlug(path.slug) &&
               (slash == std::string_view::npos ||
                (path.token.size() == 32 &&
                 std::all_of(path.token.begin(), path.token.end(),
                             [](unsigned char c) { return std::isxdigit(c); })));
  return path;
}

void addCors(http::StringResponse& response) {
  response.set(beast_http::field::access_control_allow_origin, "*");
  response.set(beast_http::field::access_control_expose_headers,
               "Location, ETag, Link, Accept-Patch, Accept-Post");
}

void answer(http::Responder& responder, beast_http::status status, std::string body,
            std::string_view content_type) {
  http::StringResponse response{status, 11};
  if (!body.empty()) response.set(beast_http::field::content_type, content_type);
  response.body() = std::move(body);
  addCors(response);
  responder.send(std::move(response));
}

void fail(http::Responder& responder, beast_http::status status, std::string reason) {
  answer(responder, status, reason + "\n");
}

void answerOptions(const http::RequestContext& context, http::Responder& responder,
                   std::string_view what, const char* endpoint_methods) {
  const auto path = splitPath(context.route_tail);
  if (!path.valid) {
    fail(responder, beast_http::status::not_found, "no such " + std::string(what) + " endpoint");
    return;
  }
  http::StringResponse response{beast_http::status::no_content, 11};
  const bool endpoint = path.token.empty();
  const char* methods = endpoint ? endpoint_methods : "PATCH, DELETE, OPTIONS";
  response.set(beast_http::field::allow, methods);
  response.set(beast_http::field::access_control_allow_methods, methods);
  response.set(beast_http::field::access_control_allow_headers,
               "Content-Type, Authorization, If-Match");
  response.set(beast_http::field::access_control_max_age, "86400");
  if (endpoint) response.set("Accept-Post", "application/sdp");
  if (!endpoint) response.set("Accept-Patch", "application/trickle-ice-sdpfrag");
  addCors(response);
  responder.send(std::move(response));
}

void answerTrickle(const http::RequestContext& context, http::Responder& responder) {
  if (mediaType(context.request[beast_http::field::content_type]) !=
      "application/trickle-ice-sdpfrag") {
    fail(responder, beast_http::status::unsupported_media_type,
         "Content-Type must be application/trickle-ice-sdpfrag (RFC 8840)");
    return;
  }
  const std::string_view body = context.request.body();
  if (body.find("a=ice-ufrag:") != std::string_view::npos ||
      body.find("a=ice-pwd:") != std::string_view::npos) {
    fail(responder, beast_http::status::unprocessable_entity,
         "ICE restart is not supported; DELETE this session and POST a new offer");
    return;
  }
  answer(responder, beast_http::status::no_content);
}

}  // namespace throng::rtc::endpoint_http
