// The a= attribute readers behind parseSdp; see sdp_attributes.h.
#include "rtc/sdp_attributes.h"

#include "rtc/sdp_text.h"

#include <algorithm>

namespace throng::rtc::sdp_detail {
namespace {

using sdp_text::nextToken;
using sdp_text::parseNumber;
using sdp_text::tokens;
using sdp_text::trim;

constexpr std::size_t kMaxIceValue = 256;   // ice-ufrag and ice-pwd, RFC 8839 §5.4
constexpr std::size_t kMaxFoundation = 32;  // RFC 8839 §5.1
constexpr int kMaxComponent = 256;          // RFC 8839 §5.1
constexpr int kMaxExtmapId = 255;           // two-byte header extensions, RFC 8285 §5

Error fail(std::string_view name, std::string_view reason) {
  return makeError("a=" + std::string(name) + ": " + std::string(reason));
}

bool isAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.1).
bool isIceChars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '+' || c == '/'; });
}

// token-char (RFC 8866 §9): visible ASCII except the separators listed there.
bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7E && c != '"' && c != '(' && c != ')' && c != ',' && c != '/' &&
           c != ':' && c != ';' && c != '<' && c != '=' && c != '>' && c != '?' && c != '@' &&
           c != '[' && c != '\\' && c != ']' && c != '{' && c != '}';
  });
}

// RFC 8122 §5: 2UHEX *(":" 2UHEX) (lower case accepted: the value is case-insensitive).
bool isFingerprintValue(std::string_view s) {
  if (s.size() < 2 || s.size() % 3 != 2) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (i % 3 == 2 ? c != ':' : !hex) return false;
  }
  return true;
}

// A payload type field: a number 0-127.
Result<int> readPayloadType(std::string_view name, std::string_view field) {
  const auto pt = parseNumber<unsigned>(field);
  if (!pt) return fail(name, "expected a payload type, got '" + std::string(field) + "'");
  if (*pt > kMaxPayloadType) {
    return fail(name, "payload type " + std::string(field) + " out of range");
  }
  return static_cast<int>(*pt);
}

Status readFingerprint(SdpMedia& target, std::string_view value) {
  std::string_view rest = value;
  const std::string algorithm = sdp_text::toLower(nextToken(rest));
  const std::string_view hex = nextToken(rest);
  if (algorithm.empty() || !isFingerprintValue(hex) || !trim(rest).empty()) {
    return fail("fingerprint", "expected '<hash function> <XX:XX:...>'");
  }
  // Several fingerprints may be offered (RFC 8122 §5); keep sha-256, the one throng checks.
  if (target.fingerprint.empty() ||
      (target.fingerprint_algorithm != "sha-256" && algorithm == "sha-256")) {
    target.fingerprint_algorithm = algorithm;
    target.fingerprint = sdp_text::toUpper(hex);
  }
  return {};
}

Status readRtpmap(SectionState& s, std::string_view value) {
  std::string_view rest = value;
  auto pt = readPayloadType("rtpmap", nextToken(rest));
  if (!pt) return pt.error();
  const std::string_view encoding = nextToken(rest);
  // <encoding name>/<clock rate>[/<encoding parameters>] (RFC 8866 §6.6)
  const std::size_t slash = encoding.find('/');
  if (slash == 0 || slash == std::string_view::npos) {
    return fail("rtpmap", "expected '<payload type> <name>/<clock rate>[/<channels>]'");
  }
  const std::string_view name = encoding.substr(0, slash);
  std::string_view rate_text = encoding.substr(slash + 1);
  std::string_view channels_text;
  if (const std::size_t second = rate_text.find('/'); second != std::string_view::npos) {
    channels_text = rate_text.substr(second + 1);
    rate_text = rate_text.substr(0, second);
  }
  const auto rate = parseNumber<std::uint32_t>(rate_text);
  if (!rate || *rate == 0) return fail("rtpmap", "bad clock rate '" + std::string(rate_text) + "'");
  int channels = 1;
  if (!channels_text.empty()) {
    const auto parsed = parseNumber<unsigned>(channels_text);
    if (!parsed || *parsed == 0 || *parsed > 255) {
      return fail("rtpmap", "bad channel count '" + std::string(channels_text) + "'");
    }
    channels = static_cast<int>(*parsed);
  }
  PendingCodec& pending = s.codecs[static_cast<std::size_t>(*pt)];
  if (pending.mapped)
    return fail("rtpmap", "payload type " + std::to_string(*pt) + " mapped twice");
  pending.mapped = true;
  pending.codec.payload_type = *pt;
  pending.codec.name = std::string(name);
  pending.codec.clock_rate = *rate;
  pending.codec.channels = channels;
  return {};
}

