// Writes the answer SDP; see sdp_answer_writer.h and, for the rules, sdp_answer.h.
#include "rtc/sdp_answer_writer.h"

#include "rtc/simulcast.h"

#include <algorithm>

namespace throng::rtc::answer_detail {
namespace {

// RFC 8445 §5.1.2.1 with type preference 126 (host), local preference 65535, component 1:
// (126 << 24) + (65535 << 8) + 255; later candidates one less, so the first is preferred.
constexpr std::uint32_t kHostPriority = 2130706431;

class Writer {
 public:
  void line(std::string_view text) {
    out_ += text;
    out_ += "\r\n";
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// ICE credentials and DTLS role of throng's one transport (RFC 8839 §5.4, RFC 8122, RFC 5763).
void writeTransport(Writer& w, const AnswerParams& params) {
  w.line("a=ice-ufrag:" + params.ice_ufrag);
  w.line("a=ice-pwd:" + params.ice_pwd);
  w.line("a=fingerprint:sha-256 " + params.fingerprint_sha256);
  w.line("a=setup:passive");
}

// The media title line (RFC 8866 §5.4, right after m=): the stream's format the viewer did not
// offer, for the player to show.
void writeMissingFormat(Writer& w, const NegotiatedMedia& chosen) {
  if (!chosen.missing_format.empty()) w.line("i=" + chosen.missing_format);
}

void writeCandidates(Writer& w, const AnswerParams& params) {
  for (std::size_t i = 0; i < params.candidates.size(); ++i) {
    const auto& c = params.candidates[i];
    const std::uint32_t n = static_cast<std::uint32_t>(i) + 1;
    w.line("a=candidate:" + std::to_string(n) + " 1 udp " + std::to_string(kHostPriority - n) +
           " " + c.address().to_string() + " " + std::to_string(c.port()) + " typ host");
  }
  w.line("a=end-of-candidates");
}

void writeRejected(Writer& w, const SdpMedia& offered, const NegotiatedMedia& chosen,
                   const AnswerParams& params) {
  std::string m = "m=" + offered.kind_name + " 0 " + offered.protocol;
  for (const std::string& format : offered.formats) m += " " + format;
  w.line(m);
  writeMissingFormat(w, chosen);
  w.line("c=IN IP4 0.0.0.0");
  if (!offered.mid.empty()) w.line("a=mid:" + offered.mid);
  w.line("a=inactive");
  // Unused on a rejected section, but GStreamer's webrtcbin (1.22) refuses an answer unless
  // every m-section has ice-ufrag, ice-pwd, a fingerprint and a=setup; browsers ignore them.
  writeTransport(w, params);
}

// The offerer-tagged section kept in the BUNDLE group with nothing to send (sdp_answer.cpp,
// keepBundleTag): the bundle's transport, one offered format (RFC 3264 §6.1) and a=rtcp-mux,
// without which Chromium refuses the group ("rtcp-mux must be enabled when BUNDLE is enabled").
void writeInactive(Writer& w, const SdpMedia& offered, const NegotiatedMedia& chosen,
                   const AnswerParams& params) {
  const std::string pt = std::to_string(chosen.payload_type);
  w.line("m=" + offered.kind_name + " 9 " + offered.protocol + " " + pt);
  writeMissingFormat(w, chosen);
  w.line("c=IN IP4 0.0.0.0");
  if (!offered.mid.empty()) w.line("a=mid:" + offered.mid);
  w.line("a=inactive");
  w.line("a=rtcp-mux");
  writeTransport(w, params);
  // keepBundleTag takes the format from the offer's a=rtpmap lines: it is there.
  const SdpCodec& codec = offered.codecs.front();
  std::string rtpmap = "a=rtpmap:" + pt + " " + codec.name + "/" + std::to_string(codec.clock_rate);
  if (offered.kind == MediaKind::kAudio && codec.channels > 1) {
    rtpmap += "/" + std::to_string(codec.channels);
  }
  w.line(rtpmap);
  writeCandidates(w, params);
}

void writeAccepted(Writer& w, const SdpMedia& offered, const NegotiatedMedia& chosen,
                   const AnswerParams& params) {
  const OutgoingTrack& track = params.tracks[static_cast<std::size_t>(chosen.track)];
  const auto codec =
      std::find_if(offered.codecs.begin(), offered.codecs.end(),
                   [&](const SdpCodec& c) { return c.payload_type == chosen.payload_type; });
  const std::string pt = std::to_string(chosen.payload_type);
  w.line("m=" + offered.kind_name + " 9 UDP/TLS/RTP/SAVPF " + pt);
  w.line("c=IN IP4 0.0.0.0");
  if (!offered.mid.empty()) w.line("a=mid:" + offered.mid);
  w.line(chosen.receive ? "a=recvonly" : "a=sendonly");
  w.line("a=rtcp-mux");
  if (offered.rtcp_rsize) w.line("a=rtcp-rsize");
  writeTransport(w, params);
  // The offer's own spelling of the encoding, so the viewer pairs it with what it offered.
  std::string rtpmap =
      "a=rtpmap:" + pt + " " + codec->name + "/" + std::to_string(codec->clock_rate);
  if (offered.kind == MediaKind::kAudio && codec->channels > 1) {
    rtpmap += "/" + std::to_string(codec->channels);
  }
  w.line(rtpmap);
  // A publisher's format is its own (its H.264 profile); a viewer gets the stream's.
  const std::string& fmtp = chosen.receive ? codec->fmtp : track.fmtp;
  if (!fmtp.empty()) w.line("a=fmtp:" + pt + " " + fmtp);
  if (chosen.nack) w.line("a=rtcp-fb:" + pt + " nack");
  if (chosen.pli) w.line("a=rtcp-fb:" + pt + " nack pli");
  if (chosen.fir) w.line("a=rtcp-fb:" + pt + " ccm fir");
  if (chosen.remb) w.line("a=rtcp-fb:" + pt + " goog-remb");
  if (!chosen.rids.empty()) {
    // RFC 8853 §5.3: the answer mirrors the offer's simulcast with the direction reversed.
    if (chosen.mid_extension > 0) {
      w.line("a=extmap:" + std::to_string(chosen.mid_extension) + " " +
             std::string(kMidExtensionUri));
    }
    w.line("a=extmap:" + std::to_string(chosen.rid_extension) + " " +
           std::string(kRidExtensionUri));
    std::string simulcast = "a=simulcast:recv ";
    for (std::size_t i = 0; i < chosen.rids.size(); ++i) {
      w.line("a=rid:" + chosen.rids[i] + " recv");
      simulcast += (i == 0 ? "" : ";") + chosen.rids[i];
    }
    w.line(simulcast);
  }
  if (!chosen.receive) {
    const std::string ssrc = std::to_string(track.ssrc);
    const std::string msid = track.msid_stream + " " + track.msid_track;
    w.line("a=ssrc:" + ssrc + " cname:" + params.cname);
    w.line("a=ssrc:" + ssrc + " msid:" + msid);
    w.line("a=msid:" + msid);
  }
  writeCandidates(w, params);
}

}  // namespace

std::string writeAnswer(const SessionDescription& offer, const AnswerParams& params,
                        const std::vector<NegotiatedMedia>& media, bool bundle) {
  Writer w;
  w.line("v=0");
  w.line("o=- " + std::to_string(params.session_id) + " 2 IN IP4 127.0.0.1");
  w.line("s=-");
  w.line("t=0 0");
  w.line("a=ice-lite");
  if (bundle) {
    std::string group = "a=group:BUNDLE";
    for (const NegotiatedMedia& m : media) {
      if (m.track >= 0 || m.inactive) group += " " + m.mid;
    }
    w.line(group);
  }
  w.line("a=msid-semantic: WMS *");
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (media[i].track >= 0) {
      writeAccepted(w, offer.media[i], media[i], params);
    } else if (media[i].inactive) {
      writeInactive(w, offer.media[i], media[i], params);
    } else {
      writeRejected(w, offer.media[i], media[i], params);
    }
  }
  return w.take();
}

}  // namespace throng::rtc::answer_detail
