#include "proto/request_target.h"

namespace throng::proto {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

std::optional<std::string> percentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hexValue(in[i + 1]);
      const int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (isControl(static_cast<unsigned char>(c))) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::optional<std::string_view> RequestTarget::param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<RequestTarget> parseRequestTarget(std::string_view target, std::size_t max_params) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  const auto qpos = target.find('?');
  std::string_view raw_path = target.substr(0, qpos);
  std::string_view raw_query = qpos == std::string_view::npos ? "" : target.substr(qpos + 1);
  // A fragment never belongs in a request-target (RFC 9112 §3.2).
  if (target.find('#') != std::string_view::npos) return std::nullopt;

  RequestTarget out;
  // Decode segment by segment so that "%2F" cannot forge a segment boundary.
  std::size_t start = 1;
  out.path = "/";
  while (start <= raw_path.size()) {
    auto end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    auto segment = percentDecode(raw_path.substr(start, end - start), false);
    if (!segment || segment->find('/') != std::string::npos) return std::nullopt;
    if (*segment == "..") return std::nullopt;
    const bool last = end == raw_path.size();
    if (*segment != ".") {
      out.path += *segment;
      if (!last) out.path += '/';
    }
    start = end + 1;
  }

  while (!raw_query.empty()) {
    auto amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? "" : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    if (out.query.size() >= max_params) return std::nullopt;
    auto eq = pair.find('=');
    auto key = percentDecode(pair.substr(0, eq), true);
    auto value = percentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    out.query.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace throng::proto
