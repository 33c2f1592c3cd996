#include "support/shell.h"

#include <array>
#include <cstdio>

namespace throng::testing {

std::string runCommand(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  ::pclose(pipe);
  return out;
}

SelfSignedCert makeSelfSignedCert(const std::filesystem::path& dir) {
  SelfSignedCert pair{(dir / "cert.pem").string(), (dir / "key.pem").string()};
  runCommand("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
             "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout " + pair.key + " -out " + pair.cert + " 2>&1");
  return pair;
}

}  // namespace throng::testing
