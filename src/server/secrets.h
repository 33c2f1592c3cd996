// Secrets kept in the data directory (mode 0600). They are never logged; logs name the file.
#pragma once

#include <filesystem>
#include <string>

namespace throng::server {

// Returns the admin token: `configured` if non-empty, else the one in <data_dir>/admin-token,
// creating it (128 random bits, hex) on first start. Throws std::runtime_error if the file
// cannot be read or written.
std::string loadOrCreateAdminToken(const std::filesystem::path& data_dir,
                                   const std::string& configured);

// The key of the XEP-0421 occupant ids (<data_dir>/occupant-id-secret, 256 random bits, made
// on first start): kept so that an occupant's id, and with it the right to correct or retract
// their own messages, survives a restart.
std::string loadOrCreateOccupantIdSecret(const std::filesystem::path& data_dir);

std::filesystem::path adminTokenPath(const std::filesystem::path& data_dir);

}  // namespace throng::server
