#include "server/ingest_auth.h"

#include "store/events.h"
#include "store/storage.h"

#include <openssl/crypto.h>

namespace throng::server {

rtc::IngestAuthorizer makeIngestAuthorizer(store::Storage& storage) {
  return [db = &storage](std::string slug, std::string key, boost::asio::any_io_executor executor,
                         std::function<void(rtc::IngestGrant)> done) {
    if (!store::isValidSlug(slug)) {
      done({rtc::IngestGrant::Verdict::kDenied, false});
      return;
    }
    db->run<std::optional<store::EventRecord>>(
        executor, [slug](store::Database& d) { return store::findEvent(d, slug); },
        [key = std::move(key), done = std::move(done)](
            Result<std::optional<store::EventRecord>> found) {
          if (!found) {
            done({rtc::IngestGrant::Verdict::kUnavailable, false});
            return;
          }
          // Constant time: how much of a guess matched must not show in the answer's timing.
          const bool match = found->has_value() && !(*found)->stream_key.empty() &&
                             (*found)->stream_key.size() == key.size() &&
                             CRYPTO_memcmp((*found)->stream_key.data(), key.data(), key.size()) == 0;
          if (!match) {
            done({rtc::IngestGrant::Verdict::kDenied, false});
            return;
          }
          done({rtc::IngestGrant::Verdict::kGranted, (*found)->allow_takeover});
        });
  };
}

}  // namespace throng::server
