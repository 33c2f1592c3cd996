// The configuration schema and its three layers (defaults, TOML file, command line).
//
// Everything a key needs — name, type, range or choices, default per mode, description and where
// it lands in Config — is one entry of schema() below; loading, validation, `--help` and
// exampleToml() are all driven by that table, so adding a key is adding one entry.
#include "server/config.h"

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>

// The build passes the source tree so that a development build serves web/ without any setup.
#ifndef THRONG_SOURCE_DIR
#define THRONG_SOURCE_DIR "."
#endif

namespace throng::server {
namespace {

// What a key holds and how its final value is checked. All but kBool and kInt hold a string.
enum class Kind {
  kBool,
  kInt,
  kString,     // free text
  kPath,       // a path that need not exist yet
  kEnum,       // one of Key::choices
  kIpAddress,  // IPv4 or IPv6 literal, as boost::asio::ip::make_address accepts it
  kFile,       // empty, or a file that can be opened and read
  kDirectory,  // an existing directory
  kSecret,     // empty, or at least kMinSecretLength characters; never echoed in messages
};

// 16 characters of a random token are ~96 bits; shorter admin tokens are guessable online.
constexpr std::size_t kMinSecretLength = 16;

using Value = std::variant<bool, std::int64_t, std::string>;
using Setter = std::function<void(Config&, const Value&)>;

struct Key {
  std::string name;  // "<table>.<key>"
  Kind kind;
  std::int64_t min = 0;  // kInt only, inclusive
  std::int64_t max = 0;
  std::vector<std::string_view> choices;  // kEnum only
  Value serve_default;
  Value demo_default;
  Setter set;
  std::string description;

