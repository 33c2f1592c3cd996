#include "server/runtime.h"

#include "base/log.h"
#include "base/metrics.h"
#include "chat/account_loader.h"
#include "chat/chat_service.h"
#include "chat/muc/room_persistence.h"
#include "chat/xmpp_tcp.h"
#include "chat/xmpp_websocket.h"
#include "control/control_plane.h"
#include "http/server.h"
#include "http/static_files.h"
#include "net/listen.h"
#include "net/rlimit.h"
#include "net/worker_pool.h"
#include "rtc/rtc_service.h"
#include "rtc/whep_endpoint.h"
#include "rtc/whip_endpoint.h"
#include "server/admin_api.h"
#include "server/dashboard.h"
#include "server/metrics_wiring.h"
#include "server/public_api.h"
#include "server/ready_file.h"
#include "server/secrets.h"
#include "server/studio_api.h"
#include "server/ingest_auth.h"
#include "server/test_stream.h"
#include "store/events.h"
#include "store/metric_samples.h"
#include "store/storage.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace throng::server {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDemoSlug = "demo";

std::int64_t unixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::ServerLimits limitsFrom(const HttpConfig& http) {
  http::ServerLimits limits;
  limits.max_request_line_bytes = http.max_request_line_bytes;
  limits.max_header_bytes = http.max_header_bytes;
  limits.max_body_bytes = http.max_body_bytes;
  limits.header_timeout = http.header_timeout;
  limits.body_timeout = http.body_timeout;
  limits.idle_timeout = http.idle_timeout;
  limits.max_connections = http.max_connections;
  return limits;
}

asio::ip::tcp::endpoint endpointFor(const std::string& bind, int port, const char* key) {
  auto address = net::parseAddress(bind, fmt::format("config key '{}'", key));
  if (!address) throw StartupError(address.error().message);
  return {*address, static_cast<std::uint16_t>(port)};
}

// SO_REUSEPORT lets a second throng of the same user share a port silently. Before joining
// a fixed port, bind it once without SO_REUSEPORT: that fails if anyone holds it.
void probePortFree(const asio::ip::tcp::endpoint& endpoint, const char* key) {
  if (endpoint.port() == 0) return;
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io);
  boost::system::error_code ec;
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec) {
    throw StartupError(fmt::format("config key '{}': cannot bind {}:{}: {}", key,
                                   endpoint.address().to_string(), endpoint.port(),
                                   ec.message()));
  }
}

