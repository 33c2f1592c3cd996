#include "chat/muc/retraction_stanzas.h"

#include "chat/xmpp_namespaces.h"
#include "proto/datetime.h"

namespace throng::chat::muc {
namespace {

proto::XmlElement el(std::string_view name, std::string_view ns) {
  return proto::XmlElement(std::string(name), std::string(ns));
}

proto::XmlElement reasonElement(std::string_view ns, const std::string& reason) {
  auto r = el("reason", ns);
  r.addText(reason);
  return r;
}

proto::XmlElement occupantIdElement(const std::string& id) {
  auto oid = el("occupant-id", kOccupantIdNs);
  oid.setAttribute("id", id);
  return oid;
}

// <moderated by='...' xmlns='urn:xmpp:message-moderate:1'><occupant-id/></moderated>
proto::XmlElement moderatedBy(const Moderation& moderation) {
  auto moderated = el("moderated", kModerateNs);
  moderated.setAttribute("by", moderation.moderator_jid);
  if (!moderation.moderator_occupant_id.empty()) {
    moderated.addChild(occupantIdElement(moderation.moderator_occupant_id));
  }
  return moderated;
}

// The original message's address and ids, kept by every tombstone so that clients can match
// it with what they showed.
proto::XmlElement tombstoneShell(const std::string& room_jid, const std::string& nick) {
  auto m = el("message", kClientNs);
  m.setAttribute("from", room_jid + "/" + nick);
  m.setAttribute("type", "groupchat");
  return m;
}

void addIds(proto::XmlElement& m, const std::string& room_jid, const std::string& stanza_id,
            const std::string& occupant_id) {
  auto sid = el("stanza-id", kStanzaIdNs);
  sid.setAttribute("id", stanza_id);
  sid.setAttribute("by", room_jid);
  m.addChild(std::move(sid));
  if (!occupant_id.empty()) m.addChild(occupantIdElement(occupant_id));
}

}  // namespace

proto::XmlElement moderationNotice(const std::string& room_jid, const std::string& stanza_id,
                                   const Moderation& moderation, const std::string& notice_id) {
  auto m = el("message", kClientNs);
  m.setAttribute("from", room_jid);
  m.setAttribute("type", "groupchat");
  m.setAttribute("id", notice_id);
  // XEP-0425 §4 (0.3): <retract id=…><moderated/><reason/></retract>
  auto retract = el("retract", kRetractNs);
  retract.setAttribute("id", stanza_id);
  retract.addChild(moderatedBy(moderation));
  if (!moderation.reason.empty()) retract.addChild(reasonElement(kRetractNs, moderation.reason));
  m.addChild(std::move(retract));
  // XEP-0425 0.2: <apply-to id=…><moderated by=…><retract/><reason/></moderated></apply-to>
  auto apply_to = el("apply-to", kFastenNs);
  apply_to.setAttribute("id", stanza_id);
  auto moderated0 = el("moderated", kModerate0Ns);
  moderated0.setAttribute("by", moderation.moderator_jid);
  moderated0.addChild(el("retract", kRetract0Ns));
  if (!moderation.reason.empty()) moderated0.addChild(reasonElement(kModerate0Ns, moderation.reason));
  apply_to.addChild(std::move(moderated0));
  m.addChild(std::move(apply_to));
  // Archives keep the tombstone, not this notice (XEP-0334).
  m.addChild(el("no-store", kHintsNs));
  return m;
}

proto::XmlElement moderatedTombstone(const std::string& room_jid, const std::string& nick,
                                     const std::string& occupant_id, const std::string& stanza_id,
                                     const Moderation& moderation,
                                     std::chrono::system_clock::time_point when) {
  const std::string stamp = proto::formatXmppDateTime(when);
  auto m = tombstoneShell(room_jid, nick);
  // XEP-0425 §5 (0.3): <retracted stamp=…><moderated/><reason/></retracted>
  auto retracted = el("retracted", kRetractNs);
  retracted.setAttribute("stamp", stamp);
  retracted.addChild(moderatedBy(moderation));
  if (!moderation.reason.empty()) retracted.addChild(reasonElement(kRetractNs, moderation.reason));
  m.addChild(std::move(retracted));
  // XEP-0425 0.2: <moderated by=…><retracted stamp=…/><reason/></moderated>
  auto moderated0 = el("moderated", kModerate0Ns);
  moderated0.setAttribute("by", moderation.moderator_jid);
  auto retracted0 = el("retracted", kRetract0Ns);
  retracted0.setAttribute("stamp", stamp);
  moderated0.addChild(std::move(retracted0));
  if (!moderation.reason.empty()) moderated0.addChild(reasonElement(kModerate0Ns, moderation.reason));
  m.addChild(std::move(moderated0));
  addIds(m, room_jid, stanza_id, occupant_id);
  return m;
}

proto::XmlElement retractedTombstone(const std::string& room_jid, const std::string& nick,
                                     const std::string& occupant_id, const std::string& stanza_id,
                                     const std::string& retraction_id,
                                     std::chrono::system_clock::time_point when) {
  auto m = tombstoneShell(room_jid, nick);
  auto retracted = el("retracted", kRetractNs);
  retracted.setAttribute("stamp", proto::formatXmppDateTime(when));
  if (!retraction_id.empty()) retracted.setAttribute("id", retraction_id);
  m.addChild(std::move(retracted));
  addIds(m, room_jid, stanza_id, occupant_id);
  return m;
}

}  // namespace throng::chat::muc