  // Gives demo mode a different default; used as `someKey(...).demo(value)` in the table.
  Key demo(Value value) && {
    demo_default = std::move(value);
    return std::move(*this);
  }
  const Value& defaultFor(Mode mode) const {
    return mode == Mode::kDemo ? demo_default : serve_default;
  }
  std::string_view table() const { return std::string_view(name).substr(0, name.find('.')); }
  std::string_view field() const { return std::string_view(name).substr(name.find('.') + 1); }
};

// Converts a checked Value to the type of the Config member it lands in. Ranges are checked
// before this runs, so the narrowing casts cannot truncate.
template <typename Field>
Field convertTo(const Value& value) {
  if constexpr (std::is_same_v<Field, bool>) {
    return std::get<bool>(value);
  } else if constexpr (std::is_same_v<Field, std::string>) {
    return std::get<std::string>(value);
  } else if constexpr (std::is_integral_v<Field>) {
    return static_cast<Field>(std::get<std::int64_t>(value));
  } else {  // a std::chrono::duration in the unit the key name says
    return Field(static_cast<typename Field::rep>(std::get<std::int64_t>(value)));
  }
}

// The setter that stores a key's value into config.*section.*field.
template <typename Section, typename Field>
Setter into(Section Config::*section, Field Section::*field) {
  return [section, field](Config& config, const Value& value) {
    config.*section.*field = convertTo<Field>(value);
  };
}

Key boolKey(std::string name, bool fallback, Setter set, std::string description) {
  return Key{std::move(name), Kind::kBool, 0, 0, {}, fallback, fallback, std::move(set),
             std::move(description)};
}

Key intKey(std::string name, std::int64_t min, std::int64_t max, std::int64_t fallback, Setter set,
           std::string description) {
  return Key{std::move(name), Kind::kInt, min, max, {}, fallback, fallback, std::move(set),
             std::move(description)};
}

Key textKey(Kind kind, std::string name, std::string fallback, Setter set,
            std::string description) {
  return Key{std::move(name), kind, 0, 0, {}, fallback, fallback, std::move(set),
             std::move(description)};
}

Key enumKey(std::string name, std::initializer_list<std::string_view> choices,
            std::string fallback, Setter set, std::string description) {
  return Key{std::move(name), Kind::kEnum, 0, 0, choices, fallback, fallback, std::move(set),
             std::move(description)};
}

// The schema. Ranges: lower bounds stop a typo from making the server unusable (a 0 ms header
// timeout, a request line too short for any real URL); upper bounds catch unit mistakes
// (seconds written into a *_ms key) and values no single host can honour. Tables appear in
// exampleToml() in the order of their first key here.
const std::vector<Key>& schema() {
  using C = Config;
  static const std::vector<Key> keys = {
      intKey("server.workers", 0, 256, 0, into(&C::server, &ServerConfig::workers),
             "worker threads, each running its own event loop; 0 = one per core"),
      textKey(Kind::kPath, "server.data_dir", "./throng-data",
              into(&C::server, &ServerConfig::data_dir),
              "directory where the SQLite database and generated secrets live"),
      intKey("server.drain_timeout_ms", 0, 600000, 10000,
             into(&C::server, &ServerConfig::drain_timeout),
             "on SIGTERM, how long to wait for open connections to close before exiting"),
      textKey(Kind::kString, "server.public_url", "", into(&C::server, &ServerConfig::public_url),
              "base URL printed at startup and used in links; empty = derived from http.bind "
              "and http.port"),

      enumKey("log.level", {"trace", "debug", "info", "warn", "error", "off"}, "info",
              into(&C::log, &LogConfig::level), "log verbosity"),

      textKey(Kind::kIpAddress, "http.bind", "0.0.0.0", into(&C::http, &HttpConfig::bind),
              "address of the public HTTP listener (demo: loopback only, to stay off the network)")
          .demo("127.0.0.1"),
      intKey("http.port", 0, 65535, 8080, into(&C::http, &HttpConfig::port),
             "port of the public HTTP listener; 0 = ephemeral (chosen by the OS)"),
      textKey(Kind::kFile, "http.tls_cert", "", into(&C::http, &HttpConfig::tls_cert),
              "PEM certificate chain; set together with http.tls_key to serve HTTPS, leave both "
              "empty for plain HTTP"),
      textKey(Kind::kFile, "http.tls_key", "", into(&C::http, &HttpConfig::tls_key),
              "PEM private key of http.tls_cert"),
      textKey(Kind::kDirectory, "http.web_root", THRONG_SOURCE_DIR "/web",
              into(&C::http, &HttpConfig::web_root), "directory of the static web client"),
      intKey("http.max_request_line_bytes", 256, 65536, 8192,
             into(&C::http, &HttpConfig::max_request_line_bytes),
             "longest request line (method, target, version) accepted"),
      intKey("http.max_header_bytes", 1024, 1048576, 16384,
             into(&C::http, &HttpConfig::max_header_bytes), "largest header block accepted"),
      intKey("http.max_body_bytes", 0, 67108864, 1048576,
             into(&C::http, &HttpConfig::max_body_bytes), "largest request body accepted"),
      intKey("http.header_timeout_ms", 100, 600000, 10000,
             into(&C::http, &HttpConfig::header_timeout),
             "time a client has to send the complete request headers"),
      intKey("http.body_timeout_ms", 100, 600000, 30000, into(&C::http, &HttpConfig::body_timeout),
             "time a client has to send the request body"),
      intKey("http.idle_timeout_ms", 100, 3600000, 60000,
             into(&C::http, &HttpConfig::idle_timeout),
             "how long a keep-alive connection may stay idle between requests"),
      intKey("http.max_connections", 1, 1000000, 100000,
             into(&C::http, &HttpConfig::max_connections),
             "most public connections open at once; further ones are refused"),

      textKey(Kind::kIpAddress, "control.bind", "127.0.0.1",
              into(&C::control, &ControlConfig::bind),
              "address of the control (admin) listener; keep it on loopback or a private network"),
      intKey("control.port", 0, 65535, 9090, into(&C::control, &ControlConfig::port),
             "port of the control listener; 0 = ephemeral"),
      textKey(Kind::kSecret, "control.admin_token", "",
              into(&C::control, &ControlConfig::admin_token),
              "bearer token of the control API; empty = generated on first start and kept in "
              "<data_dir>/admin-token"),

      textKey(Kind::kPath, "storage.path", "", into(&C::storage, &StorageConfig::path),
              "SQLite database file; empty = <data_dir>/throng.db"),
      enumKey("storage.synchronous", {"normal", "full"}, "normal",
              into(&C::storage, &StorageConfig::synchronous),
              "SQLite PRAGMA synchronous: normal may lose the last transactions on power loss, "
              "full does not but syncs every commit"),

      intKey("metrics.sample_interval_ms", 500, 3600000, 5000,
             into(&C::metrics, &MetricsConfig::sample_interval),
             "how often metrics are sampled and stored"),
      intKey("metrics.retention_hours", 1, 8760, 168,
             into(&C::metrics, &MetricsConfig::retention),
             "how long stored metric samples are kept"),

      textKey(Kind::kString, "xmpp.domain", "localhost", into(&C::xmpp, &XmppConfig::domain),
              "XMPP domain of accounts (user@domain)"),
      textKey(Kind::kString, "xmpp.anonymous_domain", "",
              into(&C::xmpp, &XmppConfig::anonymous_domain),
              "XMPP domain of anonymous viewers (SASL ANONYMOUS); empty = anon.<xmpp.domain>"),
      textKey(Kind::kString, "xmpp.muc_domain", "", into(&C::xmpp, &XmppConfig::muc_domain),
              "XMPP domain of the chat rooms (XEP-0045); empty = rooms.<xmpp.domain>"),
      textKey(Kind::kIpAddress, "xmpp.tcp_bind", "0.0.0.0", into(&C::xmpp, &XmppConfig::tcp_bind),
              "address of the XMPP client listener (RFC 6120 over TCP)")
          .demo("127.0.0.1"),
      intKey("xmpp.tcp_port", 0, 65535, 5222, into(&C::xmpp, &XmppConfig::tcp_port),
             "port of the XMPP client listener; 0 = ephemeral"),
      textKey(Kind::kFile, "xmpp.tls_cert", "", into(&C::xmpp, &XmppConfig::tls_cert),
              "PEM certificate chain for STARTTLS on the XMPP TCP port (RFC 6120 §5); empty = "
              "http.tls_cert. With a certificate, clients must start TLS before authenticating, "
              "except from loopback"),
      textKey(Kind::kFile, "xmpp.tls_key", "", into(&C::xmpp, &XmppConfig::tls_key),
              "PEM private key of xmpp.tls_cert; empty = http.tls_key"),
      intKey("xmpp.rate_stanzas_per_second", 1, 100000, 20,
             into(&C::xmpp, &XmppConfig::rate_stanzas_per_second),
             "stanzas one client may send per second once bound; beyond it messages and IQs "
             "are refused (resource-constraint), presences dropped, and a client that keeps "
             "going is disconnected (policy-violation)"),
      intKey("xmpp.rate_stanzas_burst", 1, 1000000, 50,
             into(&C::xmpp, &XmppConfig::rate_stanzas_burst),
             "stanzas one client may send at once beyond the rate (the token bucket's size)"),
      intKey("xmpp.rate_bytes_per_second", 1024, 1073741824, 65536,
             into(&C::xmpp, &XmppConfig::rate_bytes_per_second),
             "bytes per second read from one client connection; beyond it the server stops "
             "reading that connection until the budget has recovered"),
      intKey("xmpp.rate_bytes_burst", 1024, 1073741824, 262144,
             into(&C::xmpp, &XmppConfig::rate_bytes_burst),
             "bytes one client may send at once beyond the byte rate"),
      intKey("xmpp.idle_timeout_seconds", 10, 86400, 300,
             into(&C::xmpp, &XmppConfig::idle_timeout),
             "a bound client that has sent nothing for this long gets a ping (XEP-0199)"),
      intKey("xmpp.ping_timeout_seconds", 1, 3600, 30,
             into(&C::xmpp, &XmppConfig::ping_timeout),
             "time a pinged client has to send anything before its stream ends with "
             "connection-timeout"),
      intKey("xmpp.max_stanza_bytes", 1024, 16777216, 65536,
             into(&C::xmpp, &XmppConfig::max_stanza_bytes),
             "largest stanza a client may send; larger ones end the stream with policy-violation"),
      textKey(Kind::kString, "xmpp.admins", "", into(&C::xmpp, &XmppConfig::admins),
              "comma-separated bare JIDs (accounts) that own every chat room: moderators"),
      enumKey("xmpp.event_room_presence_broadcast",
              {"moderator,participant", "moderator,participant,visitor", "moderator", "none"},
              "moderator,participant",
              into(&C::xmpp, &XmppConfig::event_room_presence_broadcast),
              "roles whose presence an event's room broadcasts (muc#roomconfig_presencebroadcast); "
              "anonymous viewers are visitors, so the default makes a viewer's join cost O(1)"),
      intKey("xmpp.muc_drop_bodyless_above", 0, 10000000, 100,
             into(&C::xmpp, &XmppConfig::muc_drop_bodyless_above),
             "occupants beyond which a room drops groupchat without a body (chat states)"),
      boolKey("xmpp.muc_anonymous_may_create", false,
              into(&C::xmpp, &XmppConfig::muc_anonymous_may_create),
              "whether anonymous users may create rooms by joining them (accounts always may)"),
      textKey(Kind::kString, "xmpp.proxy_addresses", "127.0.0.1,::1",
              into(&C::xmpp, &XmppConfig::proxy_addresses),
              "comma-separated IP addresses of reverse proxies in front of the chat; a room's "
              "ban by address never applies to them, as all their clients share them"),
      intKey("xmpp.mam_retention_days", 1, 36500, 7,
             into(&C::xmpp, &XmppConfig::mam_retention_days),
             "days the rooms' message archive (XEP-0313) keeps a message before it is pruned"),
      intKey("xmpp.fanout_flush_ms", 0, 1000, 50, into(&C::xmpp, &XmppConfig::fanout_flush),
             "a TCP client that was written to less than this ago gets room messages and "
             "presences this long after that write, several in one write, instead of one write "
             "each; the first after a quiet spell goes at once. 0 = every stanza at once"),

      textKey(Kind::kString, "webrtc.bind", "127.0.0.1", into(&C::webrtc, &WebRtcConfig::bind),
              "address of the UDP media port (WebRTC: ICE, DTLS, SRTP) shared by all workers; "
              "a public server sets it and webrtc.advertise"),
      intKey("webrtc.port", 0, 65535, 10000, into(&C::webrtc, &WebRtcConfig::port),
             "the UDP media port; 0 = any free port"),
      textKey(Kind::kString, "webrtc.advertise", "", into(&C::webrtc, &WebRtcConfig::advertise),
              "comma-separated addresses given to viewers as ICE host candidates (the public "
              "address behind a NAT); empty = webrtc.bind, which must then not be a wildcard"),
      intKey("webrtc.max_viewers", 1, 1000000, 10000,
             into(&C::webrtc, &WebRtcConfig::max_viewers),
             "WebRTC viewers on this server; past it, WHEP answers 503 with Retry-After"),
      intKey("webrtc.max_viewers_per_event", 1, 1000000, 10000,
             into(&C::webrtc, &WebRtcConfig::max_viewers_per_event),
             "WebRTC viewers of one event; past it, WHEP answers 503 with Retry-After"),
      intKey("webrtc.consent_timeout_ms", 1000, 300000, 30000,
             into(&C::webrtc, &WebRtcConfig::consent_timeout),
             "a viewer silent this long (no STUN consent check, RFC 7675: 30 s) is dropped"),
      intKey("webrtc.setup_timeout_ms", 1000, 120000, 15000,
             into(&C::webrtc, &WebRtcConfig::setup_timeout),
             "time a viewer has after its WHEP POST to finish ICE and DTLS"),
      intKey("webrtc.nacks_per_second", 0, 100000, 300,
             into(&C::webrtc, &WebRtcConfig::nacks_per_second),
             "retransmissions answered per viewer and second (NACK); more are dropped"),
      enumKey("webrtc.srtp", {"openssl", "libsrtp"}, "openssl",
              into(&C::webrtc, &WebRtcConfig::srtp),
              "SRTP implementation: throng's own on OpenSSL EVP, or libsrtp2"),
      boolKey("webrtc.gso", true, into(&C::webrtc, &WebRtcConfig::gso),
              "send a viewer's packets of one frame as one segmented UDP message (UDP GSO, "
              "Linux 4.18+); off = one datagram per packet. Falls back by itself if refused"),
      boolKey("webrtc.record", false, into(&C::webrtc, &WebRtcConfig::record),
              "write every WHIP live's decrypted RTP to <data_dir>/recordings/<event>-<time>/ "
              "(pcap + index.json; `throng record export` makes WebM or MP4)"),
      intKey("webrtc.ingest_max_kbps", 300, 100000, 8000,
             into(&C::webrtc, &WebRtcConfig::ingest_max_kbps),
             "the most a WHIP publisher is invited to send (REMB ceiling), kbit/s"),
      intKey("webrtc.publisher_timeout_ms", 1000, 60000, 5000,
             into(&C::webrtc, &WebRtcConfig::publisher_timeout),
             "a WHIP publisher that sends neither media nor consent checks this long has gone: "
             "its event goes offline"),
      boolKey("test_source.enabled", false, into(&C::test_source, &TestSourceConfig::enabled),
              "publish the built-in test stream (moving picture with a frame counter and clock, "
              "and a tone) as the stream of event test_source.event")
          .demo(true),
      textKey(Kind::kString, "test_source.event", "demo",
              into(&C::test_source, &TestSourceConfig::event),
              "slug of the event the test stream is published to"),
      enumKey("test_source.codec", {"vp8", "h264"}, "vp8",
              into(&C::test_source, &TestSourceConfig::codec),
              "video codec of the test stream (audio is always Opus)"),
      intKey("test_source.width", 16, 3840, 1280, into(&C::test_source, &TestSourceConfig::width),
             "test stream width in pixels (even)"),
      intKey("test_source.height", 16, 2160, 720,
             into(&C::test_source, &TestSourceConfig::height),
             "test stream height in pixels (even)"),
      intKey("test_source.fps", 1, 60, 30, into(&C::test_source, &TestSourceConfig::fps),
             "test stream frames per second"),
      intKey("test_source.video_bitrate_kbps", 50, 50000, 2500,
             into(&C::test_source, &TestSourceConfig::video_bitrate_kbps),
             "test stream video bitrate"),
      intKey("test_source.keyframe_interval_ms", 250, 10000, 1000,
             into(&C::test_source, &TestSourceConfig::keyframe_interval_ms),
             "time between keyframes of the test stream (a new viewer starts at one)"),

      boolKey("debug.busy_route", false, into(&C::debug, &DebugConfig::busy_route),
              "enables GET /debug/busy?ms=N on the public port, which spins a worker for N ms; "
              "for load tests only"),
  };
  return keys;
}

const Key* findKey(std::string_view name) {
  for (const Key& key : schema()) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

bool isTable(std::string_view name) {
  return std::any_of(schema().begin(), schema().end(),
                     [name](const Key& key) { return key.table() == name; });
}

std::string joined(const std::vector<std::string_view>& parts, std::string_view separator) {
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// Completes "expected ..." in error messages.
std::string expectation(const Key& key) {
  switch (key.kind) {
    case Kind::kBool:
      return "true or false";
    case Kind::kInt:
      return "an integer from " + std::to_string(key.min) + " to " + std::to_string(key.max);
    case Kind::kEnum:
      return "one of " + joined(key.choices, ", ");
    case Kind::kIpAddress:
      return "an IPv4 or IPv6 address";
    case Kind::kString:
    case Kind::kPath:
    case Kind::kFile:
    case Kind::kDirectory:
    case Kind::kSecret:
      return "a string";
  }
  return "a value";
}

// Levenshtein distance, for "did you mean" on unknown keys; the schema is small enough to scan.
std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestionFor(std::string_view name) {
  // Two edits catch a transposition or a missing letter without suggesting unrelated keys.
  constexpr std::size_t kMaxEdits = 2;
  const Key* best = nullptr;
  std::size_t best_distance = kMaxEdits + 1;
  for (const Key& key : schema()) {
    std::size_t distance = editDistance(name, key.name);
    if (distance < best_distance) {
      best = &key;
      best_distance = distance;
    }
  }
  return best == nullptr ? "" : "; did you mean '" + best->name + "'?";
}

// Where a value came from, for the parenthesis at the end of an error message.
std::string fileOrigin(const std::string& path, const toml::node& node) {
  return "in " + path + ", line " + std::to_string(node.source().begin.line);
}

[[noreturn]] void fail(std::string_view key, std::string_view reason, std::string_view origin) {
  std::string message = "config key '" + std::string(key) + "': " + std::string(reason);
  if (!origin.empty()) message += " (" + std::string(origin) + ")";
  throw ConfigError(message);
}

// Checks what can be checked on the value alone, as soon as a layer sets it, so that the error
// points at the layer that set it. Checks that touch the file system wait for the final values.
void checkValue(const Key& key, const Value& value, std::string_view origin) {
  switch (key.kind) {
    case Kind::kInt: {
      std::int64_t number = std::get<std::int64_t>(value);
      if (number < key.min || number > key.max) {
        fail(key.name, "expected " + expectation(key) + ", got " + std::to_string(number), origin);
      }
      break;
    }
    case Kind::kEnum: {
      const std::string& text = std::get<std::string>(value);
      if (std::find(key.choices.begin(), key.choices.end(), text) == key.choices.end()) {
        fail(key.name, "expected " + expectation(key) + ", got '" + text + "'", origin);
      }
      break;
    }
    case Kind::kIpAddress: {
      const std::string& text = std::get<std::string>(value);
      boost::system::error_code error;
      boost::asio::ip::make_address(text, error);
      if (error) fail(key.name, "expected " + expectation(key) + ", got '" + text + "'", origin);
      break;
    }
    case Kind::kSecret: {
      std::size_t length = std::get<std::string>(value).size();
      if (length != 0 && length < kMinSecretLength) {
        fail(key.name,
             "must be empty (generated) or at least " + std::to_string(kMinSecretLength) +
                 " characters long, got " + std::to_string(length) + " characters",
             origin);
      }
      break;
    }
    case Kind::kBool:
    case Kind::kString:
    case Kind::kPath:
    case Kind::kFile:
    case Kind::kDirectory:
      break;
  }
}

std::string_view tomlTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// A TOML value must already have the key's type: "8080" for an integer key is a mistake we
// report rather than guess at.
Value fromToml(const Key& key, const toml::node& node, std::string_view origin) {
  std::optional<Value> value;
  if (key.kind == Kind::kBool) {
    if (const auto* boolean = node.as_boolean()) value = boolean->get();
  } else if (key.kind == Kind::kInt) {
    if (const auto* integer = node.as_integer()) value = integer->get();
  } else if (const auto* text = node.as_string()) {
    value = text->get();
  }
  if (!value) {
    fail(key.name, "expected " + expectation(key) + ", got " + std::string(tomlTypeName(node)),
         origin);
  }
  checkValue(key, *value, origin);
  return std::move(*value);
}

// Command-line text is parsed according to the key's type.
Value fromText(const Key& key, const std::string& text, std::string_view origin) {
  Value value;
  if (key.kind == Kind::kBool) {
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "true" || lower == "1" || lower == "yes") {
      value = true;
    } else if (lower == "false" || lower == "0" || lower == "no") {
      value = false;
    } else {
      fail(key.name, "expected true or false (or 1/0, yes/no), got '" + text + "'", origin);
    }
  } else if (key.kind == Kind::kInt) {
    std::int64_t number = 0;
    const char* end = text.data() + text.size();
    auto [ptr, error] = std::from_chars(text.data(), end, number);
    if (text.empty() || error != std::errc() || ptr != end) {
      fail(key.name, "expected " + expectation(key) + ", got '" + text + "'", origin);
    }
    value = number;
  } else {
    value = text;
  }
  checkValue(key, value, origin);
  return value;
}

// Opens `path` and reads it whole; returns the errno text on failure ("Is a directory" included,
// since fopen succeeds on a directory and only the read fails).
std::optional<std::string> readFile(const std::string& path, std::string* contents) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return std::strerror(errno);
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    if (contents != nullptr) contents->append(buffer, count);
  }
  if (std::ferror(file.get())) return std::strerror(errno);
  return std::nullopt;
}

struct Slot {
  Value value;
  std::string origin;
};

class Loader {
 public:
  explicit Loader(Mode mode) {
    for (const Key& key : schema()) slots_.push_back(Slot{key.defaultFor(mode), "default"});
  }

