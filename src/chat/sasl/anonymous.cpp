#include "chat/sasl/anonymous.h"

#include "base/utf8.h"

namespace throng::chat::sasl {
namespace {

// RFC 4505 §3: the trace is at most 255 characters (code points, not bytes).
constexpr std::size_t kMaxTraceChars = 255;

class AnonymousServer final : public ServerMechanism {
 public:
  std::string_view name() const override { return "ANONYMOUS"; }

  SaslOutcome step(std::string_view trace) override {
    if (done_) return SaslOutcome::failure(kMalformedRequest);
    done_ = true;  // one message, then the exchange is over
    const auto length = utf8Length(trace);
    if (!length || *length > kMaxTraceChars || !isUtf8WithoutControls(trace)) {
      return SaslOutcome::failure(kMalformedRequest);
    }
    return SaslOutcome::success({}, {});
  }

 private:
  bool done_ = false;
};

}  // namespace

std::unique_ptr<ServerMechanism> makeAnonymousServer() {
  return std::make_unique<AnonymousServer>();
}

}  // namespace throng::chat::sasl
