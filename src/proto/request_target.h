// Parsing of an HTTP request-target (RFC 9112 §3.2, origin-form) into a normalized path and
// query parameters. Pure: bytes in, value or nothing out; fuzzed by fuzz/request_target_fuzz.cpp. Used by the HTTP layer (src/http).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace throng::proto {

struct RequestTarget {
  // Percent-decoded path, always starting with '/', with "." segments removed and repeated
  // slashes kept as they are. ".." segments are refused rather than resolved, so no path can
  // name anything above the root it is served from.
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  // The first value of query parameter `name`, if present.
  std::optional<std::string_view> param(std::string_view name) const;
};

// nullopt for anything that is not a plain origin-form target: no leading '/', a bad
// percent-escape, an encoded or raw NUL or control character, a ".." segment, an encoded '/'
// in the path (which would change segment boundaries), or more than `max_params` parameters.
std::optional<RequestTarget> parseRequestTarget(std::string_view target,
                                                std::size_t max_params = 64);

// Percent-decodes `in` (RFC 3986 §2.1); '+' becomes ' ' when `plus_is_space` (form encoding).
std::optional<std::string> percentDecode(std::string_view in, bool plus_is_space);

}  // namespace throng::proto
