// H.264 RTP payloads, packetization-mode 1 (RFC 6184).
#include "media/h264_packetizer.h"

#include "media/h264_nal.h"

#include <algorithm>

namespace throng::media {
namespace {

constexpr unsigned char kForbiddenAndNri = 0xe0;  // F bit and nal_ref_idc of a NAL header
constexpr unsigned char kNri = 0x60;
constexpr unsigned char kFuStart = 0x80;    // FU header S bit (RFC 6184 §5.8)
constexpr unsigned char kFuEnd = 0x40;      // FU header E bit
constexpr std::size_t kStapASizeBytes = 2;  // each aggregated unit's 16-bit size
constexpr std::size_t kFuAHeaderBytes = 2;  // FU indicator + FU header

bool isParameterSet(std::string_view nal) {
  const int type = nalType(static_cast<unsigned char>(nal[0]));
  return type == kNalSps || type == kNalPps;
}

void appendSize(std::string& bytes, std::size_t size) {
  bytes.push_back(static_cast<char>(size >> 8));
  bytes.push_back(static_cast<char>(size & 0xff));
}

}  // namespace

H264Packetizer::H264Packetizer(std::size_t max_payload_bytes)
    : max_payload_bytes_(max_payload_bytes) {}

void H264Packetizer::packetize(const EncodedFrame& frame, std::vector<Payload>& out) {
  nals_.clear();
  splitAnnexB(frame.data, nals_);
  const std::size_t first_payload = out.size();
  for (std::size_t i = 0; i < nals_.size(); ++i) {
    const std::string_view nal = nals_[i];
    const int type = nalType(static_cast<unsigned char>(nal[0]));
    if (type == kNalAud || type == kNalSei || type == kNalFiller) continue;
    // SPS then PPS: one STAP-A when both fit, so a joiner gets both or neither.
    if (isParameterSet(nal) && i + 1 < nals_.size() && isParameterSet(nals_[i + 1])) {
      const std::string_view next = nals_[i + 1];
      if (1 + 2 * kStapASizeBytes + nal.size() + next.size() <= max_payload_bytes_) {
        addStapA(nal, next, frame, out);
        ++i;
        continue;
      }
    }
    if (nal.size() <= max_payload_bytes_) {
      addSingle(nal, frame, out);
    } else {
      addFuA(nal, frame, out);
    }
  }
  if (out.size() > first_payload) {
    out[first_payload].keyframe_start = frame.keyframe;
    out.back().marker = true;
  }
}

Payload& H264Packetizer::addPayload(const EncodedFrame& frame, std::vector<Payload>& out) {
  Payload& p = out.emplace_back();
  p.track = Track::kVideo;
  p.rtp_timestamp = frame.rtp_timestamp;
  return p;
}

void H264Packetizer::addSingle(std::string_view nal, const EncodedFrame& frame,
                               std::vector<Payload>& out) {
  // Single NAL unit packet (§5.6): the NAL unit is the payload.
  addPayload(frame, out).bytes.assign(nal);
}

void H264Packetizer::addStapA(std::string_view first, std::string_view second,
                              const EncodedFrame& frame, std::vector<Payload>& out) {
  // STAP-A (§5.7.1): F = OR of the units' F bits, NRI = their largest NRI.
  const auto h1 = static_cast<unsigned char>(first[0]);
  const auto h2 = static_cast<unsigned char>(second[0]);
  const unsigned char f = (h1 | h2) & 0x80;
  const unsigned char nri = std::max(h1 & kNri, h2 & kNri);
  std::string& bytes = addPayload(frame, out).bytes;
  bytes.reserve(1 + 2 * kStapASizeBytes + first.size() + second.size());
  bytes.push_back(static_cast<char>(f | nri | kNalStapA));
  appendSize(bytes, first.size());
  bytes.append(first);
  appendSize(bytes, second.size());
  bytes.append(second);
}

void H264Packetizer::addFuA(std::string_view nal, const EncodedFrame& frame,
                            std::vector<Payload>& out) {
  // FU-A (§5.8): the NAL header is not sent; its F/NRI go in the FU indicator, its type in the
  // FU header. Equal-size fragments, so that no fragment is a runt.
  const auto header = static_cast<unsigned char>(nal[0]);
  const std::string_view body = nal.substr(1);
  const std::size_t room = max_payload_bytes_ - kFuAHeaderBytes;
  const std::size_t count = (body.size() + room - 1) / room;
  const std::size_t base = body.size() / count;
  const std::size_t extra = body.size() % count;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t piece = base + (i < extra ? 1 : 0);
    unsigned char fu_header = static_cast<unsigned char>(nalType(header));
    if (i == 0) fu_header |= kFuStart;
    if (i + 1 == count) fu_header |= kFuEnd;
    std::string& bytes = addPayload(frame, out).bytes;
    bytes.reserve(kFuAHeaderBytes + piece);
    bytes.push_back(static_cast<char>((header & kForbiddenAndNri) | kNalFuA));
    bytes.push_back(static_cast<char>(fu_header));
    bytes.append(body.substr(offset, piece));
    offset += piece;
  }
}

}  // namespace throng::media
