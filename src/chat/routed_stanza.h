// RoutedStanza: a stanza serialized once and delivered to many recipients.
//
// Every stanza a server delivers names its recipient in 'to' (RFC 6120 §8.1.1.1), so the bytes
// of one room message differ per occupant in exactly one attribute. Rather than serialize N
// times, the room serializes once into two shared, immutable halves around the 'to' value:
//
//   head: <message to='             (shared by every recipient)
//   to:   alice@anon.localhost/r1   (the recipient's own bytes, made once when it bound)
//   tail: ' from='room@rooms.localhost/bob' type='groupchat' xmlns='jabber:client'>…</message>
//
// and each connection's outbox writes the three pieces with one writev (design.md §4 step 5).
// The stanza always declares xmlns='jabber:client': redundant but valid inside a TCP stream,
// required in a WebSocket frame (RFC 7395 §3.3.3), so one serialization serves both.
#pragma once

#include "base/shared_bytes.h"
#include "proto/xml_element.h"

#include <string>

namespace throng::chat {

// How an outbox treats a stanza when its reader falls behind (design.md §4 step 6).
enum class Delivery {
  kEssential,   // messages, IQ answers, self-presence: queued or the reader is disconnected
  kSheddable,   // other occupants' presence, occupant counts: dropped first under pressure
};

// When an outbox writes a stanza (docs/life-of-a-stanza.md, "Coalescing").
enum class Pace {
  kAtOnce,     // an answer to the client's own request (join, IQ result, error): written now
  kCoalesced,  // room fan-out: may wait up to xmpp.fanout_flush_ms to share a write with others
};

struct RoutedStanza {
  SharedBytes head;  // ends just inside the 'to' attribute's opening quote
  SharedBytes tail;  // starts with the closing quote
  Delivery delivery = Delivery::kEssential;

  // `stanza` must not carry a 'to' attribute; its namespace is forced to jabber:client.
  static RoutedStanza make(const proto::XmlElement& stanza, Delivery delivery);

  std::size_t sizeWithout() const { return head.size() + tail.size(); }
  // The stanza as serialized, without the 'to' attribute (what an archive keeps): the two
  // halves joined, with the " to='" and "'" around the recipient left out.
  std::string withoutTo() const;
};

}  // namespace throng::chat
