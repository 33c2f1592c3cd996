#include "chat/sasl/plain.h"

#include "base/utf8.h"

#include <utility>

namespace throng::chat::sasl {
namespace {

class PlainServer final : public ServerMechanism {
 public:
  explicit PlainServer(std::function<bool(std::string_view, std::string_view)> verify)
      : verify_(std::move(verify)) {}

  std::string_view name() const override { return "PLAIN"; }

  SaslOutcome step(std::string_view message) override {
    if (done_) return SaslOutcome::failure(kMalformedRequest);
    if (message.empty() && !asked_for_initial_response_) {
      // No initial response: an empty challenge asks for the message (RFC 4616 §2).
      asked_for_initial_response_ = true;
      return SaslOutcome::challenge({});
    }
    done_ = true;  // PLAIN is one message: whatever happens next, the exchange is over
    if (message.size() > kMaxClientMessageBytes) return SaslOutcome::failure(kMalformedRequest);

    // message = [authzid] UTF8NUL authcid UTF8NUL passwd   (§2)
    const auto first = message.find('\0');
    if (first == std::string_view::npos) return SaslOutcome::failure(kMalformedRequest);
    const auto second = message.find('\0', first + 1);
    if (second == std::string_view::npos) return SaslOutcome::failure(kMalformedRequest);
    const std::string_view authzid = message.substr(0, first);
    const std::string_view authcid = message.substr(first + 1, second - first - 1);
    const std::string_view password = message.substr(second + 1);
    // authcid and passwd are 1*SAFE (no NUL, so a third NUL is malformed); all three are UTF-8.
    if (authcid.empty() || password.empty() || password.find('\0') != std::string_view::npos ||
        !utf8Length(authzid) || !utf8Length(authcid) || !utf8Length(password)) {
      return SaslOutcome::failure(kMalformedRequest);
    }
    // A user may act only as themselves: throng has no proxy authorization.
    if (!authzid.empty() && authzid != authcid) return SaslOutcome::failure(kInvalidAuthzid);
    if (!verify_ || !verify_(authcid, password)) return SaslOutcome::failure(kNotAuthorized);
    return SaslOutcome::success({}, std::string(authcid));
  }

 private:
  const std::function<bool(std::string_view, std::string_view)> verify_;
  bool asked_for_initial_response_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<ServerMechanism> makePlainServer(
    std::function<bool(std::string_view user, std::string_view password)> verify) {
  return std::make_unique<PlainServer>(std::move(verify));
}

}  // namespace throng::chat::sasl
