// Small text utilities for the SDP parser and answer builder: tokens, numbers, ASCII case.
// Internal to src/rtc.
#pragma once

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::rtc::sdp_text {

inline bool isSpace(char c) {
  return c == ' ' || c == '\t';
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The next space-separated token of `rest` (empty at the end); `rest` moves past it.
inline std::string_view nextToken(std::string_view& rest) {
  rest = trim(rest);
  const auto end =
      static_cast<std::size_t>(std::find_if(rest.begin(), rest.end(), isSpace) - rest.begin());
  const std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  return token;
}

// All tokens; callers bound the input (a line is at most kSdpMaxValueSize bytes).
inline std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  for (auto t = nextToken(s); !t.empty(); t = nextToken(s)) out.push_back(t);
  return out;
}

// A decimal number that is all of `s` (no sign, no spaces) and fits T.
template <class T>
std::optional<T> parseNumber(std::string_view s) {
  T value{};
  if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

inline char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
inline char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

inline std::string toLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

inline std::string toUpper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

}  // namespace throng::rtc::sdp_text