  void applyFile(const std::string& path) {
    std::string text;
    if (auto error = readFile(path, &text)) {
      throw ConfigError("config file " + path + ": cannot read: " + *error);
    }
    toml::table root;
    try {
      root = toml::parse(text, path);
    } catch (const toml::parse_error& error) {
      throw ConfigError("config file " + path + ": parse error at line " +
                        std::to_string(error.source().begin.line) + ", column " +
                        std::to_string(error.source().begin.column) + ": " +
                        std::string(error.description()));
    }
    for (const auto& [table_name, table_node] : root) {
      std::string table(table_name.str());
      const toml::table* entries = table_node.as_table();
      if (entries == nullptr) {
        if (isTable(table)) {
          throw ConfigError("config table '" + table + "': expected a table, got " +
                            std::string(tomlTypeName(table_node)) + " (" +
                            fileOrigin(path, table_node) + ")");
        }
        fail(table, "unknown key; keys belong in a table such as [server]",
             fileOrigin(path, table_node));
      }
      if (!isTable(table)) {
        throw ConfigError("config table '" + table + "': unknown table (" +
                          fileOrigin(path, table_node) + ")");
      }
      for (const auto& [key_name, node] : *entries) {
        std::string name = table + "." + std::string(key_name.str());
        std::string origin = fileOrigin(path, node);
        set(name, [&](const Key& key) { return fromToml(key, node, origin); }, origin);
      }
    }
  }

