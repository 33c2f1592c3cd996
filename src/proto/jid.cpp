#include "proto/jid.h"

#include "base/utf8.h"

#include <cassert>
#include <cstdint>

namespace throng::proto {

namespace {

// RFC 7622 §3.2-3.4: each part is at most 1023 bytes.
constexpr std::size_t kMaxPartBytes = 1023;
// RFC 1035 §2.3.4: a DNS label is at most 63 octets.
constexpr std::size_t kMaxLabelBytes = 63;

// Valid UTF-8 without control characters (RFC 8264 §9.13 disallows Cc in every PRECIS class).
bool validText(std::string_view s) { return isUtf8WithoutControls(s); }

char asciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 7622 §3.3: localpart, IdentifierClass-based UsernameCaseMapped (RFC 8265 §3.3).
// Approximation: valid UTF-8, no controls, no space (IdentifierClass excludes spaces), none of
// the characters RFC 7622 §3.3.1 forbids, ASCII letters folded to lower case. Non-ASCII case
// folding and NFC are not done.
std::optional<std::string> normalizeLocal(std::string_view in) {
  if (in.empty() || in.size() > kMaxPartBytes || !validText(in)) return std::nullopt;
  std::string out(in);
  for (char& c : out) {
    switch (c) {
      case ' ':
      case '"':
      case '&':
      case '\'':
      case '/':
      case ':':
      case '<':
      case '>':
      case '@':
        return std::nullopt;
      default:
        c = asciiLower(c);
    }
  }
  return out;
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Dotted-quad IPv4 address (RFC 3986 §3.2.2 IPv4address: decimal octets 0-255, no leading
// zeros).
bool isIpv4(std::string_view s) {
  int octets = 0;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    int value = 0;
    while (i < s.size() && isDigit(s[i]) && i - start < 3) value = value * 10 + (s[i++] - '0');
    const std::size_t digits = i - start;
    if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0')) return false;
    ++octets;
    if (i == s.size()) return octets == 4;
    if (s[i] != '.' || octets == 4) return false;
    ++i;
  }
}

// RFC 4291 §2.2 text form (already lower-cased), optionally ending in an IPv4 address.
bool isIpv6(std::string_view s) {
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.starts_with("::")) {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;  // "::"
  } else if (s.starts_with(":")) {
    return false;
  }
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && isHex(s[j]) && j - i < 5) ++j;
    if (j < s.size() && s[j] == '.') {  // trailing IPv4 part counts as two groups
      if (!isIpv4(s.substr(i))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (j == i || j - i > 4) return false;
    ++groups;
    i = j;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // trailing single ':'
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

// RFC 7622 §3.2: domainpart. Normalization: one trailing '.' removed, ASCII lower-cased.
// Accepted forms: an IPv6 literal in brackets, an IPv4 literal, or dot-separated labels of
// [a-z0-9-] (1-63 bytes, no leading or trailing '-', RFC 5890 §2.3.1 LDH labels). Labels with
// non-ASCII characters are accepted as valid UTF-8 without controls and are not run through
// IDNA2008 (RFC 5891) — no NFC, no case mapping outside ASCII, no Punycode length check.
std::optional<std::string> normalizeDomain(std::string_view in) {
  if (in.ends_with('.')) in.remove_suffix(1);
  if (in.empty() || in.size() > kMaxPartBytes || !validText(in)) return std::nullopt;
  std::string out(in);
  for (char& c : out) c = asciiLower(c);

  if (out.front() == '[') {
    if (out.size() < 3 || out.back() != ']') return std::nullopt;
    return isIpv6(std::string_view(out).substr(1, out.size() - 2)) ? std::optional(out)
                                                                   : std::nullopt;
  }
  bool numeric = true;  // only digits and dots: must then be an IPv4 address
  for (char c : out) numeric = numeric && (isDigit(c) || c == '.');
  if (numeric) return isIpv4(out) ? std::optional(out) : std::nullopt;

  std::size_t label_start = 0;
  bool label_ascii = true;
  for (std::size_t i = 0; i <= out.size(); ++i) {
    if (i == out.size() || out[i] == '.') {
      const std::size_t len = i - label_start;
      if (len == 0) return std::nullopt;
      if (label_ascii && (len > kMaxLabelBytes || out[label_start] == '-' || out[i - 1] == '-')) {
        return std::nullopt;
      }
      label_start = i + 1;
      label_ascii = true;
      continue;
    }
    const auto c = static_cast<unsigned char>(out[i]);
    if (c >= 0x80) {
      label_ascii = false;  // part of a valid UTF-8 sequence (checked above)
    } else if (!(isDigit(out[i]) || (out[i] >= 'a' && out[i] <= 'z') || out[i] == '-')) {
      return std::nullopt;
    }
  }
  return out;
}

// RFC 7622 §3.4: resourcepart, OpaqueString (RFC 8265 §4.2): valid UTF-8 without controls,
// kept as is. (Width mapping and NFC are not done.)
bool validResource(std::string_view in) {
  return !in.empty() && in.size() <= kMaxPartBytes && validText(in);
}

}  // namespace

std::optional<Jid> Jid::parse(std::string_view text) {
  // RFC 7622 §3.1: the resourcepart starts after the first '/'; the localpart ends at the first
  // '@' before it. A separator present with an empty part around it is an error.
  std::string_view rest = text;
  std::string_view resource;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    resource = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (resource.empty()) return std::nullopt;
  }
  std::string_view local;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    local = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (local.empty()) return std::nullopt;
  }
  return make(local, rest, resource);
}

std::optional<Jid> Jid::make(std::string_view local, std::string_view domain,
                             std::string_view resource) {
  Jid jid;
  if (!local.empty()) {
    auto normalized = normalizeLocal(local);
    if (!normalized) return std::nullopt;
    jid.local_ = std::move(*normalized);
  }
  auto normalized_domain = normalizeDomain(domain);
  if (!normalized_domain) return std::nullopt;
  jid.domain_ = std::move(*normalized_domain);
  if (!resource.empty()) {
    if (!validResource(resource)) return std::nullopt;
    jid.resource_ = std::string(resource);
  }
  return jid;
}

Jid Jid::bare() const {
  Jid jid;
  jid.local_ = local_;
  jid.domain_ = domain_;
  return jid;
}

Jid Jid::withResource(std::string_view resource) const {
  assert(validResource(resource));
  Jid jid = bare();
  jid.resource_ = std::string(resource);
  return jid;
}

std::string Jid::bareString() const {
  std::string out;
  out.reserve(local_.size() + 1 + domain_.size());
  if (!local_.empty()) {
    out += local_;
    out += '@';
  }
  out += domain_;
  return out;
}

std::string Jid::full() const {
  std::string out = bareString();
  if (!resource_.empty()) {
    out += '/';
    out += resource_;
  }
  return out;
}

}  // namespace throng::proto
