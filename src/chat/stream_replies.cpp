#include "chat/stream_replies.h"

#include "chat/xmpp_namespaces.h"

#include <string>

namespace throng::chat {
namespace {


proto::XmlElement element(std::string_view name, std::string_view ns) {
  return proto::XmlElement(std::string(name), std::string(ns));
}

}  // namespace

proto::XmlElement negotiationIqError(const proto::XmlElement& iq, std::string_view type,
                                     std::string_view condition) {
  auto reply = element("iq", kClientNs);
  reply.setAttribute("type", "error");
  if (const auto* id = iq.attribute("id")) reply.setAttribute("id", *id);
  auto error = element("error", kClientNs);
  error.setAttribute("type", std::string(type));
  error.addChild(element(condition, kStanzasNs));
  reply.addChild(std::move(error));
  return reply;
}

std::optional<proto::XmlElement> resourceConstraint(const proto::XmlElement& stanza,
                                                    std::string_view client_jid,
                                                    std::string_view text) {
  const auto type = stanza.attributeOr("type", "");
  const bool request = (stanza.name() == "message" && type != "error") ||
                       (stanza.name() == "iq" && (type == "get" || type == "set"));
  if (!request) return std::nullopt;
  auto reply = element(stanza.name(), kClientNs);
  reply.setAttribute("type", "error");
  if (const auto* id = stanza.attribute("id")) reply.setAttribute("id", *id);
  // From the address the client wrote to, as any error about that stanza (RFC 6120 §8.3.1):
  // clients match answers to requests by it.
  if (const auto* to = stanza.attribute("to")) reply.setAttribute("from", *to);
  reply.setAttribute("to", std::string(client_jid));
  auto error = element("error", kClientNs);
  error.setAttribute("type", "wait");  // try again later
  error.addChild(element("resource-constraint", kStanzasNs));
  auto explanation = element("text", kStanzasNs);
  explanation.addText(std::string(text));
  error.addChild(std::move(explanation));
  reply.addChild(std::move(error));
  return reply;
}

proto::XmlElement serverPing(std::string_view id, std::string_view from, std::string_view to) {
  auto iq = element("iq", kClientNs);
  iq.setAttribute("type", "get");
  iq.setAttribute("id", std::string(id));
  iq.setAttribute("from", std::string(from));
  iq.setAttribute("to", std::string(to));
  iq.addChild(element("ping", kPingNs));
  return iq;
}

bool isPingAnswer(const proto::XmlElement& stanza, std::string_view id) {
  if (id.empty() || stanza.name() != "iq") return false;
  const auto type = stanza.attributeOr("type", "");
  return (type == "result" || type == "error") && stanza.attributeOr("id", "") == id;
}

}  // namespace throng::chat
