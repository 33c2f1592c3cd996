// SessionPlan: everything the WHEP or WHIP POST decided about one peer, waiting for its first
// STUN binding request. The worker that receives that request takes the plan and owns
// the session from then on (design.md §5 step 1).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace throng::rtc {

class MediaStream;

enum class SessionRole {
  kViewer,     // WHEP: throng sends the stream
  kPublisher,  // WHIP: throng receives the stream and publishes it
};

struct SessionPlan {
  SessionRole role = SessionRole::kViewer;
  std::string token;         // the unguessable part of the session's WHEP resource URL
  std::string local_ufrag;   // ours, from the answer (RFC 8445 §5.3)
  std::string local_pwd;
  std::string remote_ufrag;  // the viewer's, from the offer
  std::string remote_fingerprint;  // sha-256 of the viewer's DTLS certificate, from the offer
  std::shared_ptr<MediaStream> stream;
  // Per stream track: the payload type the peer negotiated for it, or -1 (not carried).
  std::vector<int> payload_types;
  // Publisher: the feedback its offer accepts (RFC 4585 §4.2), which throng sends upstream.
  bool nack = false, pli = false, fir = false, remb = false;
  // Publisher: its video's simulcast rids (RFC 8853; the stream's layers, in this order) and
  // the one-byte header extension id that names each packet's rid. Empty: one encoding.
  std::vector<std::string> rids;
  int rid_extension = 0;
  std::chrono::steady_clock::time_point created;
};

}  // namespace throng::rtc