  void applyOverride(const std::string& name, const std::string& text) {
    std::string origin = "from --" + name;
    set(name, [&](const Key& key) { return fromText(key, text, origin); }, origin);
  }

  Config finish() const {
    for (std::size_t i = 0; i < schema().size(); ++i) checkFinal(schema()[i], slots_[i]);
    requireTogether("http.tls_cert", "http.tls_key");
    requireTogether("xmpp.tls_cert", "xmpp.tls_key");
    Config config{};
    for (std::size_t i = 0; i < schema().size(); ++i) schema()[i].set(config, slots_[i].value);
    return config;
  }

 private:
  void set(const std::string& name, const std::function<Value(const Key&)>& parse,
           const std::string& origin) {
    const Key* key = findKey(name);
    if (key == nullptr) fail(name, "unknown key (" + origin + ")" + suggestionFor(name), "");
    auto index = static_cast<std::size_t>(key - schema().data());
    slots_[index] = Slot{parse(*key), origin};
  }

  const Slot& slot(std::string_view name) const {
    return slots_[static_cast<std::size_t>(findKey(name) - schema().data())];
  }

  // The checks that look at the file system run once, on the value that will be used.
  static void checkFinal(const Key& key, const Slot& slot) {
    if (key.kind == Kind::kFile) {
      const std::string& path = std::get<std::string>(slot.value);
      if (path.empty()) return;
      if (auto error = readFile(path, nullptr)) {
        fail(key.name, "cannot read '" + path + "': " + *error, slot.origin);
      }
    } else if (key.kind == Kind::kDirectory) {
      const std::string& path = std::get<std::string>(slot.value);
      std::error_code error;
      auto status = std::filesystem::status(path, error);
      if (error) {
        fail(key.name, "expected an existing directory, cannot open '" + path + "': " +
                           error.message(), slot.origin);
      }
      if (!std::filesystem::is_directory(status)) {
        fail(key.name, "expected an existing directory, '" + path + "' is not a directory",
             slot.origin);
      }
    }
  }

