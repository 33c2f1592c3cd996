// Optional TLS on the public port, from configured certificate files, checked with curl.
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>

namespace throng::testing {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  ::pclose(pipe);
  return out;
}

TEST(Tls, ServesHttpsFromConfiguredCertificate) {
  TempDir dir;
  const auto cert = (dir / "cert.pem").string();
  const auto key = (dir / "key.pem").string();
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -keyout " + key + " -out " + cert + " 2>&1");
  ServerProcess::Options options;
  options.extra_toml["http.tls_cert"] = "\"" + cert + "\"";
  options.extra_toml["http.tls_key"] = "\"" + key + "\"";
  ServerProcess server(options);
  server.start();
  EXPECT_EQ(server.ready()["http"]["tls"], true);
  const auto port = std::to_string(server.httpPort());
  const auto body = run("curl -sS --max-time 5 --cacert " + cert +
                        " --resolve localhost:" + port + ":127.0.0.1 https://localhost:" + port +
                        "/api/public/events 2>&1");
  EXPECT_EQ(body, "[]") << body;
  // Plain HTTP on the TLS port gets nowhere (and does not crash anything).
  const auto plain = run("curl -sS --max-time 3 http://127.0.0.1:" + port + "/ 2>&1");
  EXPECT_EQ(plain.find("<title>"), std::string::npos);
  const auto again = run("curl -sS --max-time 5 --cacert " + cert + " --resolve localhost:" +
                         port + ":127.0.0.1 https://localhost:" + port + "/api/public/events");
  EXPECT_EQ(again, "[]");
}

}  // namespace
}  // namespace throng::testing
