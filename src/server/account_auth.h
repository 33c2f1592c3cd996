// Chat accounts as HTTP credentials: "Authorization: Basic base64(user:password)" (RFC 7617)
// checked against the SCRAM credentials the chat keeps, with per-address limits on failed and
// (on the public port) on all attempts. Used by the routes an account may call: a room's
// moderation log (admin_api.h) and the streamer's studio (studio_api.h).
#pragma once

#include "base/per_address_limiter.h"
#include "chat/account_directory.h"
#include "http/types.h"

#include <boost/asio/ip/address.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

namespace throng::server {

// Who may sign in: the chat's accounts, on its domain.
struct AccountAccess {
  const chat::AccountDirectory* accounts = nullptr;  // non-owning; outlives the routes
  std::string domain;            // accounts' XMPP domain: an account is username@domain
  std::set<std::string> admins;  // bare JIDs that own every room (xmpp.admins)
};

// Who a request is, once its credentials checked out.
struct Principal {
  bool server_admin = false;  // the admin token, or a bare JID in xmpp.admins
  std::string jid;            // the account's bare JID; empty for the admin token
};

enum class Credentials { kNone, kValid, kInvalid };

// Checks a Basic Authorization header (RFC 7617 §2) against the accounts. An unknown user
// costs the same PBKDF2 as a wrong password. The password is never copied beyond this
// function nor logged. Fills `principal` when kValid.
Credentials checkBasic(std::string_view header, const AccountAccess& access, Principal& principal);

// 401 with the challenges: Basic, and Bearer too when the route takes the admin token. One
// answer for a missing header, an unknown user and a wrong password (no enumeration).
void answerUnauthorized(http::Responder& responder, bool token_accepted);
// 429 with Retry-After.
void answerTooMany(http::Responder& responder, std::string_view text);

// Failed Basic attempts per client address: a burst of 10, then one every 6 s. Each attempt
// costs a PBKDF2 (4096 rounds) on the thread that serves it, so this bounds both password
// guessing and the CPU a client can take from /healthz and /metrics (or, on the public port,
// from a worker's chat and media).
inline constexpr double kFailedLoginBurst = 10;
inline constexpr double kFailedLoginsPerSecond = 1.0 / 6;

// One route's account check: the failed-login limit and, where set, a limit on every attempt.
// Shared by a route's handler copies on every worker.
class AccountGate {
 public:
  // `attempts_per_second`/`attempt_burst` <= 0: attempts are not limited (the control plane).
  AccountGate(AccountAccess access, double attempts_per_second, double attempt_burst);

  // Reads the request's Basic credentials. Refused: answers 429 (limits spent) or 401
  // (missing, unknown, wrong; the Bearer challenge too when `token_accepted`) and returns
  // nullopt.
  std::optional<Principal> authenticate(const http::RequestContext& context,
                                        http::Responder& responder, bool token_accepted = false);

  const AccountAccess& access() const { return access_; }

 private:
  const AccountAccess access_;
  // Per client address (base/per_address_limiter.h). Behind a reverse proxy every client
  // shares the proxy's address (docs/web-pages.md).
  PerAddressLimiter failures_;
  std::unique_ptr<PerAddressLimiter> attempts_;  // null: not limited
};

}  // namespace throng::server