Status readFmtp(SectionState& s, std::string_view value) {
  std::string_view rest = value;
  const std::string_view format = nextToken(rest);
  // Non-RTP formats (e.g. "webrtc-datachannel") have fmtp lines too; only numbers are codecs.
  if (format.empty() ||
      !std::all_of(format.begin(), format.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return {};
  }
  auto pt = readPayloadType("fmtp", format);
  if (!pt) return pt.error();
  std::string& fmtp = s.codecs[static_cast<std::size_t>(*pt)].codec.fmtp;
  if (fmtp.empty()) fmtp = std::string(trim(rest));  // of repeated lines the first counts
  return {};
}

Status readRtcpFb(SectionState& s, std::string_view value) {
  std::string_view rest = value;
  const std::string_view format = nextToken(rest);
  std::string feedback;
  for (auto t = nextToken(rest); !t.empty(); t = nextToken(rest)) {
    if (!feedback.empty()) feedback += ' ';
    feedback += t;
  }
  if (feedback.empty()) return fail("rtcp-fb", "missing the feedback type");
  std::vector<std::string>* list = &s.wildcard_fb;
  if (format != "*") {
    auto pt = readPayloadType("rtcp-fb", format);
    if (!pt) return pt.error();
    list = &s.codecs[static_cast<std::size_t>(*pt)].codec.rtcp_fb;
  }
  if (list->size() >= kSdpMaxListSize) {
    return fail("rtcp-fb", "more than " + std::to_string(kSdpMaxListSize) + " for one format");
  }
  list->push_back(std::move(feedback));
  return {};
}

Status readExtmap(SdpMedia& m, std::string_view value) {
  std::string_view rest = value;
  std::string_view id_text = nextToken(rest);
  id_text = id_text.substr(0, id_text.find('/'));  // <id>[/<direction>]
  const auto id = parseNumber<unsigned>(id_text);
  if (!id || *id == 0 || *id > kMaxExtmapId) {
    return fail("extmap", "id '" + std::string(id_text) + "' out of range 1-255");
  }
  const std::string_view uri = nextToken(rest);
  if (uri.empty()) return fail("extmap", "missing the URI");
  if (m.extmaps.size() >= kSdpMaxListSize) return fail("extmap", "too many extensions");
  m.extmaps.push_back({static_cast<int>(*id), std::string(uri)});
  return {};
}

Result<std::uint32_t> readSsrcField(std::string_view name, std::string_view field) {
  const auto ssrc = parseNumber<std::uint32_t>(field);
  if (!ssrc) return fail(name, "bad SSRC '" + std::string(field) + "'");
  return *ssrc;
}

Status readSsrc(SdpMedia& m, std::string_view value) {
  std::string_view rest = value;
  auto ssrc = readSsrcField("ssrc", nextToken(rest));
  if (!ssrc) return ssrc.error();
  if (std::find(m.ssrcs.begin(), m.ssrcs.end(), *ssrc) != m.ssrcs.end()) return {};
  if (m.ssrcs.size() >= kSdpMaxListSize) return fail("ssrc", "too many SSRCs");
  m.ssrcs.push_back(*ssrc);
  return {};
}

Status readSsrcGroup(SdpMedia& m, std::string_view value) {
  const auto fields = tokens(value);
  if (fields.empty() || fields[0] != "FID") return {};  // RFC 5576 §4.2; SIM etc. not used
  if (fields.size() > kSdpMaxListSize || m.ssrc_groups_fid.size() >= kSdpMaxListSize) {
    return fail("ssrc-group", "too many SSRCs");
  }
  std::vector<std::uint32_t> group;
  for (std::size_t i = 1; i < fields.size(); ++i) {
    auto ssrc = readSsrcField("ssrc-group", fields[i]);
    if (!ssrc) return ssrc.error();
    group.push_back(*ssrc);
  }
  m.ssrc_groups_fid.push_back(std::move(group));
  return {};
}

// <foundation> <component> <transport> <priority> <address> <port> typ <type> [...]
// (RFC 8839 §5.1).
Status readCandidate(SdpMedia& m, std::string_view value) {
  const auto f = tokens(value);
  if (f.size() < 8 || f[6] != "typ") {
    return fail("candidate",
                "expected '<foundation> <component> <transport> <priority> "
                "<address> <port> typ <type>'");
  }
  const auto component = parseNumber<int>(f[1]);
  const auto priority = parseNumber<std::uint32_t>(f[3]);
  const auto port = parseNumber<std::uint16_t>(f[5]);
  if (f[0].size() > kMaxFoundation || !isIceChars(f[0])) return fail("candidate", "bad foundation");
  if (!component || *component < 1 || *component > kMaxComponent) {
    return fail("candidate", "bad component '" + std::string(f[1]) + "'");
  }
  if (!priority) return fail("candidate", "bad priority '" + std::string(f[3]) + "'");
  if (!port) return fail("candidate", "bad port '" + std::string(f[5]) + "'");
  if (m.candidates.size() >= kSdpMaxCandidates) {
    return fail("candidate", "more than " + std::to_string(kSdpMaxCandidates) + " in a section");
  }
  m.candidates.push_back({std::string(f[0]), *component, std::string(f[2]), *priority,
                          std::string(f[4]), *port, std::string(f[7])});
  return {};
}

// <rid-id> <send|recv> [<params>] (RFC 8851 §10).
Status readRid(SdpMedia& m, std::string_view value) {
  std::string_view rest = value;
  const std::string_view id = nextToken(rest);
  const std::string_view direction = nextToken(rest);
  const bool id_ok = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return isAlnum(c) || c == '-' || c == '_';
  });
  if (!id_ok || (direction != "send" && direction != "recv")) {
    return fail("rid", "expected '<id> send|recv [<params>]'");
  }
  if (m.rids.size() >= kSdpMaxListSize) return fail("rid", "too many rids");
  m.rids.push_back({std::string(id), std::string(direction), std::string(trim(rest))});
  return {};
}

}  // namespace

