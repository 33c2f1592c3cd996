#include "server/ready_file.h"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

namespace throng::server {

void writeReadyFile(const std::filesystem::path& path, const nlohmann::json& content) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content.dump(2) << '\n';
    if (!out) throw std::runtime_error(fmt::format("cannot write ready file {}", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot write ready file {}: {}", path.string(), ec.message()));
  }
}

}  // namespace throng::server
