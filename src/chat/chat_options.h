// What the chat needs to know about its deployment. Built from the [xmpp] configuration.
#pragma once

#include "chat/muc/muc_policy.h"
#include "proto/xml_stream.h"

#include <chrono>
#include <string>

namespace throng::chat {

struct ChatOptions {
  std::string domain = "localhost";             // accounts live here (SCRAM, PLAIN)
  std::string anonymous_domain = "anon.localhost";  // SASL ANONYMOUS viewers live here
  std::string muc_domain = "rooms.localhost";   // the MUC service (XEP-0045)

  // Per-connection token buckets (design.md §2: O(1), never queues). Stanzas count after
  // binding; bytes count from the first read. The defaults let a person type and a client
  // join a room with a burst of presence and disco, and stop a script from flooding a room.
  double rate_stanzas_per_second = 20;
  double rate_stanzas_burst = 50;
  double rate_bytes_per_second = 64 * 1024;
  double rate_bytes_burst = 256 * 1024;

  // A bound stream silent this long gets an XEP-0199 ping from the server, and is closed with
  // connection-timeout if nothing arrives within ping_timeout after it (RFC 6120 §4.9.3.4).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds ping_timeout{std::chrono::seconds(30)};

  proto::XmlLimits limits;                      // max stanza size, depth, attributes
  muc::MucPolicy muc;                           // rules every room follows
  // Key of the XEP-0421 occupant ids; empty: a random one per process (tests).
  std::string occupant_id_secret;
};

}  // namespace throng::chat
