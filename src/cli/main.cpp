// throng's command line. Only argument handling lives here; everything else is in
// src/server (the composition root).
//
//   throng serve [--config FILE] [--ready-file PATH] [--<table>.<key> VALUE ...]
//   throng demo  [same options]      embedded defaults, demo event, prints the URL to open
//   throng config example [--demo]   prints every configuration key as commented TOML
//   throng user add|passwd|del NAME, throng user list   chat accounts (user_command.h)
//   throng bench chat [options]      chat load generator (bench_command.h)
//   throng record export DIR -o F    a recording to WebM or MP4 (record_command.h)
//   throng version
#include "cli/bench_command.h"
#include "cli/record_command.h"
#include "cli/user_command.h"
#include "server/config.h"
#include "server/runtime.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace {

constexpr const char* kVersion = "0.1.0";

struct RunOptions {
  std::string config_file;
  std::string ready_file;
  throng::server::ConfigOverrides overrides;
};

void addRunOptions(CLI::App& command, RunOptions& options) {
  command.add_option("-c,--config", options.config_file, "TOML configuration file")
      ->check(CLI::ExistingFile);
  command.add_option("--ready-file", options.ready_file,
                     "Write a JSON file with every bound listener once the server is ready");
  options.overrides.registerOptions(command);
}

int run(throng::server::Mode mode, RunOptions& options) {
  using namespace throng::server;
  Config config;
  try {
    config = loadConfig(mode, options.config_file, options.overrides.values());
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "throng: %s\n", e.what());
    return 2;
  }
  try {
    Runtime runtime(std::move(config), mode, options.ready_file);
    runtime.start();
    return runtime.waitForShutdown();
  } catch (const StartupError& e) {
    std::fprintf(stderr, "throng: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "throng: cannot start: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"throng: the live-event server (WebRTC and LL-HLS delivery, XMPP chat)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);

  RunOptions serve_options;
  auto* serve = app.add_subcommand("serve", "Run the server from a configuration file");
  addRunOptions(*serve, serve_options);

  RunOptions demo_options;
  auto* demo = app.add_subcommand(
      "demo", "Run with embedded defaults (data in ./throng-data, a demo event) on 127.0.0.1");
  addRunOptions(*demo, demo_options);

  auto* config = app.add_subcommand("config", "Configuration helpers");
  config->require_subcommand(1);
  bool example_demo = false;
  auto* example = config->add_subcommand("example", "Print every key as commented TOML");
  example->add_flag("--demo", example_demo, "Show the defaults of `throng demo`");

  throng::cli::UserCommand user_command(app);
  throng::cli::BenchCommand bench_command(app);
  throng::cli::RecordCommand record_command(app);

  app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand("version")) {
    std::printf("throng %s\n", kVersion);
    return 0;
  }
  if (example->parsed()) {
    std::fputs(throng::server::exampleToml(example_demo ? throng::server::Mode::kDemo
                                                        : throng::server::Mode::kServe)
                   .c_str(),
               stdout);
    return 0;
  }
  if (user_command.parsed()) return user_command.run();
  if (bench_command.parsed()) return bench_command.run();
  if (record_command.parsed()) return record_command.run();
  if (serve->parsed()) return run(throng::server::Mode::kServe, serve_options);
  return run(throng::server::Mode::kDemo, demo_options);
}
