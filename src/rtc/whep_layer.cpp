#include "rtc/whep_layer.h"

#include "rtc/endpoint_http.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace throng::rtc {

namespace {

namespace beast_http = boost::beast::http;
using endpoint_http::addCors;
using endpoint_http::fail;
using http::Responder;
using http::StringResponse;
using nlohmann::json;

// A layer choice is a few dozen bytes; anything longer is not one.
constexpr std::size_t kMaxChoiceBody = 1024;

std::string stateJson(const ViewerSession::LayerState& state) {
  json layers = json::array();
  for (const auto& view : state.layers) {
    layers.push_back({{"encodingId", view.rid},
                      {"bitrate", view.bitrate_bps},
                      {"width", view.width},
                      {"height", view.height},
                      {"active", view.active}});
  }
  const auto rid = [](const std::string& r) { return r.empty() ? json(nullptr) : json(r); };
  json body = {{"mode", state.pinned ? "manual" : "auto"},
               {"current", rid(state.current)},
               {"target", rid(state.target)},
               {"layers", std::move(layers)}};
  return body.dump() + "\n";
}

void sendJson(Responder& responder, std::string body) {
  StringResponse response{beast_http::status::ok, 11};
  response.set(beast_http::field::content_type, "application/json");
  response.set(beast_http::field::cache_control, "no-store");
  response.body() = std::move(body);
  addCors(response);
  responder.send(std::move(response));
}

// The choice in a POST body: a rid, or nothing for automatic. An error text if malformed.
std::variant<std::optional<std::string>, std::string> parseChoice(std::string_view body) {
  if (body.size() > kMaxChoiceBody) return std::string("the body is too long for a layer choice");
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return std::string(R"(the body must be a JSON object such as {"encodingId":"h"})");
  }
  const auto it = parsed.find("encodingId");
  if (it == parsed.end()) return std::string(R"(encodingId is missing: a rid, or "auto")");
  if (it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return std::string("encodingId must be a string (a rid, or \"auto\")");
  const auto id = it->get<std::string>();
  if (id == "auto") return std::optional<std::string>();
  if (id.empty() || id.size() > 16) return std::string("encodingId must be a rid of 1-16 bytes");
  return std::optional<std::string>(id);
}

}  // namespace

bool isWhepLayerPath(std::string_view tail) {
  return tail.size() > kWhepLayerSuffix.size() && tail.ends_with(kWhepLayerSuffix);
}

void answerWhepLayer(RtcService& service, http::RequestContext& context, Responder responder) {
  const auto method = context.request.method();
  std::string_view tail = context.route_tail;
  tail.remove_suffix(kWhepLayerSuffix.size());
  const auto path = endpoint_http::splitPath(tail);
  if (method != beast_http::verb::get && method != beast_http::verb::head &&
      method != beast_http::verb::post && method != beast_http::verb::options) {
    StringResponse response{beast_http::status::method_not_allowed, 11};
    response.set(beast_http::field::allow, "GET, POST, OPTIONS");
    response.set(beast_http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "the layer resource takes GET and POST; DELETE the session itself\n";
    addCors(response);
    responder.send(std::move(response));
    return;
  }
  if (method == beast_http::verb::options) {
    StringResponse response{beast_http::status::no_content, 11};
    response.set(beast_http::field::allow, "GET, POST, OPTIONS");
    response.set(beast_http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    response.set(beast_http::field::access_control_allow_headers, "Content-Type");
    response.set(beast_http::field::access_control_max_age, "86400");
    addCors(response);
    responder.send(std::move(response));
    return;
  }
  auto owner = path.valid && !path.token.empty() ? service.registry().find(path.slug, path.token)
                                                 : std::nullopt;
  if (!owner || owner->role != SessionRole::kViewer) {
    fail(responder, beast_http::status::not_found, "no such WHEP session");
    return;
  }
  if (owner->pending) {
    fail(responder, beast_http::status::conflict,
         "the session has not connected yet; choose a layer once media flows");
    return;
  }
  std::optional<std::optional<std::string>> choice;  // set: a POST
  if (method == beast_http::verb::post) {
    if (endpoint_http::mediaType(context.request[beast_http::field::content_type]) !=
        "application/json") {
      fail(responder, beast_http::status::unsupported_media_type,
           "Content-Type must be application/json");
      return;
    }
    auto parsed = parseChoice(context.request.body());
    if (auto* error = std::get_if<std::string>(&parsed)) {
      fail(responder, beast_http::status::bad_request, *error);
      return;
    }
    choice = std::get<std::optional<std::string>>(parsed);
  }
  // The session lives on its worker: ask there, answer on the connection's executor.
  auto pending = std::make_shared<Responder>(std::move(responder));
  auto executor = pending->executor();
  service.shard(owner->shard)
      .postToViewer(std::string(path.token), [pending, executor, choice](ViewerSession* viewer) {
        const auto now = std::chrono::steady_clock::now();
        auto status = beast_http::status::ok;
        std::string body;
        if (!viewer) {
          status = beast_http::status::not_found;
          body = "no such WHEP session";
        } else if (choice && !viewer->pinLayer(*choice, now)) {
          status = beast_http::status::bad_request;
          const auto state = viewer->layerState(now);
          body = "the stream has no layer '" + **choice + "'";
          if (state.layers.empty()) {
            body += "; it is not simulcast";
          } else {
            body += "; it has";
            for (const auto& view : state.layers) body += " '" + view.rid + "'";
          }
        } else {
          body = stateJson(viewer->layerState(now));
        }
        boost::asio::post(executor, [pending, status, body = std::move(body)]() mutable {
          if (status == beast_http::status::ok) {
            sendJson(*pending, std::move(body));
          } else {
            fail(*pending, status, std::move(body));
          }
        });
      });
}

}  // namespace throng::rtc
