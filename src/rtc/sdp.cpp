// parseSdp: the line structure of RFC 8866 §5 (v=, o=, m= and a=), media sections, and the
// session-level defaults WebRTC peers rely on. Attribute values are read in sdp_attributes.cpp.
#include "rtc/sdp.h"

#include "rtc/sdp_attributes.h"
#include "rtc/sdp_text.h"

#include <algorithm>
#include <optional>

namespace throng::rtc {
namespace {

using sdp_detail::SectionState;
using sdp_text::nextToken;
using sdp_text::parseNumber;
using sdp_text::tokens;

class SdpParser {
 public:
  Result<SessionDescription> parse(std::string_view text) {
    if (text.size() > kSdpMaxSize) {
      return makeError("description larger than " + std::to_string(kSdpMaxSize) + " bytes");
    }
    while (!text.empty()) {
      const std::size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (++line_number_ > kSdpMaxLines) {
        return makeError("more than " + std::to_string(kSdpMaxLines) + " lines");
      }
      if (line.empty()) continue;  // tolerated, though RFC 8866 §5 has no empty lines
      if (auto status = onLine(line); !status) return status.error();
    }
    if (!seen_version_) return makeError("no v= line");
    if (!seen_origin_) return makeError("no o= line");
    if (section_) endSection();
    if (session_.media.empty()) return makeError("no m= section");
    applySessionDefaults();
    return std::move(session_);
  }

 private:
  Error fail(std::string_view reason) const {
    return makeError("line " + std::to_string(line_number_) + ": " + std::string(reason));
  }

  Status onLine(std::string_view line) {
    if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=') {
      return fail("expected '<type>=<value>'");
    }
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (value.size() > kSdpMaxValueSize) {
      return fail("value longer than " + std::to_string(kSdpMaxValueSize) + " bytes");
    }
    if (value.find('\0') != std::string_view::npos || value.find('\r') != std::string_view::npos) {
      return fail("NUL or CR inside the line");  // RFC 8866 §9 byte-string
    }
    if (!seen_version_) {
      if (type != 'v' || value != "0") return fail("expected v=0 first");
      seen_version_ = true;
      return {};
    }
    switch (type) {
      case 'o':
        return section_ ? Status{} : readOrigin(value);
      case 'm':
        return beginSection(value);
      case 'a':
        return readAttribute(value);
      default:
        return {};  // s=, t=, c=, b=, ... carry nothing WebRTC needs here
    }
  }

  // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (§5.2)
  Status readOrigin(std::string_view value) {
    if (seen_origin_) return {};
    const auto fields = tokens(value);
    if (fields.size() != 6) return fail("o= needs 6 fields");
    const auto version = parseNumber<std::uint64_t>(fields[2]);
    if (!version) return fail("o=: bad session version '" + std::string(fields[2]) + "'");
    session_.origin_username = std::string(fields[0]);
    session_.session_id = std::string(fields[1]);
    session_.session_version = *version;
    seen_origin_ = true;
    return {};
  }

  // m=<media> <port>[/<number of ports>] <proto> <fmt> ... (§5.14)
  Status beginSection(std::string_view value) {
    if (section_) endSection();
    if (session_.media.size() >= kSdpMaxMediaSections) {
      return fail("more than " + std::to_string(kSdpMaxMediaSections) + " m= sections");
    }
    std::string_view rest = value;
    const std::string_view kind = nextToken(rest);
    std::string_view port_text = nextToken(rest);
    const std::string_view protocol = nextToken(rest);
    const auto formats = tokens(rest);
    if (formats.empty()) return fail("m= needs '<media> <port> <proto> <fmt> ...'");
    port_text = port_text.substr(0, port_text.find('/'));
    const auto port = parseNumber<std::uint16_t>(port_text);
    if (!port) return fail("m=: bad port '" + std::string(port_text) + "'");
    if (formats.size() > kSdpMaxCodecs) {
      return fail("m=: more than " + std::to_string(kSdpMaxCodecs) + " formats");
    }
    section_.emplace();
    SdpMedia& m = section_->media;
    m.kind_name = std::string(kind);
    m.kind = kind == "audio"   ? MediaKind::kAudio
             : kind == "video" ? MediaKind::kVideo
                               : MediaKind::kOther;
    m.port = *port;
    m.protocol = std::string(protocol);
    m.formats.assign(formats.begin(), formats.end());
    return {};
  }

  // Codecs in the m= line's order: each format with an a=rtpmap, its fmtp and rtcp-fb attached.
  void endSection() {
    SectionState& s = *section_;
    std::array<bool, sdp_detail::kMaxPayloadType + 1> used{};
    for (const std::string& format : s.media.formats) {
      const auto pt = parseNumber<unsigned>(format);
      if (!pt || *pt > sdp_detail::kMaxPayloadType || used[*pt]) continue;
      used[*pt] = true;
      sdp_detail::PendingCodec& pending = s.codecs[*pt];
      if (!pending.mapped) continue;  // a static payload type without a=rtpmap
      for (const std::string& fb : s.wildcard_fb) {
        if (pending.codec.rtcp_fb.size() < kSdpMaxListSize) pending.codec.rtcp_fb.push_back(fb);
      }
      s.media.codecs.push_back(std::move(pending.codec));
    }
    session_.media.push_back(std::move(s.media));
    section_.reset();
  }

  Status readAttribute(std::string_view value) {
    const std::size_t colon = value.find(':');
    const std::string_view name = value.substr(0, colon);
    const std::string_view attribute_value = colon == std::string_view::npos
                                                 ? std::string_view()
                                                 : sdp_text::trim(value.substr(colon + 1));
    Status status;
    if (section_) {
      status = sdp_detail::readMediaAttribute(*section_, name, attribute_value);
      if (status && name == "mid" && midTaken(section_->media.mid)) {
        status = makeError("a=mid: '" + section_->media.mid + "' names two m= sections");
      }
    } else if (name == "ice-lite") {
      session_.ice_lite = true;
    } else if (name == "group") {
      status = sdp_detail::readGroup(session_, attribute_value);
    } else {
      bool handled = false;
      status =
          sdp_detail::readTransportAttribute(session_defaults_, name, attribute_value, handled);
    }
    if (!status) return fail(status.error().message);
    return {};
  }

  // RFC 5888 §4: a mid identifies one m= section of the description.
  bool midTaken(const std::string& mid) const {
    return std::any_of(session_.media.begin(), session_.media.end(),
                       [&](const SdpMedia& m) { return m.mid == mid; });
  }

  // RFC 8839 §5.4, RFC 8122 §5, RFC 4145 §4: these may be given once for the whole session.
  void applySessionDefaults() {
    const SdpMedia& d = session_defaults_;
    for (SdpMedia& m : session_.media) {
      if (m.ice_ufrag.empty()) m.ice_ufrag = d.ice_ufrag;
      if (m.ice_pwd.empty()) m.ice_pwd = d.ice_pwd;
      if (m.ice_options.empty()) m.ice_options = d.ice_options;
      if (m.fingerprint.empty()) {
        m.fingerprint_algorithm = d.fingerprint_algorithm;
        m.fingerprint = d.fingerprint;
      }
      if (m.setup.empty()) m.setup = d.setup;
    }
  }

  SessionDescription session_;
  SdpMedia session_defaults_;            // session-level ICE and DTLS attributes
  std::optional<SectionState> section_;  // the m= section being read
  std::size_t line_number_ = 0;
  bool seen_version_ = false;
  bool seen_origin_ = false;
};

}  // namespace

Result<SessionDescription> parseSdp(std::string_view text) {
  return SdpParser().parse(text);
}

}  // namespace throng::rtc
