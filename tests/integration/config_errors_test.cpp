// A bad configuration is refused at start, with the key and the reason, and exit status != 0.
#include "support/server_process.h"

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <fstream>

namespace throng::testing {
namespace {

std::string refusal(ServerProcess::Options options, int* status = nullptr) {
  ServerProcess server(std::move(options));
  std::string output;
  const int code = server.runExpectingExit(output);
  if (status) *status = code;
  EXPECT_NE(code, 0) << output;
  return output;
}

TEST(ConfigErrors, WrongTypeNamesTheKey) {
  ServerProcess::Options options;
  options.extra_toml["http.max_body_bytes"] = "\"lots\"";
  const auto out = refusal(options);
  EXPECT_NE(out.find("http.max_body_bytes"), std::string::npos) << out;
}

TEST(ConfigErrors, OutOfRangeNamesTheKey) {
  ServerProcess::Options options;
  options.extra_toml["server.workers"] = "100000";
  const auto out = refusal(options);
  EXPECT_NE(out.find("server.workers"), std::string::npos) << out;
}

TEST(ConfigErrors, UnknownKeyNamesTheKey) {
  ServerProcess::Options options;
  options.extra_toml["http.prot"] = "80";
  const auto out = refusal(options);
  EXPECT_NE(out.find("http.prot"), std::string::npos) << out;
}

TEST(ConfigErrors, CommandLineOverrideIsValidatedToo) {
  ServerProcess::Options options;
  options.extra_args = {"--http.port", "70000"};
  const auto out = refusal(options);
  EXPECT_NE(out.find("http.port"), std::string::npos) << out;
}

TEST(ConfigErrors, PortInUseNamesTheKey) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor holder(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  ServerProcess::Options options;
  options.extra_toml["http.port"] = std::to_string(holder.local_endpoint().port());
  int status = 0;
  const auto out = refusal(options, &status);
  EXPECT_NE(out.find("http.port"), std::string::npos) << out;
  EXPECT_NE(out.find("in use"), std::string::npos) << out;
}

TEST(ConfigErrors, UnreadableCertificateNamesTheKey) {
  ServerProcess::Options options;
  options.extra_toml["http.tls_cert"] = "\"/nonexistent/cert.pem\"";
  options.extra_toml["http.tls_key"] = "\"/nonexistent/key.pem\"";
  const auto out = refusal(options);
  EXPECT_NE(out.find("http.tls_cert"), std::string::npos) << out;
}

TEST(ConfigErrors, InvalidCertificateContentNamesTheKey) {
  TempDir dir;
  std::ofstream(dir / "cert.pem") << "not a certificate\n";
  std::ofstream(dir / "key.pem") << "not a key\n";
  ServerProcess::Options options;
  options.extra_toml["http.tls_cert"] = "\"" + (dir / "cert.pem").string() + "\"";
  options.extra_toml["http.tls_key"] = "\"" + (dir / "key.pem").string() + "\"";
  const auto out = refusal(options);
  EXPECT_NE(out.find("http.tls_cert"), std::string::npos) << out;
}

}  // namespace
}  // namespace throng::testing
