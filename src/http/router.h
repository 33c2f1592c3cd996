// Router: maps (method, path) to a handler. Exact paths and path prefixes; a path that exists
// under another method answers 405 with Allow. Routes are registered before the server starts
// and never change afterwards, so workers read the table without locks.
#pragma once

#include "http/route_stats.h"
#include "http/types.h"

#include <boost/beast/http/verb.hpp>

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::http {

class WebSocketHandler;

class Router {
 public:
  Router();

  // Exact path. `label` names the route in metrics (defaults to the path).
  void add(beast_http::verb method, std::string path, Handler handler, std::string label = "");
  // Every path starting with `prefix` (which should end in '/'); the rest is route_tail.
  void addPrefix(beast_http::verb method, std::string prefix, Handler handler,
                 std::string label = "");
  // WebSocket upgrade at `path`. Non-owning: the handler outlives the server.
  void addWebSocket(std::string path, WebSocketHandler* handler);
  // Answers GET/HEAD for paths no route matched (static files); otherwise 404.
  void setFallback(Handler handler, std::string label = "static");

  struct Match {
    const Handler* handler = nullptr;  // null: no route
    RouteStats* stats = nullptr;       // never null
    std::string allow;                 // non-empty: path exists, method does not (405)
    std::string tail;
  };
  Match find(beast_http::verb method, std::string_view path);
  WebSocketHandler* findWebSocket(std::string_view path) const;

  // Stats for requests that never reached a route (bad requests, timeouts).
  RouteStats& connectionStats() { return *connection_stats_; }
  void forEachStats(const std::function<void(const RouteStats&)>& fn) const;

 private:
  struct Route {
    beast_http::verb method;
    std::string path;
    bool prefix;
    Handler handler;
    RouteStats* stats;
  };
  RouteStats* statsFor(const std::string& label);

  std::vector<Route> routes_;
  std::vector<std::pair<std::string, WebSocketHandler*>> websockets_;
  Handler fallback_;
  RouteStats* fallback_stats_ = nullptr;
  RouteStats* unmatched_stats_ = nullptr;
  RouteStats* connection_stats_ = nullptr;
  std::deque<RouteStats> stats_;  // deque: stable addresses; allocated by this
};

}  // namespace throng::http
