#include "chat/muc/mam_results.h"

#include "chat/xmpp_namespaces.h"
#include "proto/datetime.h"

namespace throng::chat::muc {
namespace {

void appendAttribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "='";
  proto::escapeAttribute(out, value);
  out += '\'';
}

proto::XmlElement textElement(std::string_view name, std::string_view ns, std::string text) {
  proto::XmlElement e{std::string(name), std::string(ns)};
  e.addText(std::move(text));
  return e;
}

}  // namespace

RoutedStanza mamResult(const std::string& room_jid, const std::string& query_id,
                       const ArchivedMessage& message) {
  std::string tail = "'";
  appendAttribute(tail, "from", room_jid);
  appendAttribute(tail, "xmlns", kClientNs);
  tail += "><result";
  appendAttribute(tail, "xmlns", kMamNs);
  if (!query_id.empty()) appendAttribute(tail, "queryid", query_id);
  appendAttribute(tail, "id", message.stanza_id);
  tail += "><forwarded";
  appendAttribute(tail, "xmlns", kForwardNs);
  tail += "><delay";
  appendAttribute(tail, "xmlns", kDelayNs);
  appendAttribute(tail, "stamp", proto::formatXmppDateTime(message.at));
  tail += "/>";
  tail += message.xml;  // serialized with its own xmlns='jabber:client'
  tail += "</forwarded></result></message>";
  return RoutedStanza{SharedBytes(std::string("<message to='")), SharedBytes(std::move(tail)),
                      Delivery::kEssential};
}

proto::XmlElement mamFin(const std::vector<const ArchivedMessage*>& page, bool complete) {
  proto::XmlElement fin{"fin", std::string(kMamNs)};
  if (complete) fin.setAttribute("complete", "true");
  proto::XmlElement set{"set", std::string(kRsmNs)};
  if (!page.empty()) {
    set.addChild(textElement("first", kRsmNs, page.front()->stanza_id));
    set.addChild(textElement("last", kRsmNs, page.back()->stanza_id));
  }
  fin.addChild(std::move(set));
  return fin;
}

}  // namespace throng::chat::muc