// A TLS server context from PEM files; `cert_key`/`key_key` name the config keys for errors.
void loadTls(std::optional<asio::ssl::context>& tls, const std::string& cert,
             const std::string& key, const char* cert_key, const char* key_key) {
  tls.emplace(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  tls->use_certificate_chain_file(cert, ec);
  if (ec) {
    throw StartupError(
        fmt::format("config key '{}': cannot load '{}': {}", cert_key, cert, ec.message()));
  }
  tls->use_private_key_file(key, asio::ssl::context::pem, ec);
  if (ec) {
    throw StartupError(
        fmt::format("config key '{}': cannot load '{}': {}", key_key, key, ec.message()));
  }
}

std::string hostForUrl(const asio::ip::address& address) {
  if (address.is_unspecified()) return "127.0.0.1";
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}


// The items of a comma-separated configuration value, trimmed, empty ones skipped.
std::vector<std::string_view> commaList(std::string_view text) {
  std::vector<std::string_view> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// The rules every chat room follows, from [xmpp]. Throws ConfigError naming the key.
chat::muc::MucPolicy mucPolicyFrom(const XmppConfig& xmpp) {
  chat::muc::MucPolicy policy;
  for (const auto item : commaList(xmpp.admins)) {
    auto jid = proto::Jid::parse(item);
    if (!jid || !jid->hasLocal() || jid->hasResource()) {
      throw ConfigError("config key 'xmpp.admins': '" + std::string(item) +
                        "' is not a bare JID like alice@example.org");
    }
    policy.admins.insert(jid->bareString());
  }
  policy.event_presence_broadcast = {};
  std::string_view roles = xmpp.event_room_presence_broadcast;
  for (auto role : {chat::muc::Role::kModerator, chat::muc::Role::kParticipant,
                    chat::muc::Role::kVisitor}) {
    if (roles.find(chat::muc::roleName(role)) != std::string_view::npos) {
      policy.event_presence_broadcast.add(role);
    }
  }
  policy.drop_bodyless_above = xmpp.muc_drop_bodyless_above;
  policy.address_ban_exempt.clear();
  for (const auto item : commaList(xmpp.proxy_addresses)) {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string(item), ec);
    if (ec) {
      throw ConfigError("config key 'xmpp.proxy_addresses': '" + std::string(item) +
                        "' is not an IPv4 or IPv6 address");
    }
    policy.address_ban_exempt.insert(address.to_string());
  }
  policy.archive_retention = std::chrono::hours(24 * xmpp.mam_retention_days);
  policy.anonymous_may_create = xmpp.muc_anonymous_may_create;
  return policy;
}

// The WebRTC engine's options, from [webrtc]. Throws ConfigError naming the key.
rtc::RtcOptions rtcOptionsFrom(const WebRtcConfig& webrtc) {
  rtc::RtcOptions options;
  auto bind = net::parseAddress(webrtc.bind, "config key 'webrtc.bind'");
  if (!bind) throw ConfigError(bind.error().message);
  options.bind = *bind;
  options.port = static_cast<std::uint16_t>(webrtc.port);
  for (const auto item : commaList(webrtc.advertise)) {
    auto address = net::parseAddress(std::string(item), "config key 'webrtc.advertise'");
    if (!address || address->is_unspecified()) {
      throw ConfigError("config key 'webrtc.advertise': '" + std::string(item) +
                        "' is not a specific IPv4 or IPv6 address");
    }
    options.advertise.push_back(*address);
  }
  options.max_viewers = static_cast<std::size_t>(webrtc.max_viewers);
  options.max_viewers_per_event = static_cast<std::size_t>(webrtc.max_viewers_per_event);
  options.consent_timeout = webrtc.consent_timeout;
  options.setup_timeout = webrtc.setup_timeout;
  options.nacks_per_second = static_cast<double>(webrtc.nacks_per_second);
  options.use_libsrtp = webrtc.srtp == "libsrtp";
  options.udp_segmentation = webrtc.gso;
  options.ingest_max_bitrate_bps = static_cast<std::uint64_t>(webrtc.ingest_max_kbps) * 1000;
  options.publisher_timeout = webrtc.publisher_timeout;
  return options;
}

}  // namespace

struct Runtime::Parts {
  Config config;
  Mode mode;
  fs::path ready_file;
  fs::path data_dir;
  std::string admin_token;

  MetricsRegistry registry;
  std::unique_ptr<store::Storage> storage;
  std::optional<asio::ssl::context> tls;
  std::optional<asio::ssl::context> xmpp_tls;  // xmpp.tls_cert; unset: STARTTLS uses `tls`
  http::Router public_router;
  std::unique_ptr<http::StaticFiles> static_files;
  // Declared before the pool: connections still queued on a worker when it is destroyed call
  // back into the chat service.
  std::unique_ptr<chat::muc::RoomPersistence> room_persistence;
  std::unique_ptr<chat::ChatService> chat;
  std::unique_ptr<chat::XmppWebSocketHandler> xmpp_websocket;
  std::unique_ptr<net::WorkerPool> pool;
  // After the pool: the shards' sockets and timers live on the workers' io_contexts.
  std::unique_ptr<rtc::RtcService> rtc;
  std::unique_ptr<TestStream> test_stream;
  // Declared after the pool: listeners' acceptors must go before the io_contexts they use.
  std::unique_ptr<chat::XmppTcpServer> xmpp_tcp;
  std::unique_ptr<http::Server> public_server;
  std::unique_ptr<control::ControlPlane> control;
  std::string public_url;