  // Both set or both empty; the error names the one that is missing.
  void requireTogether(std::string_view first, std::string_view second) const {
    bool has_first = !std::get<std::string>(slot(first).value).empty();
    bool has_second = !std::get<std::string>(slot(second).value).empty();
    if (has_first && !has_second) {
      fail(second, "must be set when " + std::string(first) + " is (both or neither)",
           std::string(first) + " is set " + slot(first).origin);
    }
    if (has_second && !has_first) {
      fail(first, "must be set when " + std::string(second) + " is (both or neither)",
           std::string(second) + " is set " + slot(second).origin);
    }
  }

  std::vector<Slot> slots_;  // parallel to schema()
};

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string tomlString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string tomlValue(const Value& value) {
  if (const bool* boolean = std::get_if<bool>(&value)) return *boolean ? "true" : "false";
  if (const auto* number = std::get_if<std::int64_t>(&value)) return std::to_string(*number);
  return tomlString(std::get<std::string>(value));
}

// "integer 0..65535", "one of ...": the type line of --help and of exampleToml().
std::string typeSummary(const Key& key) {
  switch (key.kind) {
    case Kind::kBool:
      return "true or false";
    case Kind::kInt:
      return "integer " + std::to_string(key.min) + ".." + std::to_string(key.max);
    case Kind::kEnum:
      return "one of " + joined(key.choices, ", ");
    case Kind::kIpAddress:
      return "IPv4 or IPv6 address";
    case Kind::kString:
      return "string";
    case Kind::kPath:
      return "path";
    case Kind::kFile:
      return "path to a readable file, or empty";
    case Kind::kDirectory:
      return "path to an existing directory";
    case Kind::kSecret:
      return "empty, or at least " + std::to_string(kMinSecretLength) + " characters";
  }
  return "";
}

std::string typePlaceholder(const Key& key) {
  switch (key.kind) {
    case Kind::kBool:
      return "BOOL";
    case Kind::kInt:
      return "INT";
    case Kind::kEnum:
      return joined(key.choices, "|");
    case Kind::kIpAddress:
      return "ADDRESS";
    case Kind::kString:
      return "TEXT";
    case Kind::kSecret:
      return "TOKEN";
    case Kind::kPath:
    case Kind::kFile:
      return "PATH";
    case Kind::kDirectory:
      return "DIR";
  }
  return "VALUE";
}

std::string helpText(const Key& key) {
  std::string text = key.description + " [" + typeSummary(key) + "; default ";
  if (key.serve_default == key.demo_default) {
    text += tomlValue(key.serve_default);
  } else {
    text += tomlValue(key.serve_default) + " (serve), " + tomlValue(key.demo_default) + " (demo)";
  }
  return text + "]";
}

// Appends `text` as "# " comment lines no wider than the style guide's 100 columns.
void appendComment(std::string& out, std::string_view text) {
  constexpr std::size_t kWidth = 100 - 2;
  std::string line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > kWidth) {
      out += "# " + line + "\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
    start = end + 1;
  }
  if (!line.empty()) out += "# " + line + "\n";
}

}  // namespace

