// The WHIP endpoint's stream-key check (rtc/whip_endpoint.h), answered from the events table:
// one lookup per publisher POST, so a rotated key takes effect at once.
#pragma once

#include "rtc/whip_endpoint.h"

namespace throng::store {
class Storage;
}

namespace throng::server {

// Non-owning: `storage` outlives the routes.
rtc::IngestAuthorizer makeIngestAuthorizer(store::Storage& storage);

}  // namespace throng::server
