// Fuzzes the HTTP request-target parser (src/proto/request_target.h): it must never crash,
// and whatever it accepts must be a normalized path with no ".." segment and no NUL.
#include "proto/request_target.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto target = throng::proto::parseRequestTarget(input);
  if (!target) return 0;
  const auto& path = target->path;
  if (path.empty() || path.front() != '/') std::abort();
  if (path.find('\0') != std::string::npos) std::abort();
  if (path == "/.." || path.find("/../") != std::string::npos ||
      (path.size() >= 3 && path.ends_with("/.."))) {
    std::abort();
  }
  return 0;
}
