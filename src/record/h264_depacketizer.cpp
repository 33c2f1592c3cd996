// RFC 6184 payloads back into Annex B access units (h264_depacketizer.h).
#include "record/h264_depacketizer.h"

#include "base/base64.h"

#include <array>
#include <string>

namespace throng::record {
namespace {

// nal_unit_type (H.264 Table 7-1) and the RTP packet types (RFC 6184 §5.2, Table 1).
constexpr int kNalIdr = 5;
constexpr int kNalSps = 7;
constexpr int kNalPps = 8;
constexpr int kStapA = 24;
constexpr int kFuA = 28;
constexpr std::array<std::uint8_t, 4> kStartCode = {0, 0, 0, 1};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::vector<std::uint8_t>> spropParameterSets(std::string_view fmtp) {
  std::vector<std::vector<std::uint8_t>> out;
  while (!fmtp.empty()) {
    const std::size_t semicolon = fmtp.find(';');
    const std::string_view parameter = trim(fmtp.substr(0, semicolon));
    fmtp = semicolon == std::string_view::npos ? std::string_view() : fmtp.substr(semicolon + 1);
    constexpr std::string_view kName = "sprop-parameter-sets=";
    if (parameter.substr(0, kName.size()) != kName) continue;
    std::string_view sets = parameter.substr(kName.size());
    while (!sets.empty()) {
      const std::size_t comma = sets.find(',');
      std::string text(trim(sets.substr(0, comma)));
      sets = comma == std::string_view::npos ? std::string_view() : sets.substr(comma + 1);
      while (text.size() % 4 != 0) text.push_back('=');  // some senders leave padding out
      if (auto nal = base64Decode(text); nal && !nal->empty()) {
        out.emplace_back(nal->begin(), nal->end());
      }
    }
  }
  return out;
}

H264Depacketizer::H264Depacketizer(std::string_view fmtp) {
  for (const auto& nal : spropParameterSets(fmtp)) {
    if (nal.size() > kMaxParameterSetBytes) continue;
    const int type = nal[0] & 0x1f;
    if (type == kNalSps) sps_ = nal;
    if (type == kNalPps) pps_ = nal;
  }
}

bool H264Depacketizer::startsFrame(std::span<const std::uint8_t> payload) const {
  if (payload.empty()) return false;
  const int type = payload[0] & 0x1f;
  if (type >= 1 && type <= 23) return true;
  if (type == kStapA) return true;
  return type == kFuA && payload.size() >= 2 && (payload[1] & 0x80) != 0;
}

void H264Depacketizer::beginFrame() {
  has_idr_ = has_sps_ = has_pps_ = false;
  in_fragment_ = false;
}

void H264Depacketizer::noteNalType(int type, std::span<const std::uint8_t> nal) {
  if (type == kNalIdr) has_idr_ = true;
  if (type == kNalSps) {
    has_sps_ = true;
    if (nal.size() <= kMaxParameterSetBytes) sps_.assign(nal.begin(), nal.end());
  }
  if (type == kNalPps) {
    has_pps_ = true;
    if (nal.size() <= kMaxParameterSetBytes) pps_.assign(nal.begin(), nal.end());
  }
}

void H264Depacketizer::addNal(std::span<const std::uint8_t> nal, std::vector<std::uint8_t>& frame) {
  frame.insert(frame.end(), kStartCode.begin(), kStartCode.end());
  frame.insert(frame.end(), nal.begin(), nal.end());
  noteNalType(nal[0] & 0x1f, nal);
}

bool H264Depacketizer::append(std::span<const std::uint8_t> payload,
                              std::vector<std::uint8_t>& frame) {
  if (payload.empty() || (payload[0] & 0x80) != 0) return false;  // forbidden_zero_bit
  const int type = payload[0] & 0x1f;
  if (in_fragment_ && type != kFuA) return false;  // an FU-A lost its end
  if (type >= 1 && type <= 23) {
    addNal(payload, frame);
    return true;
  }
  if (type == kStapA) {
    // §5.7.1: [STAP-A header] then [16-bit size][NAL unit] repeated.
    std::size_t at = 1;
    int units = 0;
    while (at < payload.size()) {
      if (payload.size() - at < 2) return false;
      const std::size_t size = static_cast<std::size_t>(payload[at] << 8 | payload[at + 1]);
      at += 2;
      if (size == 0 || size > payload.size() - at) return false;
      addNal(payload.subspan(at, size), frame);
      at += size;
      ++units;
    }
    return units > 0;
  }
  if (type == kFuA) {
    // §5.8: FU indicator (F, NRI, type 28), FU header (S, E, R, the unit's type), data.
    if (payload.size() < 3) return false;
    const bool start = (payload[1] & 0x80) != 0;
    const bool end = (payload[1] & 0x40) != 0;
    if (start == in_fragment_) return false;  // a start inside a unit, or a middle without one
    if (start) {
      in_fragment_ = true;
      frame.insert(frame.end(), kStartCode.begin(), kStartCode.end());
      fragment_start_ = frame.size();
      frame.push_back(static_cast<std::uint8_t>((payload[0] & 0xe0) | (payload[1] & 0x1f)));
    }
    frame.insert(frame.end(), payload.begin() + 2, payload.end());
    if (end) {
      in_fragment_ = false;
      const std::span<const std::uint8_t> nal(frame.data() + fragment_start_,
                                              frame.size() - fragment_start_);
      noteNalType(nal[0] & 0x1f, nal);
    }
    return true;
  }
  return false;  // STAP-B, MTAP, FU-B: not in packetization-mode 1; 0, 30, 31: undefined
}

bool H264Depacketizer::endFrame(std::vector<std::uint8_t>& frame, bool& keyframe) {
  if (in_fragment_ || frame.empty()) return false;
  keyframe = has_idr_;
  if (!keyframe || (has_sps_ && has_pps_)) return true;
  // An IDR sent without its parameter sets: put the last known ones in front.
  if (sps_.empty() || pps_.empty()) return false;
  std::vector<std::uint8_t> prefix;
  prefix.reserve(2 * kStartCode.size() + sps_.size() + pps_.size());
  for (const auto* set : {&sps_, &pps_}) {
    prefix.insert(prefix.end(), kStartCode.begin(), kStartCode.end());
    prefix.insert(prefix.end(), set->begin(), set->end());
  }
  frame.insert(frame.begin(), prefix.begin(), prefix.end());
  return true;
}

}  // namespace throng::record
