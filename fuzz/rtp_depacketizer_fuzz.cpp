// Fuzzes what reads a recording's RTP back (src/record): the RTP view, the reorder buffer and the
// VP8, H.264 and Opus depacketizers. The input is a run of packets, each a 2-byte length and
// that many bytes. Payloads lie inside their packet, released sequence numbers only grow, and
// no frame exceeds the bound.
#include "record/depacketizer.h"
#include "record/h264_depacketizer.h"
#include "record/reorder_buffer.h"
#include "record/rtp_view.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace throng::record;  // NOLINT(google-build-using-namespace)
  std::unique_ptr<Depacketizer> depacketizers[] = {
      makeDepacketizer("VP8", ""), makeDepacketizer("H264", "sprop-parameter-sets=Z0LAHtkA,aM4ygA"),
      makeDepacketizer("opus", "")};
  ReorderBuffer reorder(8);
  std::vector<SequencedPacket> released;
  std::vector<MediaFrame> frames;
  std::int64_t last = INT64_MIN;
  std::uint64_t restarts = 0;
  const auto feed = [&] {
    // A numbering restart (ReorderBuffer::restarts) may step back once.
    bool restarted = reorder.restarts() != restarts;
    restarts = reorder.restarts();
    for (const SequencedPacket& p : released) {
      if (p.sequence <= last) {
        if (!restarted) std::abort();
        restarted = false;
      }
      last = p.sequence;
      auto rtp = parseRtpView(p.bytes);
      if (!rtp) std::abort();  // only parsed packets go in
      for (auto& d : depacketizers) d->push(*rtp, p.gap_before, p.arrival, frames);
    }
    released.clear();
    for (const MediaFrame& f : frames) {
      // + the parameter sets an IDR may get in front
      if (f.data.size() > kMaxFrameBytes + 2 * (4 + kMaxParameterSetBytes)) std::abort();
    }
    frames.clear();
  };
  std::size_t at = 0;
  while (size - at >= 2) {
    const std::size_t length = static_cast<std::size_t>(data[at] << 8 | data[at + 1]);
    at += 2;
    if (length > size - at) break;
    const std::span<const std::uint8_t> packet(data + at, length);
    at += length;
    auto rtp = parseRtpView(packet);
    if (!rtp) continue;
    if (rtp->payload.data() < packet.data() ||
        rtp->payload.data() + rtp->payload.size() > packet.data() + packet.size()) {
      std::abort();
    }
    reorder.push(rtp->sequence, packet, {}, released);
    feed();
  }
  reorder.drain(released);
  feed();
  for (auto& d : depacketizers) d->finish(frames);
  return 0;
}
