// Fuzzes the RTCP compound walker and packet parsers (src/rtc/rtcp.h). Every packet a parser
// accepts is rebuilt with the matching builder and parsed again: the values must survive (NACK
// sequences as a set, since packing may merge pairs; a saturated REMB bitrate excepted).
#include "rtc/rtcp.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace throng::rtc;  // NOLINT(google-build-using-namespace)

// The one packet `out` holds.
RtcpPacketView only(const std::string& out) {
  RtcpPacketView view;
  int count = 0;
  const std::span<const std::uint8_t> b(reinterpret_cast<const std::uint8_t*>(out.data()),
                                        out.size());
  if (!forEachRtcpPacket(b,
                         [&](const RtcpPacketView& v) {
                           view = v;
                           ++count;
                         }) ||
      count != 1) {
    std::abort();
  }
  return view;
}

bool sameBlocks(const std::vector<RtcpReportBlock>& a, const std::vector<RtcpReportBlock>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.ssrc == y.ssrc && x.fraction_lost == y.fraction_lost &&
           x.cumulative_lost == y.cumulative_lost && x.highest_sequence == y.highest_sequence &&
           x.jitter == y.jitter && x.last_sr == y.last_sr &&
           x.delay_since_last_sr == y.delay_since_last_sr;
  });
}

std::vector<std::uint16_t> asSet(std::vector<std::uint16_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

void roundTrip(const RtcpPacketView& v) {
  if (auto rr = parseReceiverReport(v)) {
    std::string out;
    appendReceiverReport(out, *rr);
    auto back = parseReceiverReport(only(out));
    if (!back || back->sender_ssrc != rr->sender_ssrc || !sameBlocks(back->blocks, rr->blocks)) {
      std::abort();
    }
  }
  if (auto sr = parseSenderReport(v)) {
    std::string out;
    appendSenderReport(out, *sr);
    auto back = parseSenderReport(only(out));
    if (!back || back->ntp_time != sr->ntp_time || back->octet_count != sr->octet_count ||
        !sameBlocks(back->blocks, sr->blocks)) {
      std::abort();
    }
  }
  if (auto nack = parseNack(v)) {
    if (nack->sequences.size() > kRtcpMaxNackSequences) std::abort();
    std::string out;
    appendNack(out, *nack);
    if (nack->sequences.empty()) {
      if (!out.empty()) std::abort();
    } else {
      auto back = parseNack(only(out));
      if (!back || back->media_ssrc != nack->media_ssrc) std::abort();
      if (nack->sequences.size() < kRtcpMaxNackSequences &&
          asSet(back->sequences) != asSet(nack->sequences)) {
        std::abort();
      }
    }
  }
  if (auto pli = parsePli(v)) {
    std::string out;
    appendPli(out, *pli);
    auto back = parsePli(only(out));
    if (!back || back->media_ssrc != pli->media_ssrc) std::abort();
  }
  if (auto fir = parseFir(v)) {
    if (fir->entries.size() > kRtcpMaxFirEntries) std::abort();
    std::string out;
    appendFir(out, *fir);
    auto back = parseFir(only(out));
    if (!back || back->entries != fir->entries) std::abort();
  }
  if (auto remb = parseRemb(v)) {
    std::string out;
    appendRemb(out, *remb);
    auto back = parseRemb(only(out));
    if (!back || back->ssrcs != remb->ssrcs) std::abort();
    if (remb->bitrate_bps != std::numeric_limits<std::uint64_t>::max() &&
        back->bitrate_bps != remb->bitrate_bps) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  std::size_t seen = 0;
  const bool ok = forEachRtcpPacket(in, [&](const RtcpPacketView& v) {
    if (v.packet.size() < 4 || v.packet.data() < data ||
        v.packet.data() + v.packet.size() > data + size) {
      std::abort();
    }
    seen += v.packet.size();
    roundTrip(v);
  });
  if (seen > size || (!ok && seen != 0)) std::abort();
  return 0;
}
