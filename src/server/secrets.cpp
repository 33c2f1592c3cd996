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

std::string loadOrCreateAdminToken(const std::filesystem::path& data_dir,
                                   const std::string& configured) {
  if (!configured.empty()) return configured;
  const auto path = adminTokenPath(data_dir);
  if (std::ifstream in(path); in) {
    std::string token;
    std::getline(in, token);
    if (token.size() >= 16) return token;
    throw std::runtime_error(fmt::format("{}: admin token is shorter than 16 characters",
                                         path.string()));
  }
  const std::string token = randomHexToken(16);
  // O_EXCL: never overwrite a token another process just wrote; 0600: only the owner reads it.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
  const std::string line = token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
  return token;
}

}  // namespace throng::server
