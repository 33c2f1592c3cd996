#include "server/event_json.h"

#include "http/types.h"

namespace throng::server {

nlohmann::json publicEventJson(const store::EventRecord& event) {
  return {{"slug", event.slug}, {"title", event.title}, {"description", event.description}};
}

nlohmann::json adminEventJson(const store::EventRecord& event) {
  auto json = publicEventJson(event);
  json["id"] = event.id;
  json["created_at_ms"] = event.created_at_ms;
  json["stream_key"] = event.stream_key;
  json["allow_takeover"] = event.allow_takeover;
  return json;
}

void answerEvent(http::Responder& responder, const Result<std::optional<store::EventRecord>>& found,
                 nlohmann::json (*view)(const store::EventRecord&), unsigned storage_error_status) {
  namespace beast_http = boost::beast::http;
  if (!found) {
    responder.error(static_cast<beast_http::status>(storage_error_status),
                    "storage: " + found.error().message);
  } else if (!found->has_value()) {
    responder.error(beast_http::status::not_found, "no such event");
  } else {
    responder.json(beast_http::status::ok, view(**found).dump());
  }
}

}  // namespace throng::server
