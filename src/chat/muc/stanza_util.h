// Small builders shared by the room's files (room.cpp, room_messages.cpp).
#pragma once

#include "chat/xmpp_namespaces.h"
#include "proto/xml_element.h"

#include <string>
#include <string_view>

namespace throng::chat::muc {

inline proto::XmlElement el(std::string_view name, std::string_view ns) {
  return proto::XmlElement(std::string(name), std::string(ns));
}

inline proto::XmlElement textElement(std::string_view name, std::string_view ns, std::string text) {
  auto e = el(name, ns);
  e.addText(std::move(text));
  return e;
}

// A reply to `stanza` from the address it was sent to; routing adds the 'to'.
inline proto::XmlElement replyTo(const proto::XmlElement& stanza, std::string_view type) {
  auto reply = el(stanza.name(), kClientNs);
  reply.setAttribute("type", std::string(type));
  if (const auto* id = stanza.attribute("id")) reply.setAttribute("id", *id);
  if (const auto* to = stanza.attribute("to")) reply.setAttribute("from", *to);
  return reply;
}

inline bool isErrorOrResult(const proto::XmlElement& stanza) {
  const auto type = stanza.attributeOr("type", "");
  return type == "error" || (stanza.name() == "iq" && type == "result");
}

}  // namespace throng::chat::muc
