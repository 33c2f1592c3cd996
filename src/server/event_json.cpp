#include "server/event_json.h"

namespace throng::server {

nlohmann::json publicEventJson(const store::EventRecord& event) {
  return {{"slug", event.slug}, {"title", event.title}, {"description", event.description}};
}

nlohmann::json adminEventJson(const store::EventRecord& event) {
  auto json = publicEventJson(event);
  json["id"] = event.id;
  json["created_at_ms"] = event.created_at_ms;
  json["stream_key"] = event.stream_key;
  return json;
}

}  // namespace throng::server
