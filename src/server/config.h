// Configuration of `throng serve` and `throng demo`: one schema of keys (config.cpp), filled in
// three layers — the defaults for the mode, then a TOML file, then command-line overrides — and
// checked once, at startup. Errors are exceptions (ConfigError) because nothing runs yet; the
// server catches them, prints the message and exits.
//
// Every key is "<table>.<key>", the same spelling in the TOML file, on the command line
// ("--http.port 8080"; CLI11 2.1 accepts '.' in option names) and in error messages. Durations
// carry their unit in the key name (drain_timeout_ms, retention_hours). `throng config example`
// prints the whole schema with its defaults (exampleToml).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace throng::server {

// Only the defaults differ: demo binds the public port to loopback so that trying throng out on
// a laptop does not expose it to the network.
enum class Mode { kServe, kDemo };

struct HttpConfig {
  std::string bind;       // IPv4 or IPv6 literal
  int port;               // 0 = ephemeral
  std::string tls_cert;   // PEM file; empty together with tls_key = plain HTTP
  std::string tls_key;    // PEM file
  std::string web_root;   // existing directory of static files
  std::size_t max_request_line_bytes;
  std::size_t max_header_bytes;
  std::size_t max_body_bytes;
  std::chrono::milliseconds header_timeout;
  std::chrono::milliseconds body_timeout;
  std::chrono::milliseconds idle_timeout;
  int max_connections;
};

struct ControlConfig {
  std::string bind;
  int port;
  std::string admin_token;  // empty = generated on first start into <data_dir>/admin-token
};

struct StorageConfig {
  std::string path;         // empty = <data_dir>/throng.db (left empty here; the store resolves it)
  std::string synchronous;  // "normal" or "full" (SQLite PRAGMA synchronous)
};

struct MetricsConfig {
  std::chrono::milliseconds sample_interval;
  std::chrono::hours retention;
};

struct ServerConfig {
  int workers;  // 0 = one per core
  std::string data_dir;
  std::chrono::milliseconds drain_timeout;
  std::string public_url;  // empty = derived from http.bind/http.port once bound
};

struct LogConfig {
  std::string level;  // trace|debug|info|warn|error|off, as setLogLevel() takes it
};

struct XmppConfig {
  std::string domain;            // accounts' XMPP domain
  std::string anonymous_domain;  // empty = "anon." + domain
  std::string muc_domain;        // empty = "rooms." + domain
  std::string tcp_bind;
  int tcp_port;  // 0 = ephemeral
  std::string tls_cert;  // PEM for STARTTLS on tcp_port; empty = http.tls_cert
  std::string tls_key;   // empty = http.tls_key
  std::int64_t rate_stanzas_per_second;
  std::int64_t rate_stanzas_burst;
  std::int64_t rate_bytes_per_second;
  std::int64_t rate_bytes_burst;
  std::chrono::seconds idle_timeout;  // then an XEP-0199 ping
  std::chrono::seconds ping_timeout;  // then connection-timeout
  std::size_t max_stanza_bytes;
  std::string admins;  // comma-separated bare JIDs that own every room
  std::string event_room_presence_broadcast;  // comma-separated roles
  std::size_t muc_drop_bodyless_above;
  bool muc_anonymous_may_create;
  std::string proxy_addresses;  // comma-separated IP addresses of reverse proxies
  std::int64_t mam_retention_days;
  std::chrono::milliseconds fanout_flush;  // 0 = room fan-out is written at once
};

struct WebRtcConfig {
  std::string bind;       // the UDP media port's address
  int port;               // 0 = ephemeral
  std::string advertise;  // comma-separated addresses for ICE candidates; empty = bind
  std::int64_t max_viewers;
  std::int64_t max_viewers_per_event;
  std::chrono::milliseconds consent_timeout;
  std::chrono::milliseconds setup_timeout;
  std::int64_t nacks_per_second;
  std::string srtp;  // "openssl" or "libsrtp"
  bool gso;          // UDP generic segmentation offload for the fan-out
  bool record;       // WHIP lives are written to <data_dir>/recordings (pcap + index)
  std::int64_t ingest_max_kbps;                 // REMB ceiling for publishers
  std::chrono::milliseconds publisher_timeout;  // a silent publisher is gone after this
};

struct TestSourceConfig {
  bool enabled;
  std::string event;  // slug of the event it publishes
  std::string codec;  // "vp8" or "h264"
  int width;
  int height;
  int fps;
  int video_bitrate_kbps;
  int keyframe_interval_ms;
};

struct DebugConfig {
  bool busy_route;  // GET /debug/busy?ms=N on the public port; load tests only
};

struct Config {
  ServerConfig server;
  LogConfig log;
  HttpConfig http;
  ControlConfig control;
  StorageConfig storage;
  MetricsConfig metrics;
  DebugConfig debug;
  XmppConfig xmpp;
  WebRtcConfig webrtc;
  TestSourceConfig test_source;
};

// The message always starts with the key (or the file) it is about and says why, e.g.
//   config key 'http.port': expected an integer from 0 to 65535, got 70000 (in /x.toml, line 3)
class ConfigError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// Collects "--<table>.<key> VALUE" overrides from the command line. registerOptions() adds one
// CLI11 option per schema key, whose description gives the key's meaning, type or range and
// default, so `--help` documents every key. The raw text is kept; loadConfig() parses and checks
// it, so that a bad value is reported the same way whether it came from the file or the command
// line.
class ConfigOverrides {
 public:
  // `app` keeps pointers into this object: it must outlive app.parse().
  void registerOptions(CLI::App& app);

  // (key, raw text) in command-line order; a key given twice appears twice and the last wins.
  const std::vector<std::pair<std::string, std::string>>& values() const { return values_; }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

// The defaults for `mode`, then the TOML file at `file_path` (skipped if empty), then
// `overrides` as (key, text) pairs. Rejects unknown tables and keys, TOML values of the wrong
// type, values out of range, and — on the final values — unreadable TLS files, a TLS cert
// without its key (or the reverse), and a web_root that is not a directory.
// Throws ConfigError. Relative paths are kept as given (relative to the working directory).
Config loadConfig(Mode mode, const std::string& file_path,
                  const std::vector<std::pair<std::string, std::string>>& overrides);

// The whole schema as a commented TOML file holding the defaults for `mode`; loadConfig() accepts
// it unchanged.
std::string exampleToml(Mode mode);

}  // namespace throng::server