void ConfigOverrides::registerOptions(CLI::App& app) {
  for (const Key& key : schema()) {
    // trigger_on_parse runs the callback at each occurrence, so values_ keeps command-line order
    // and a repeated key is recorded each time (the last one wins in loadConfig).
    app.add_option_function<std::string>(
           "--" + key.name,
           [this, name = key.name](const std::string& text) { values_.emplace_back(name, text); },
           helpText(key))
        ->type_name(typePlaceholder(key))
        ->group("Configuration (any key of the config file)")
        ->trigger_on_parse();
  }
}

Config loadConfig(Mode mode, const std::string& file_path,
                  const std::vector<std::pair<std::string, std::string>>& overrides) {
  Loader loader(mode);
  if (!file_path.empty()) loader.applyFile(file_path);
  for (const auto& [name, text] : overrides) loader.applyOverride(name, text);
  return loader.finish();
}

std::string exampleToml(Mode mode) {
  std::string out;
  appendComment(out, std::string("throng configuration for `throng ") +
                         (mode == Mode::kDemo ? "demo" : "serve") +
                         "`. Every key is optional; the values below are the defaults. Any key "
                         "can also be set on the command line as --<table>.<key> VALUE, which "
                         "wins over this file.");
  std::string_view table;
  for (const Key& key : schema()) {
    if (key.table() != table) {
      table = key.table();
      out += "\n[" + std::string(table) + "]\n";
    } else {
      out += "\n";
    }
    appendComment(out, key.description + " [" + typeSummary(key) + "]");
    out += std::string(key.field()) + " = " + tomlValue(key.defaultFor(mode)) + "\n";
  }
  return out;
}

}  // namespace throng::server
