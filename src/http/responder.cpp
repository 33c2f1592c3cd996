#include "http/types.h"

namespace throng::http {

StringResponse makeTextResponse(beast_http::status status, std::string body,
                                std::string_view content_type, unsigned version) {
  StringResponse response{status, version};
  response.set(beast_http::field::content_type, content_type);
  response.set(beast_http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

Responder::~Responder() {
  if (sink_) error(beast_http::status::internal_server_error, "handler produced no response");
}

void Responder::text(beast_http::status status, std::string body, std::string_view content_type) {
  send(makeTextResponse(status, std::move(body), content_type, version_));
}

void Responder::json(beast_http::status status, std::string body) {
  text(status, std::move(body), "application/json");
}

void Responder::error(beast_http::status status, std::string reason) {
  reason.push_back('\n');
  text(status, std::move(reason));
}

}  // namespace throng::http
