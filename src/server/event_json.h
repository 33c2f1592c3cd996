// JSON views of an event: the admin view (everything, stream key included) and the public
// view (what a viewer may see).
#pragma once

#include "store/events.h"

#include <nlohmann/json.hpp>

namespace throng::http {
class Responder;
}

namespace throng::server {

nlohmann::json adminEventJson(const store::EventRecord& event);
nlohmann::json publicEventJson(const store::EventRecord& event);

// Answers a storage lookup of one event: 200 with `view(event)`, 404 when there is none, or
// `storage_error_status` with the reason when the storage job failed.
void answerEvent(http::Responder& responder, const Result<std::optional<store::EventRecord>>& found,
                 nlohmann::json (*view)(const store::EventRecord&), unsigned storage_error_status);

}  // namespace throng::server
