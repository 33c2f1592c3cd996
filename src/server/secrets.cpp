#include "server/secrets.h"

#include "base/random.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace throng::server {

std::filesystem::path adminTokenPath(const std::filesystem::path& data_dir) {
  return data_dir / "admin-token";
}

namespace {

// The secret in `path`, or a new one of `bytes` random bytes (hex) written there first.
std::string loadOrCreateHexSecret(const std::filesystem::path& path, std::size_t bytes,
                                  std::string_view what) {
  if (std::ifstream in(path); in) {
    std::string secret;
    std::getline(in, secret);
    if (secret.size() >= 16) return secret;
    throw std::runtime_error(
        fmt::format("{}: {} is shorter than 16 characters", path.string(), what));
  }
  const std::string secret = randomHexToken(bytes);
  // O_EXCL: never overwrite a secret another process just wrote; 0600: only the owner reads it.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
  const std::string line = secret + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
  return secret;
}

}  // namespace

std::string loadOrCreateAdminToken(const std::filesystem::path& data_dir,
                                   const std::string& configured) {
  if (!configured.empty()) return configured;
  return loadOrCreateHexSecret(adminTokenPath(data_dir), 16, "admin token");
}

std::string loadOrCreateOccupantIdSecret(const std::filesystem::path& data_dir) {
  return loadOrCreateHexSecret(data_dir / "occupant-id-secret", 32, "occupant id secret");
}

}  // namespace throng::server
