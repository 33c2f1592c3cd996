// Optional TLS on the public port, from configured certificate files, checked with curl.
#include "support/server_process.h"
#include "support/shell.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>

namespace throng::testing {
namespace {

TEST(Tls, ServesHttpsFromConfiguredCertificate) {
  TempDir dir;
  const auto [cert, key] = makeSelfSignedCert(dir.path());
  ServerProcess::Options options;
  options.extra_toml["http.tls_cert"] = "\"" + cert + "\"";
  options.extra_toml["http.tls_key"] = "\"" + key + "\"";
  ServerProcess server(options);
  server.start();
  EXPECT_EQ(server.ready()["http"]["tls"], true);
  const auto port = std::to_string(server.httpPort());
  const auto body = runCommand("curl -sS --max-time 5 --cacert " + cert +
                        " --resolve localhost:" + port + ":127.0.0.1 https://localhost:" + port +
                        "/api/public/events 2>&1");
  EXPECT_EQ(body, "[]") << body;
  // Plain HTTP on the TLS port gets nowhere (and does not crash anything).
  const auto plain = runCommand("curl -sS --max-time 3 http://127.0.0.1:" + port + "/ 2>&1");
  EXPECT_EQ(plain.find("<title>"), std::string::npos);
  const auto again = runCommand("curl -sS --max-time 5 --cacert " + cert + " --resolve localhost:" +
                         port + ":127.0.0.1 https://localhost:" + port + "/api/public/events");
  EXPECT_EQ(again, "[]");
}

}  // namespace
}  // namespace throng::testing
