// MediaPacket: one RTP packet of a stream, in the clear, built once by the stream and shared by
// every viewer (style.md rule 3). Each simulcast layer of a track has its own sequence numbers;
// a viewer's copy is renumbered so that it sees one continuous track (LayerForwarder). Workers hold references in their rings; each viewer copies
// the bytes only into its send slot, where it rewrites the payload type and protects them.
#pragma once

#include "media/payload_inspect.h"

#include <cstdint>
#include <optional>
#include <memory>
#include <string>

namespace throng::rtc {

struct MediaPacket {
  std::string bytes;    // RTP header (12 bytes, no CSRC, no extension) + payload
  int track = 0;        // index into the stream's tracks
  int layer = 0;        // a simulcast encoding of the track (0 without simulcast)
  std::uint16_t sequence = 0;
  bool keyframe_start = false;  // first packet of a video keyframe: a new viewer starts here
  // VP8 only: the payload descriptor (offsets within the payload), read once here rather than
  // by each viewer whose copy renumbers its pictures after a layer switch.
  std::optional<media::Vp8Descriptor> vp8;
};

using MediaPacketRef = std::shared_ptr<const MediaPacket>;

}  // namespace throng::rtc
