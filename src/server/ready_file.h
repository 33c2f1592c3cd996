// The ready file (--ready-file PATH): written once every listener is bound, so that tests and
// tools find the ephemeral ports without parsing logs. Written to a temporary name and
// renamed, so a reader never sees half a file.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

namespace throng::server {

// Throws std::runtime_error naming the path if it cannot be written.
void writeReadyFile(const std::filesystem::path& path, const nlohmann::json& content);

}  // namespace throng::server
