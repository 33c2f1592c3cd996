// What the chat needs to know about its deployment. Built from the [xmpp] configuration.
#pragma once

#include "chat/muc/muc_policy.h"
#include "proto/xml_stream.h"

#include <string>

namespace throng::chat {

struct ChatOptions {
  std::string domain = "localhost";             // accounts live here (SCRAM, PLAIN)
  std::string anonymous_domain = "anon.localhost";  // SASL ANONYMOUS viewers live here
  std::string muc_domain = "rooms.localhost";   // the MUC service (XEP-0045)
  proto::XmlLimits limits;                      // max stanza size, depth, attributes
  muc::MucPolicy muc;                           // rules every room follows
};

}  // namespace throng::chat
