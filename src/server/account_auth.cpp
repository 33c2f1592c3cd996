// Chat accounts as HTTP Basic credentials, with per-address limits (see account_auth.h).
#include "server/account_auth.h"

#include "base/base64.h"
#include "chat/sasl/scram.h"
#include "store/accounts.h"

#include <boost/beast/core/string.hpp>

namespace throng::server {

namespace beast_http = boost::beast::http;

namespace {

// Compared against when the username is unknown, so that an unknown user costs the same
// PBKDF2 as a wrong password and the timing does not tell which accounts exist.
const chat::sasl::ScramCredentials& decoyCredentials() {
  static const auto decoy =
      chat::sasl::deriveScramCredentials(chat::sasl::ScramHash::kSha256, "decoy",
                                         "throng-decoy-salt", chat::sasl::kDefaultScramIterations);
  return decoy;
}

}  // namespace

Credentials checkBasic(std::string_view header, const AccountAccess& access,
                       Principal& principal) {
  static constexpr std::string_view kBasic = "Basic ";
  if (header.size() < kBasic.size() ||
      !boost::beast::iequals(header.substr(0, kBasic.size()), kBasic)) {
    return Credentials::kNone;
  }
  const auto decoded = base64Decode(header.substr(kBasic.size()));
  if (!decoded) return Credentials::kInvalid;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return Credentials::kInvalid;
  const std::string_view username = std::string_view(*decoded).substr(0, colon);
  const std::string_view password = std::string_view(*decoded).substr(colon + 1);
  std::optional<chat::sasl::ScramCredentials> creds;
  if (access.accounts != nullptr && store::validateUsername(username).ok()) {
    creds = access.accounts->lookup(username, chat::sasl::ScramHash::kSha256);
  }
  const bool ok = chat::sasl::verifyPassword(creds ? *creds : decoyCredentials(), password,
                                             chat::sasl::ScramHash::kSha256);
  if (!creds || !ok) return Credentials::kInvalid;
  principal.jid = std::string(username) + "@" + access.domain;
  principal.server_admin = access.admins.contains(principal.jid);
  return Credentials::kValid;
}

void answerUnauthorized(http::Responder& responder, bool token_accepted) {
  auto response = http::makeTextResponse(
      beast_http::status::unauthorized,
      token_accepted ? "admin token or account credentials required\n"
                     : "account credentials required\n",
      "text/plain; charset=utf-8");
  if (token_accepted) {
    response.insert(beast_http::field::www_authenticate, "Bearer realm=\"throng admin\"");
  }
  response.insert(beast_http::field::www_authenticate,
                  "Basic realm=\"throng admin\", charset=\"UTF-8\"");
  responder.send(std::move(response));
}

void answerTooMany(http::Responder& responder, std::string_view text) {
  auto response = http::makeTextResponse(beast_http::status::too_many_requests, std::string(text),
                                         "text/plain; charset=utf-8");
  response.set(beast_http::field::retry_after, "60");
  responder.send(std::move(response));
}

AccountGate::AccountGate(AccountAccess access, double attempts_per_second, double attempt_burst)
    : access_(std::move(access)), failures_(kFailedLoginsPerSecond, kFailedLoginBurst) {
  if (attempts_per_second > 0 && attempt_burst > 0) {
    attempts_ = std::make_unique<PerAddressLimiter>(attempts_per_second, attempt_burst);
  }
}

std::optional<Principal> AccountGate::authenticate(const http::RequestContext& context,
                                                   http::Responder& responder,
                                                   bool token_accepted) {
  const auto now = TokenBucket::Clock::now();
  if (!failures_.allowed(context.remote.to_string(), now)) {
    answerTooMany(responder, "too many failed logins; retry later\n");
    return std::nullopt;
  }
  const auto header = context.request[beast_http::field::authorization];
  if (attempts_ && !header.empty() && !attempts_->tryTake(context.remote.to_string(), now)) {
    answerTooMany(responder, "too many requests; retry later\n");
    return std::nullopt;
  }
  Principal principal;
  const auto checked = checkBasic(header, access_, principal);
  if (checked != Credentials::kValid) {
    if (checked == Credentials::kInvalid) failures_.record(context.remote.to_string(), now);
    answerUnauthorized(responder, token_accepted);
    return std::nullopt;
  }
  return principal;
}

}  // namespace throng::server