  ~Parts() {
    // Order matters: no thread may run while the objects it uses are destroyed.
    if (test_stream) test_stream->stop();
    if (control) control->stop();
    if (pool) pool->stop();
    if (chat) chat->releaseWorkerResources();  // its timers use the pool's io_contexts
    if (storage) storage->stop();
  }
};

Runtime::Runtime(Config config, Mode mode, fs::path ready_file)
    : parts_(std::make_unique<Parts>()) {
  parts_->config = std::move(config);
  parts_->mode = mode;
  parts_->ready_file = std::move(ready_file);
}

Runtime::~Runtime() = default;

void Runtime::start() {
  auto& p = *parts_;
  const auto& cfg = p.config;
  if (!setLogLevel(cfg.log.level)) {
    throw StartupError(fmt::format("config key 'log.level': unknown level '{}'", cfg.log.level));
  }

  const auto fds = net::raiseFdLimit();
  spdlog::info("file descriptor limit: {} (was {}, hard limit {})", fds.after, fds.before,
               fds.hard);

  // Data directory and secrets.
  p.data_dir = fs::absolute(cfg.server.data_dir).lexically_normal();
  std::error_code ec;
  fs::create_directories(p.data_dir, ec);
  if (ec) {
    throw StartupError(fmt::format("config key 'server.data_dir': cannot create {}: {}",
                                   p.data_dir.string(), ec.message()));
  }
  try {
    p.admin_token = loadOrCreateAdminToken(p.data_dir, cfg.control.admin_token);
  } catch (const std::exception& e) {
    throw StartupError(fmt::format("config key 'control.admin_token': {}", e.what()));
  }

  // Storage: opened and migrated here, so a bad database stops the start.
  store::StorageOptions storage_options;
  storage_options.path = cfg.storage.path.empty() ? p.data_dir / "throng.db" : fs::path(cfg.storage.path);
  storage_options.synchronous = cfg.storage.synchronous;
  auto storage = store::Storage::open(storage_options);
  if (!storage) {
    throw StartupError(fmt::format("config key 'storage.path': {}", storage.error().message));
  }
  p.storage = std::move(storage.value());
  p.storage->start();
  spdlog::info("storage: {} (schema version {})", storage_options.path.string(),
               p.storage->schemaVersion());
  if (p.mode == Mode::kDemo) ensureDemoEvent();

  // TLS for the public port, and for STARTTLS on the XMPP port (its own certificate, or the
  // public port's).
  if (!cfg.http.tls_cert.empty()) {
    loadTls(p.tls, cfg.http.tls_cert, cfg.http.tls_key, "http.tls_cert", "http.tls_key");
  }
  if (!cfg.xmpp.tls_cert.empty()) {
    loadTls(p.xmpp_tls, cfg.xmpp.tls_cert, cfg.xmpp.tls_key, "xmpp.tls_cert", "xmpp.tls_key");
  }

  // Public routes.
  p.static_files = std::make_unique<http::StaticFiles>(cfg.http.web_root);
  if (cfg.debug.busy_route) {
    spdlog::warn("debug.busy_route is on: GET /debug/busy can saturate workers");
    addBusyRoute(p.public_router);
  }
  auto* files = p.static_files.get();
  p.public_router.setFallback([files](http::RequestContext& context, http::Responder responder) {
    files->serve(context, std::move(responder));
  });

  // Workers, the chat, and the public listener.
  p.pool = std::make_unique<net::WorkerPool>(cfg.server.workers);
  chat::ChatOptions chat_options;
  chat_options.domain = cfg.xmpp.domain;
  chat_options.anonymous_domain =
      cfg.xmpp.anonymous_domain.empty() ? "anon." + cfg.xmpp.domain : cfg.xmpp.anonymous_domain;
  chat_options.muc_domain =
      cfg.xmpp.muc_domain.empty() ? "rooms." + cfg.xmpp.domain : cfg.xmpp.muc_domain;
  addWatchPageRoute(p.public_router, *p.static_files);
  addModeratePageRoute(p.public_router, *p.static_files);
  chat_options.rate_stanzas_per_second = static_cast<double>(cfg.xmpp.rate_stanzas_per_second);
  chat_options.rate_stanzas_burst = static_cast<double>(cfg.xmpp.rate_stanzas_burst);
  chat_options.rate_bytes_per_second = static_cast<double>(cfg.xmpp.rate_bytes_per_second);
  chat_options.rate_bytes_burst = static_cast<double>(cfg.xmpp.rate_bytes_burst);
  chat_options.idle_timeout = cfg.xmpp.idle_timeout;
  chat_options.ping_timeout = cfg.xmpp.ping_timeout;
  chat_options.limits.max_stanza_bytes = cfg.xmpp.max_stanza_bytes;
  chat_options.muc = mucPolicyFrom(cfg.xmpp);
  chat_options.occupant_id_secret = loadOrCreateOccupantIdSecret(p.data_dir);
  p.chat = std::make_unique<chat::ChatService>(chat_options, p.pool->all());
  p.room_persistence = std::make_unique<chat::muc::RoomPersistence>(*p.storage);
  if (auto restored = p.chat->restoreRooms(*p.room_persistence); !restored) {
    throw StartupError("loading the chat rooms: " + restored.error().message);
  }
  openEventRooms();
  chat::reloadAccounts(*p.storage, p.chat->accounts());
  p.storage->flush();
  spdlog::info("chat: domain {}, anonymous {}, rooms {}; {} accounts", chat_options.domain,
               chat_options.anonymous_domain, chat_options.muc_domain, p.chat->accounts().size());
  // The moderation panel on this port reads rooms' logs here (accounts only, no admin token).
  addPublicModerationLogApi(p.public_router, *p.storage,
                            {&p.chat->accounts(), chat_options.domain, chat_options.muc.admins});
  p.xmpp_websocket = std::make_unique<chat::XmppWebSocketHandler>(*p.chat);
  p.public_router.addWebSocket(std::string(chat::kXmppWebSocketPath), p.xmpp_websocket.get());
  chat::XmppTcpOptions xmpp_tcp_options;
  xmpp_tcp_options.endpoint = endpointFor(cfg.xmpp.tcp_bind, cfg.xmpp.tcp_port, "xmpp.tcp_bind");
  probePortFree(xmpp_tcp_options.endpoint, "xmpp.tcp_port");
  xmpp_tcp_options.tls = p.xmpp_tls ? &*p.xmpp_tls : p.tls ? &*p.tls : nullptr;
  xmpp_tcp_options.fanout_flush = cfg.xmpp.fanout_flush;
  p.xmpp_tcp = std::make_unique<chat::XmppTcpServer>(xmpp_tcp_options, *p.chat, p.pool->all());
  // WebRTC: one UDP socket per worker on the media port, WHEP on the public port.
  try {
    auto rtc_options = rtcOptionsFrom(cfg.webrtc);
    if (cfg.webrtc.record) rtc_options.recordings_dir = p.data_dir / "recordings";
    p.rtc = std::make_unique<rtc::RtcService>(std::move(rtc_options), p.pool->all());
  } catch (const ConfigError& e) {
    throw StartupError(e.what());
  }
  if (auto opened = p.rtc->open(); !opened) {
    throw StartupError("config key 'webrtc.port': " + opened.error().message);
  }
  rtc::addWhepRoutes(p.public_router, *p.rtc);
  rtc::addWhipRoutes(p.public_router, *p.rtc, makeIngestAuthorizer(*p.storage));
  // An event's room tells its occupants whether the event's stream is live (docs/muc.md).
  p.chat->setStreamStateSource(
      [rtc = p.rtc.get()](const std::string& room) -> std::optional<chat::muc::RoomStreamState> {
        auto stream = rtc->findStream(room);
        if (!stream) return std::nullopt;
        return chat::muc::RoomStreamState{stream->live(), stream->viewers()};
      });
  addPublicApi(p.public_router, *p.storage,
               {std::string(chat::kXmppWebSocketPath), chat_options.anonymous_domain,
                chat_options.muc_domain, chat_options.domain},
               p.rtc.get());
  addStudio(p.public_router, *p.static_files, *p.storage, *p.rtc,
            {&p.chat->accounts(), chat_options.domain, chat_options.muc.admins},
            {cfg.server.public_url, p.tls.has_value()});
  if (cfg.test_source.enabled) {
    try {
      p.test_stream = std::make_unique<TestStream>(cfg.test_source, *p.rtc);
    } catch (const ConfigError& e) {
      throw StartupError(e.what());
    }
  }
  auto xmpp_port = p.xmpp_tcp->listen();
  if (!xmpp_port) throw StartupError("config key 'xmpp.tcp_port': " + xmpp_port.error().message);
  const auto public_endpoint = endpointFor(cfg.http.bind, cfg.http.port, "http.bind");
  probePortFree(public_endpoint, "http.port");
  http::ServerOptions public_options;
  public_options.name = "public";
  public_options.endpoint = public_endpoint;
  public_options.limits = limitsFrom(cfg.http);
  public_options.tls = p.tls ? &*p.tls : nullptr;
  p.public_server =
      std::make_unique<http::Server>(public_options, p.public_router, p.pool->all());
  auto public_port = p.public_server->listen();
  if (!public_port) throw StartupError("config key 'http.port': " + public_port.error().message);
  const std::string scheme = p.tls ? "https" : "http";
  p.public_url = cfg.server.public_url.empty()
                     ? fmt::format("{}://{}:{}/", scheme, hostForUrl(public_endpoint.address()),
                                   *public_port)
                     : cfg.server.public_url;

  // Control plane.
  control::ControlPlaneOptions control_options;
  control_options.endpoint = endpointFor(cfg.control.bind, cfg.control.port, "control.bind");
  probePortFree(control_options.endpoint, "control.port");
  control_options.limits = limitsFrom(cfg.http);
  control_options.admin_token = p.admin_token;
  control_options.sample_interval = cfg.metrics.sample_interval;
  // Keep a day of samples in memory at most; older ones stay in SQLite until retention.
  control_options.history_capacity = static_cast<std::size_t>(std::clamp<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24)).count() /
          cfg.metrics.sample_interval.count(),
      60, 17280));
  p.control = std::make_unique<control::ControlPlane>(control_options, p.registry);
  addAdminApi(*p.control, *p.storage, [chat = p.chat.get()](const store::EventRecord& event) {
    chat->ensureEventRoom(event.slug, event.title);  // every event has its chat room
  });
  addModerationLogApi(*p.control, *p.storage,
                      {&p.chat->accounts(), chat_options.domain, chat_options.muc.admins});
  wireMetrics(p.registry, *p.control, *p.pool, *p.public_server, *p.storage);
  wireChatMetrics(p.registry, *p.chat, *p.xmpp_tcp, *p.xmpp_websocket);
  wireRtcMetrics(p.registry, *p.rtc);
  addDashboardSeries(p.control->history(), *p.chat, *p.rtc);
  addDashboard(*p.control, *p.static_files, *p.rtc,
               {p.public_url, p.pool->size(), cfg.metrics.sample_interval});
  restoreMetricsHistory();
  auto control_port = p.control->listen();
  if (!control_port) {
    throw StartupError("config key 'control.port': " + control_port.error().message);
  }

  p.pool->start();
  p.chat->startRooms();
  p.public_server->start();
  p.xmpp_tcp->start();
  p.rtc->start();
  if (p.test_stream) p.test_stream->start();
  p.control->start();
  // Accounts added with `throng user` while the server runs are picked up within this period.
  p.control->every(std::chrono::seconds(10), [storage = p.storage.get(), chat = p.chat.get()] {
    chat::reloadAccounts(*storage, chat->accounts());
  });

  spdlog::info("{} workers; public HTTP on {}:{}; XMPP on {}:{} and {}; control plane on {}:{}",
               p.pool->size(), public_endpoint.address().to_string(), *public_port,
               xmpp_tcp_options.endpoint.address().to_string(), *xmpp_port,
               chat::kXmppWebSocketPath, control_options.endpoint.address().to_string(),
               *control_port);
  spdlog::info("WebRTC: UDP {}:{} on every worker; WHEP at {}<event>{}", cfg.webrtc.bind,
               p.rtc->port(), rtc::kWhepPathPrefix,
               p.test_stream ? "; test stream on event '" + cfg.test_source.event + "'" : "");
  spdlog::info("admin token in {}", adminTokenPath(p.data_dir).string());

  if (!p.ready_file.empty()) {
    nlohmann::json ready = {
        {"pid", ::getpid()},
        {"mode", p.mode == Mode::kDemo ? "demo" : "serve"},
        {"workers", p.pool->size()},
        {"data_dir", p.data_dir.string()},
        {"admin_token_file", adminTokenPath(p.data_dir).string()},
        {"url", p.public_url},
        {"http",
         {{"address", public_endpoint.address().to_string()},
          {"port", *public_port},
          {"tls", p.tls.has_value()}}},
        {"control",
         {{"address", control_options.endpoint.address().to_string()}, {"port", *control_port}}},
        {"xmpp",
         {{"domain", chat_options.domain},
          {"anonymous_domain", chat_options.anonymous_domain},
          {"muc_domain", chat_options.muc_domain},
          {"tcp", {{"address", xmpp_tcp_options.endpoint.address().to_string()},
                   {"port", *xmpp_port},
                   {"starttls", p.xmpp_tcp->tlsOffered()}}},
          {"websocket_path", chat::kXmppWebSocketPath}}},
        {"webrtc",
         {{"address", cfg.webrtc.bind},
          {"port", p.rtc->port()},
          {"whep_path", std::string(rtc::kWhepPathPrefix)},
          {"test_stream", p.test_stream ? cfg.test_source.event : ""}}},
    };
    try {
      writeReadyFile(p.ready_file, ready);
    } catch (const std::exception& e) {
      throw StartupError(e.what());
    }
  }
  if (p.mode == Mode::kDemo) {
    spdlog::info("demo event ready: open {}", p.public_url);
    std::printf("\nthrong demo is running. Open %s in a browser. Ctrl-C stops it.\n\n",
                p.public_url.c_str());
    std::fflush(stdout);
  }
}

