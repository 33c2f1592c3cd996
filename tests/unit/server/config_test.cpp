#include "server/config.h"

#include "support/temp_dir.h"

#include <CLI/CLI.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace throng::server {
namespace {

using ::testing::HasSubstr;
using Overrides = std::vector<std::pair<std::string, std::string>>;

// Every key of the schema, as the brief for `throng serve` lists them.
const std::vector<std::string> kAllKeys = {
    "server.workers",         "server.data_dir",
    "server.drain_timeout_ms", "server.public_url",
    "log.level",              "http.bind",
    "http.port",              "http.tls_cert",
    "http.tls_key",           "http.web_root",
    "http.max_request_line_bytes", "http.max_header_bytes",
    "http.max_body_bytes",    "http.header_timeout_ms",
    "http.body_timeout_ms",   "http.idle_timeout_ms",
    "http.max_connections",   "control.bind",
    "control.port",           "control.admin_token",
    "storage.path",           "storage.synchronous",
    "metrics.sample_interval_ms", "metrics.retention_hours",
    "debug.busy_route",
};

std::string writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

// The ConfigError message `load` throws, or a marker that fails every HasSubstr.
std::string errorOf(const std::function<void()>& load) {
  try {
    load();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "<no ConfigError thrown>";
}

std::string overrideError(const Overrides& overrides) {
  return errorOf([&] { loadConfig(Mode::kServe, "", overrides); });
}

class ConfigFileTest : public ::testing::Test {
 protected:
  std::string fileError(const std::string& toml) {
    std::string path = writeFile(dir_ / "throng.toml", toml);
    return errorOf([&] { loadConfig(Mode::kServe, path, {}); });
  }
  Config loadFile(const std::string& toml, const Overrides& overrides = {}) {
    return loadConfig(Mode::kServe, writeFile(dir_ / "throng.toml", toml), overrides);
  }

  testing::TempDir dir_;
};

TEST(ConfigDefaults, ServeMode) {
  Config config = loadConfig(Mode::kServe, "", {});
  EXPECT_EQ(config.server.workers, 0);
  EXPECT_EQ(config.server.data_dir, "./throng-data");
  EXPECT_EQ(config.server.drain_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(config.server.public_url, "");
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.http.bind, "0.0.0.0");
  EXPECT_EQ(config.http.port, 8080);
  EXPECT_EQ(config.http.tls_cert, "");
  EXPECT_EQ(config.http.tls_key, "");
  EXPECT_EQ(config.http.web_root, THRONG_SOURCE_DIR "/web");
  EXPECT_EQ(config.http.max_request_line_bytes, 8192u);
  EXPECT_EQ(config.http.max_header_bytes, 16384u);
  EXPECT_EQ(config.http.max_body_bytes, 1048576u);
  EXPECT_EQ(config.http.header_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(config.http.body_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(config.http.idle_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(config.http.max_connections, 100000);
  EXPECT_EQ(config.control.bind, "127.0.0.1");
  EXPECT_EQ(config.control.port, 9090);
  EXPECT_EQ(config.control.admin_token, "");
  EXPECT_EQ(config.storage.path, "");
  EXPECT_EQ(config.storage.synchronous, "normal");
  EXPECT_EQ(config.metrics.sample_interval, std::chrono::milliseconds(5000));
  EXPECT_EQ(config.metrics.retention, std::chrono::hours(168));
  EXPECT_FALSE(config.debug.busy_route);
}

TEST(ConfigDefaults, DemoModeBindsLoopback) {
  Config config = loadConfig(Mode::kDemo, "", {});
  EXPECT_EQ(config.http.bind, "127.0.0.1");
  EXPECT_EQ(config.http.port, 8080);
  EXPECT_EQ(config.control.bind, "127.0.0.1");
}

TEST_F(ConfigFileTest, FileValuesAreApplied) {
  Config config = loadFile(R"(
[server]
workers = 4
drain_timeout_ms = 2500
public_url = "https://live.example.org"

[log]
level = "debug"

[http]
bind = "::1"
port = 0
max_body_bytes = 0
idle_timeout_ms = 1000

[control]
admin_token = "0123456789abcdef0123"

[storage]
synchronous = "full"

[metrics]
retention_hours = 24

[debug]
busy_route = true
)");
  EXPECT_EQ(config.server.workers, 4);
  EXPECT_EQ(config.server.drain_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(config.server.public_url, "https://live.example.org");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.http.bind, "::1");
  EXPECT_EQ(config.http.port, 0);
  EXPECT_EQ(config.http.max_body_bytes, 0u);
  EXPECT_EQ(config.http.idle_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(config.control.admin_token, "0123456789abcdef0123");
  EXPECT_EQ(config.storage.synchronous, "full");
  EXPECT_EQ(config.metrics.retention, std::chrono::hours(24));
  EXPECT_TRUE(config.debug.busy_route);
  // Untouched keys keep their defaults.
  EXPECT_EQ(config.control.port, 9090);
  EXPECT_EQ(config.http.header_timeout, std::chrono::milliseconds(10000));
}

TEST_F(ConfigFileTest, OverridesWinOverFile) {
  Config config = loadFile("[http]\nport = 1234\nbind = \"10.0.0.1\"\n",
                           {{"http.port", "4321"}, {"log.level", "warn"}});
  EXPECT_EQ(config.http.port, 4321);
  EXPECT_EQ(config.http.bind, "10.0.0.1");
  EXPECT_EQ(config.log.level, "warn");
}

TEST(ConfigOverridesLoad, LastRepeatedOverrideWins) {
  Config config = loadConfig(Mode::kServe, "", {{"http.port", "1"}, {"http.port", "2"}});
  EXPECT_EQ(config.http.port, 2);
}

TEST(ConfigOverridesLoad, DurationsAndSizesParseFromText) {
  Config config = loadConfig(Mode::kServe, "",
                             {{"metrics.sample_interval_ms", "500"},
                              {"metrics.retention_hours", "8760"},
                              {"http.max_header_bytes", "1048576"}});
  EXPECT_EQ(config.metrics.sample_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(config.metrics.retention, std::chrono::hours(8760));
  EXPECT_EQ(config.http.max_header_bytes, 1048576u);
}

TEST_F(ConfigFileTest, IntegerOutOfRangeInFile) {
  EXPECT_THAT(fileError("[http]\nport = 70000\n"),
              HasSubstr("config key 'http.port': expected an integer from 0 to 65535, got 70000"));
  EXPECT_THAT(fileError("[http]\nport = 70000\n"), HasSubstr("throng.toml, line 2"));
  EXPECT_THAT(fileError("[server]\nworkers = -1\n"),
              HasSubstr("config key 'server.workers': expected an integer from 0 to 256, got -1"));
}

TEST(ConfigErrors, IntegerOutOfRangeOnCommandLine) {
  std::string message = overrideError({{"http.header_timeout_ms", "99"}});
  EXPECT_THAT(message, HasSubstr("config key 'http.header_timeout_ms': expected an integer from "
                                 "100 to 600000, got 99"));
  EXPECT_THAT(message, HasSubstr("from --http.header_timeout_ms"));
}

TEST(ConfigErrors, IntegerNotANumberOnCommandLine) {
  EXPECT_THAT(overrideError({{"http.port", "80x"}}),
              HasSubstr("config key 'http.port': expected an integer from 0 to 65535, got '80x'"));
  EXPECT_THAT(overrideError({{"http.port", ""}}), HasSubstr("got ''"));
  EXPECT_THAT(overrideError({{"http.port", "99999999999999999999999"}}),
              HasSubstr("config key 'http.port': expected an integer"));
}

TEST_F(ConfigFileTest, TypeMismatchIsAnError) {
  EXPECT_THAT(fileError("[http]\nport = \"8080\"\n"),
              HasSubstr("config key 'http.port': expected an integer from 0 to 65535, got a "
                        "string"));
  EXPECT_THAT(fileError("[http]\nport = 8080.0\n"), HasSubstr("got a floating-point number"));
  EXPECT_THAT(fileError("[debug]\nbusy_route = \"true\"\n"),
              HasSubstr("config key 'debug.busy_route': expected true or false, got a string"));
  EXPECT_THAT(fileError("[http]\nbind = 127\n"),
              HasSubstr("config key 'http.bind': expected an IPv4 or IPv6 address, got an "
                        "integer"));
}

TEST_F(ConfigFileTest, UnknownKeyNamesItAndTheFile) {
  std::string message = fileError("[http]\nprot = 80\n");
  EXPECT_THAT(message, HasSubstr("config key 'http.prot': unknown key (in " +
                                 (dir_ / "throng.toml").string()));
  EXPECT_THAT(message, HasSubstr("did you mean 'http.port'?"));
}

TEST_F(ConfigFileTest, UnknownTableAndStrayRootKey) {
  EXPECT_THAT(fileError("[htttp]\nport = 80\n"),
              HasSubstr("config table 'htttp': unknown table (in "));
  EXPECT_THAT(fileError("workers = 4\n"), HasSubstr("config key 'workers': unknown key"));
  EXPECT_THAT(fileError("[http.tls]\ncert = \"x\"\n"), HasSubstr("config key 'http.tls'"));
  EXPECT_THAT(fileError("[[http]]\nport = 1\n"),
              HasSubstr("config table 'http': expected a table, got an array"));
}

TEST(ConfigErrors, UnknownOverrideKey) {
  EXPECT_THAT(overrideError({{"http.prot", "1"}}),
              HasSubstr("config key 'http.prot': unknown key (from --http.prot)"));
}

TEST_F(ConfigFileTest, ParseErrorGivesLineAndColumn) {
  std::string message = fileError("[http]\nport = 1\nbind = = 2\n");
  EXPECT_THAT(message, HasSubstr("config file " + (dir_ / "throng.toml").string() +
                                 ": parse error at line 3, column"));
}

TEST(ConfigErrors, MissingConfigFile) {
  EXPECT_THAT(errorOf([] { loadConfig(Mode::kServe, "/nonexistent/throng.toml", {}); }),
              HasSubstr("config file /nonexistent/throng.toml: cannot read: No such file or "
                        "directory"));
}

TEST(ConfigErrors, BadIpAddress) {
  EXPECT_THAT(overrideError({{"http.bind", "localhost"}}),
              HasSubstr("config key 'http.bind': expected an IPv4 or IPv6 address, got "
                        "'localhost'"));
  EXPECT_THAT(overrideError({{"control.bind", "300.1.1.1"}}), HasSubstr("'control.bind'"));
}

TEST(ConfigErrors, EnumNotAChoice) {
  EXPECT_THAT(overrideError({{"log.level", "verbose"}}),
              HasSubstr("config key 'log.level': expected one of trace, debug, info, warn, "
                        "error, off, got 'verbose'"));
  EXPECT_THAT(overrideError({{"storage.synchronous", "extra"}}),
              HasSubstr("config key 'storage.synchronous': expected one of normal, full"));
}

TEST(ConfigErrors, ShortAdminTokenIsRejectedWithoutEchoingIt) {
  std::string message = overrideError({{"control.admin_token", "hunter2"}});
  EXPECT_THAT(message, HasSubstr("config key 'control.admin_token': must be empty"));
  EXPECT_THAT(message, HasSubstr("at least 16 characters"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("hunter2")));
}

TEST(ConfigParsing, BoolAcceptsCommonSpellings) {
  for (const char* yes : {"true", "1", "yes", "TRUE", "Yes"}) {
    EXPECT_TRUE(loadConfig(Mode::kServe, "", {{"debug.busy_route", yes}}).debug.busy_route) << yes;
  }
  for (const char* no : {"false", "0", "no", "False"}) {
    EXPECT_FALSE(loadConfig(Mode::kServe, "", {{"debug.busy_route", "true"},
                                               {"debug.busy_route", no}})
                     .debug.busy_route)
        << no;
  }
  EXPECT_THAT(overrideError({{"debug.busy_route", "maybe"}}),
              HasSubstr("config key 'debug.busy_route': expected true or false"));
}

TEST(ConfigParsing, EnumValues) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "off"}) {
    EXPECT_EQ(loadConfig(Mode::kServe, "", {{"log.level", level}}).log.level, level);
  }
  EXPECT_EQ(loadConfig(Mode::kServe, "", {{"storage.synchronous", "full"}}).storage.synchronous,
            "full");
}

TEST_F(ConfigFileTest, TlsNeedsBothCertAndKey) {
  std::string cert = writeFile(dir_ / "cert.pem", "cert");
  std::string key = writeFile(dir_ / "key.pem", "key");

  EXPECT_THAT(overrideError({{"http.tls_cert", cert}}),
              HasSubstr("config key 'http.tls_key': must be set when http.tls_cert is"));
  EXPECT_THAT(overrideError({{"http.tls_key", key}}),
              HasSubstr("config key 'http.tls_cert': must be set when http.tls_key is"));

  Config config = loadConfig(Mode::kServe, "", {{"http.tls_cert", cert}, {"http.tls_key", key}});
  EXPECT_EQ(config.http.tls_cert, cert);
  EXPECT_EQ(config.http.tls_key, key);
}

TEST(ConfigDefaults, XmppLimitsAndTimeouts) {
  Config config = loadConfig(Mode::kServe, "", {});
  EXPECT_EQ(config.xmpp.tls_cert, "");
  EXPECT_EQ(config.xmpp.tls_key, "");
  EXPECT_EQ(config.xmpp.rate_stanzas_per_second, 20);
  EXPECT_EQ(config.xmpp.rate_stanzas_burst, 50);
  EXPECT_EQ(config.xmpp.rate_bytes_per_second, 64 * 1024);
  EXPECT_EQ(config.xmpp.rate_bytes_burst, 256 * 1024);
  EXPECT_EQ(config.xmpp.idle_timeout, std::chrono::seconds(300));
  EXPECT_EQ(config.xmpp.ping_timeout, std::chrono::seconds(30));
  EXPECT_EQ(config.xmpp.fanout_flush, std::chrono::milliseconds(50));
}

TEST_F(ConfigFileTest, XmppTlsNeedsBothCertAndKey) {
  std::string cert = writeFile(dir_ / "cert.pem", "cert");
  std::string key = writeFile(dir_ / "key.pem", "key");
  EXPECT_THAT(overrideError({{"xmpp.tls_cert", cert}}),
              HasSubstr("config key 'xmpp.tls_key': must be set when xmpp.tls_cert is"));
  Config config = loadConfig(Mode::kServe, "", {{"xmpp.tls_cert", cert}, {"xmpp.tls_key", key}});
  EXPECT_EQ(config.xmpp.tls_cert, cert);
  EXPECT_EQ(config.xmpp.tls_key, key);
}

TEST_F(ConfigFileTest, XmppRatesAreBounded) {
  EXPECT_THAT(overrideError({{"xmpp.rate_bytes_per_second", "100"}}),
              HasSubstr("config key 'xmpp.rate_bytes_per_second': expected an integer from 1024"));
  EXPECT_THAT(overrideError({{"xmpp.ping_timeout_seconds", "0"}}),
              HasSubstr("config key 'xmpp.ping_timeout_seconds': expected an integer from 1"));
  EXPECT_EQ(loadConfig(Mode::kServe, "", {{"xmpp.idle_timeout_seconds", "60"}}).xmpp.idle_timeout,
            std::chrono::seconds(60));
}

TEST_F(ConfigFileTest, FanOutFlushIsBoundedAndZeroTurnsItOff) {
  EXPECT_THAT(overrideError({{"xmpp.fanout_flush_ms", "-1"}}),
              HasSubstr("config key 'xmpp.fanout_flush_ms': expected an integer from 0 to 1000"));
  EXPECT_THAT(overrideError({{"xmpp.fanout_flush_ms", "5000"}}),
              HasSubstr("config key 'xmpp.fanout_flush_ms': expected an integer from 0 to 1000"));
  EXPECT_EQ(loadConfig(Mode::kServe, "", {{"xmpp.fanout_flush_ms", "0"}}).xmpp.fanout_flush,
            std::chrono::milliseconds(0));
}

TEST_F(ConfigFileTest, TlsFilesMustBeReadable) {
  std::string key = writeFile(dir_ / "key.pem", "key");
  EXPECT_THAT(overrideError({{"http.tls_cert", "/nope.pem"}, {"http.tls_key", key}}),
              HasSubstr("config key 'http.tls_cert': cannot read '/nope.pem': No such file or "
                        "directory"));
  EXPECT_THAT(overrideError({{"http.tls_cert", key}, {"http.tls_key", dir_.path().string()}}),
              HasSubstr("config key 'http.tls_key': cannot read '" + dir_.path().string() +
                        "': Is a directory"));
}

TEST_F(ConfigFileTest, WebRootMustBeADirectory) {
  std::string file = writeFile(dir_ / "index.html", "<html>");
  EXPECT_THAT(overrideError({{"http.web_root", file}}),
              HasSubstr("config key 'http.web_root': expected an existing directory, '" + file +
                        "' is not a directory"));
  EXPECT_THAT(overrideError({{"http.web_root", (dir_ / "missing").string()}}),
              HasSubstr("config key 'http.web_root': expected an existing directory"));
  EXPECT_EQ(loadConfig(Mode::kServe, "", {{"http.web_root", dir_.path().string()}}).http.web_root,
            dir_.path().string());
}

TEST_F(ConfigFileTest, FileChecksApplyToTheFinalValueOnly) {
  // A bad web_root in the file is fine once the command line replaces it.
  Config config = loadFile("[http]\nweb_root = \"/nonexistent\"\n",
                           {{"http.web_root", dir_.path().string()}});
  EXPECT_EQ(config.http.web_root, dir_.path().string());
}

TEST(ConfigCommandLine, OptionBecomesOverride) {
  CLI::App app("throng");
  ConfigOverrides overrides;
  overrides.registerOptions(app);
  const char* argv[] = {"prog", "--http.port", "0"};
  app.parse(3, argv);
  EXPECT_EQ(overrides.values(), (Overrides{{"http.port", "0"}}));
  EXPECT_EQ(loadConfig(Mode::kServe, "", overrides.values()).http.port, 0);
}

TEST(ConfigCommandLine, KeepsCommandLineOrderAndRepeats) {
  CLI::App app("throng");
  ConfigOverrides overrides;
  overrides.registerOptions(app);
  // log.level comes before http.port in the schema; the command line order must be kept.
  const char* argv[] = {"prog", "--http.port=1", "--log.level", "debug", "--http.port", "2"};
  app.parse(6, argv);
  EXPECT_EQ(overrides.values(),
            (Overrides{{"http.port", "1"}, {"log.level", "debug"}, {"http.port", "2"}}));
  EXPECT_EQ(loadConfig(Mode::kServe, "", overrides.values()).http.port, 2);
}

TEST(ConfigCommandLine, HelpDocumentsEveryKey) {
  CLI::App app("throng");
  ConfigOverrides overrides;
  overrides.registerOptions(app);
  std::string help = app.help();
  for (const std::string& key : kAllKeys) EXPECT_THAT(help, HasSubstr("--" + key + " ")) << key;
  EXPECT_THAT(help, HasSubstr("integer 0..65535; default 8080"));
  EXPECT_THAT(help, HasSubstr("default \"0.0.0.0\" (serve), \"127.0.0.1\" (demo)"));
}

TEST_F(ConfigFileTest, ExampleTomlLoadsBackAsTheDefaults) {
  for (Mode mode : {Mode::kServe, Mode::kDemo}) {
    std::string example = exampleToml(mode);
    for (const std::string& key : kAllKeys) {
      EXPECT_THAT(example, HasSubstr("\n" + key.substr(key.find('.') + 1) + " = ")) << key;
    }
    Config from_file = loadConfig(mode, writeFile(dir_ / "example.toml", example), {});
    Config defaults = loadConfig(mode, "", {});
    EXPECT_EQ(from_file.http.bind, defaults.http.bind);
    EXPECT_EQ(from_file.http.web_root, defaults.http.web_root);
    EXPECT_EQ(from_file.server.data_dir, defaults.server.data_dir);
    EXPECT_EQ(from_file.metrics.retention, defaults.metrics.retention);
  }
  EXPECT_THAT(exampleToml(Mode::kDemo), HasSubstr("bind = \"127.0.0.1\""));
}

}  // namespace
}  // namespace throng::server
