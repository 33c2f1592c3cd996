// JSON views of an event: the admin view (everything, stream key included) and the public
// view (what a viewer may see).
#pragma once

#include "store/events.h"

#include <nlohmann/json.hpp>

namespace throng::server {

nlohmann::json adminEventJson(const store::EventRecord& event);
nlohmann::json publicEventJson(const store::EventRecord& event);

}  // namespace throng::server
