#include "http/router.h"

namespace throng::http {

Router::Router() {
  unmatched_stats_ = statsFor("unmatched");
  connection_stats_ = statsFor("connection");
}

RouteStats* Router::statsFor(const std::string& label) {
  for (auto& s : stats_) {
    if (s.label() == label) return &s;
  }
  return &stats_.emplace_back(label);
}

void Router::add(beast_http::verb method, std::string path, Handler handler, std::string label) {
  auto* stats = statsFor(label.empty() ? path : label);
  routes_.push_back({method, std::move(path), false, std::move(handler), stats});
}

void Router::addPrefix(beast_http::verb method, std::string prefix, Handler handler,
                       std::string label) {
  auto* stats = statsFor(label.empty() ? prefix + "*" : label);
  routes_.push_back({method, std::move(prefix), true, std::move(handler), stats});
}

void Router::addWebSocket(std::string path, WebSocketHandler* handler) {
  websockets_.emplace_back(std::move(path), handler);
}

void Router::setFallback(Handler handler, std::string label) {
  fallback_ = std::move(handler);
  fallback_stats_ = statsFor(label);
}

Router::Match Router::find(beast_http::verb method, std::string_view path) {
  Match match;
  match.stats = unmatched_stats_;
  for (const auto& route : routes_) {
    const bool path_matches = route.prefix ? path.starts_with(route.path) : path == route.path;
    if (!path_matches) continue;
    // HEAD is answered by GET handlers; the connection drops the body (RFC 9110 §9.3.2).
    if (route.method == method ||
        (method == beast_http::verb::head && route.method == beast_http::verb::get)) {
      match.handler = &route.handler;
      match.stats = route.stats;
      match.tail = route.prefix ? std::string(path.substr(route.path.size())) : std::string();
      match.allow.clear();
      return match;
    }
    const std::string method_name(beast_http::to_string(route.method));
    if (match.allow.find(method_name) == std::string::npos) {
      if (!match.allow.empty()) match.allow += ", ";
      match.allow += method_name;
    }
    match.stats = route.stats;
  }
  if (match.allow.empty() && fallback_ &&
      (method == beast_http::verb::get || method == beast_http::verb::head)) {
    match.handler = &fallback_;
    match.stats = fallback_stats_;
  }
  return match;
}

WebSocketHandler* Router::findWebSocket(std::string_view path) const {
  for (const auto& [p, handler] : websockets_) {
    if (p == path) return handler;
  }
  return nullptr;
}

void Router::forEachStats(const std::function<void(const RouteStats&)>& fn) const {
  for (const auto& s : stats_) fn(s);
}

}  // namespace throng::http