void Runtime::ensureDemoEvent() {
  auto& storage = *parts_->storage;
  storage.submit([](store::Database& db) -> Status {
    auto existing = store::findEvent(db, kDemoSlug);
    if (!existing) return existing.error();
    if (existing->has_value()) return {};
    store::NewEvent demo{kDemoSlug, "throng demo event",
                         "A live event served by throng: watch, chat and go live from one "
                         "self-hosted binary.",
                         /*allow_takeover=*/false};
    auto created = store::createEvent(db, demo, unixMillis());
    if (!created) return created.error();
    return {};
  });
  storage.flush();
}

void Runtime::openEventRooms() {
  auto& p = *parts_;
  std::vector<store::EventRecord> events;
  p.storage->submit([&events](store::Database& db) -> Status {
    auto listed = store::listEvents(db);
    if (!listed) return listed.error();
    events = std::move(listed.value());
    return {};
  });
  p.storage->flush();
  for (const auto& event : events) p.chat->ensureEventRoom(event.slug, event.title);
}

void Runtime::restoreMetricsHistory() {
  auto& p = *parts_;
  const auto retention = std::chrono::duration_cast<std::chrono::milliseconds>(
      p.config.metrics.retention);
  std::vector<store::MetricSample> rows;
  const auto since = unixMillis() - retention.count();
  p.storage->submit([&rows, since](store::Database& db) -> Status {
    auto loaded = store::loadSamplesSince(db, since);
    if (!loaded) return loaded.error();
    rows = std::move(loaded.value());
    return {};
  });
  p.storage->flush();  // before the control thread starts: the history is not shared yet
  p.control->history().restore(rows);

  // Persist each row of samples; prune past retention about once an hour of samples.
  auto* storage = p.storage.get();
  const auto per_hour = std::max<std::int64_t>(
      1, 3600 * 1000 / p.config.metrics.sample_interval.count());
  auto counter = std::make_shared<std::int64_t>(0);
  auto* rooms = p.room_persistence.get();
  const auto archive_retention = p.chat->options().muc.archive_retention;
  p.control->setSampleSink([storage, retention, per_hour, counter, rooms,
                            archive_retention](std::vector<store::MetricSample> samples) {
    storage->submit([samples = std::move(samples)](store::Database& db) {
      return store::insertSamples(db, samples);
    });
    if ((*counter)++ % per_hour == 0) {
      // The rooms' archive keeps xmpp.mam_retention_days (pruned in bounded batches).
      rooms->pruneArchive(std::chrono::system_clock::now() - archive_retention);
      const auto before = unixMillis() - retention.count();
      storage->submit([before](store::Database& db) -> Status {
        auto pruned = store::pruneSamplesBefore(db, before);
        if (!pruned) return pruned.error();
        return {};
      });
    }
  });
}

