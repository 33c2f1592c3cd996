// Running tools the tests drive as real peers (openssl, curl), and the certificate they share.
#pragma once

#include <filesystem>
#include <string>

namespace throng::testing {

// Runs `command` through /bin/sh and returns its standard output (what it writes to stderr
// too, when the command redirects it with 2>&1).
std::string runCommand(const std::string& command);

// A throwaway self-signed P-256 certificate for CN=localhost, with subjectAltName DNS:localhost, valid one day, written to
// dir/cert.pem and dir/key.pem.
struct SelfSignedCert {
  std::string cert;
  std::string key;
};
SelfSignedCert makeSelfSignedCert(const std::filesystem::path& dir);

}  // namespace throng::testing