Status readTransportAttribute(SdpMedia& target, std::string_view name, std::string_view value,
                              bool& handled) {
  handled = true;
  if (name == "ice-ufrag" || name == "ice-pwd") {
    if (value.empty() || value.size() > kMaxIceValue || !isIceChars(value)) {
      return fail(name, "expected 1-256 characters of ALPHA / DIGIT / '+' / '/'");
    }
    std::string& field = name == "ice-ufrag" ? target.ice_ufrag : target.ice_pwd;
    if (field.empty()) field = std::string(value);
    return {};
  }
  if (name == "ice-options") {
    const auto options = tokens(value);
    if (options.size() > kSdpMaxListSize) return fail(name, "too many options");
    target.ice_options.assign(options.begin(), options.end());
    return {};
  }
  if (name == "fingerprint") return readFingerprint(target, value);
  if (name == "setup") {
    // RFC 4145 §4
    if (value != "active" && value != "passive" && value != "actpass" && value != "holdconn") {
      return fail(name, "expected active, passive, actpass or holdconn");
    }
    if (target.setup.empty()) target.setup = std::string(value);
    return {};
  }
  handled = false;
  return {};
}

Status readMediaAttribute(SectionState& s, std::string_view name, std::string_view value) {
  SdpMedia& m = s.media;
  bool handled = false;
  if (auto status = readTransportAttribute(m, name, value, handled); !status || handled) {
    return status;
  }
  if (name == "mid") {
    if (!isToken(value)) return fail(name, "expected one token");
    if (m.mid.empty()) m.mid = std::string(value);
    return {};
  }
  if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive") {
    m.direction = std::string(name);
    return {};
  }
  if (name == "rtcp-mux") {
    m.rtcp_mux = true;
    return {};
  }
  if (name == "rtcp-rsize") {
    m.rtcp_rsize = true;
    return {};
  }
  if (name == "bundle-only") {
    m.bundle_only = true;
    return {};
  }
  if (name == "rtpmap") return readRtpmap(s, value);
  if (name == "fmtp") return readFmtp(s, value);
  if (name == "rtcp-fb") return readRtcpFb(s, value);
  if (name == "extmap") return readExtmap(m, value);
  if (name == "ssrc") return readSsrc(m, value);
  if (name == "ssrc-group") return readSsrcGroup(m, value);
  if (name == "candidate") return readCandidate(m, value);
  if (name == "end-of-candidates") {
    m.end_of_candidates = true;
    return {};
  }
  if (name == "rid") return readRid(m, value);
  if (name == "simulcast") {
    if (m.simulcast.empty()) m.simulcast = std::string(value);
    return {};
  }
  if (name == "msid") {
    if (m.msid.empty()) m.msid = std::string(value);
    return {};
  }
  return {};  // unknown attributes are ignored (RFC 8866 §5.13)
}

Status readGroup(SessionDescription& session, std::string_view value) {
  std::string_view rest = value;
  if (!sdp_text::iequals(nextToken(rest), "BUNDLE")) return {};
  const auto mids = tokens(rest);
  if (mids.size() > kSdpMaxListSize || session.bundle_groups.size() >= kSdpMaxListSize) {
    return fail("group", "too many BUNDLE groups or mids");
  }
  session.bundle_groups.emplace_back(mids.begin(), mids.end());
  return {};
}

}  // namespace throng::rtc::sdp_detail