int Runtime::waitForShutdown() {
  auto& p = *parts_;
  asio::io_context main_loop;
  asio::signal_set signals(main_loop, SIGINT, SIGTERM);
  asio::steady_timer poll(main_loop);
  std::chrono::steady_clock::time_point deadline;
  bool draining = false;

  std::function<void()> check_drained = [&] {
    const auto open = p.public_server->counters().open_connections.load() +
                      p.xmpp_tcp->counters().open_connections.load();
    if (open == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (open != 0) spdlog::warn("drain timeout: closing {} connections", open);
      main_loop.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(20));
    poll.async_wait([&](boost::system::error_code ec) {
      if (!ec) check_drained();
    });
  };

  std::function<void(boost::system::error_code, int)> on_signal =
      [&](boost::system::error_code ec, int signo) {
        if (ec) return;
        if (draining) {
          // A second signal: the operator wants out now. SQLite's WAL keeps what committed.
          spdlog::warn("second signal ({}): exiting at once", signo);
          spdlog::default_logger()->flush();
          std::_Exit(128 + signo);
        }
        draining = true;
        spdlog::info("signal {}: draining (at most {} ms); a second signal exits at once",
                     signo, p.config.server.drain_timeout.count());
        deadline = std::chrono::steady_clock::now() + p.config.server.drain_timeout;
        p.control->setDraining();
        p.public_server->beginDrain();
        p.xmpp_tcp->beginDrain();
        signals.async_wait(on_signal);
        check_drained();
      };
  signals.async_wait(on_signal);
  main_loop.run();

  // Connections are closed (or out of time). Take the test stream off the air, close the
  // WebRTC sessions (DTLS close_notify) while the workers run, stop the workers, flush storage.
  if (p.test_stream) p.test_stream->stop();
  p.rtc->stop();
  p.pool->stop();
  p.storage->stop();
  p.control->stop();
  spdlog::info("drained; storage flushed; exiting");
  return 0;
}

}  // namespace throng::server
