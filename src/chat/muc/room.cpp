#include "chat/muc/room.h"

#include "chat/muc/stanza_util.h"
#include "chat/muc/word_filter.h"
#include "chat/xmpp_namespaces.h"
#include "proto/datetime.h"

#include <algorithm>
#include <charconv>

namespace throng::chat::muc {
namespace {


// XEP-0045 §15.6 status codes.
constexpr int kStatusNonAnonymous = 100;
constexpr int kStatusConfigChanged = 104;
constexpr int kStatusSelf = 110;
constexpr int kStatusCreated = 201;
constexpr int kStatusBanned = 301;
constexpr int kStatusNickChanged = 303;
constexpr int kStatusKicked = 307;
constexpr int kStatusAffiliationChange = 321;
constexpr int kStatusMembersOnly = 322;

constexpr std::size_t kMaxNickBytes = 1023;  // a JID resourcepart (RFC 7622 §3.4)
constexpr std::size_t kMaxSubjectBytes = 4096;
constexpr std::size_t kMaxReasonBytes = 1024;

std::optional<std::uint64_t> parseUnsigned(const proto::XmlElement& e, std::string_view key) {
  const auto* text = e.attribute(key);
  if (text == nullptr) return std::nullopt;
  std::uint64_t value = 0;
  const auto* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string truncated(std::string text, std::size_t max) {
  if (text.size() > max) text.resize(max);
  return text;
}

void addFeature(proto::XmlElement& query, std::string_view var) {
  auto f = el("feature", kDiscoInfoNs);
  f.setAttribute("var", std::string(var));
  query.addChild(std::move(f));
}

void addFormField(proto::XmlElement& form, std::string_view var, std::string value,
                  std::string_view type = {}) {
  auto field = el("field", kDataNs);
  field.setAttribute("var", std::string(var));
  if (!type.empty()) field.setAttribute("type", std::string(type));
  field.addChild(textElement("value", kDataNs, std::move(value)));
  form.addChild(std::move(field));
}

}  // namespace

Room::Room(std::string name, proto::Jid jid, RoomConfig config, RoomEnvironment& env,
           const MucPolicy& policy)
    : name_(std::move(name)),
      jid_(std::move(jid)),
      jid_string_(jid_.full()),
      config_(std::move(config)),
      env_(env),
      policy_(policy),
      history_(config_.history_length),
      stanza_id_prefix_(env.randomId().substr(0, 12)) {
  rebuildSubject();
  rebuildWordFilter();
}

void Room::lockForCreation(const std::string& owner_bare_jid) {
  locked_ = true;
  just_created_ = true;
  affiliations_[owner_bare_jid] = {Affiliation::kOwner, ""};
}

void Room::restore(std::string subject, std::string subject_by,
                   std::map<std::string, std::pair<Affiliation, std::string>> affiliations,
                   std::map<std::string, std::string> address_bans,
                   std::vector<ArchivedMessage> recent, bool recent_holds_everything) {
  subject_ = std::move(subject);
  subject_by_ = std::move(subject_by);
  affiliations_ = std::move(affiliations);
  address_bans_ = std::move(address_bans);
  for (auto& message : recent) recent_.add(std::move(message));
  recent_.setHoldsEverything(recent_holds_everything);
  rebuildSubject();
}

void Room::rebuildWordFilter() {
  word_filter_.reset();
  if (config_.word_filter.empty()) return;
  // The patterns were checked when they were set (applyConfigForm), so this compiles.
  if (auto compiled = WordFilter::compile(config_.word_filter)) word_filter_ = std::move(*compiled);
}

// ---------------------------------------------------------------------------------------------
// Presence

void Room::onPresence(const Sender& sender, const proto::XmlElement& presence,
                      const std::string& nick) {
  const auto type = presence.attributeOr("type", "");
  Occupant* occupant = occupantByJid(sender.jid.full());
  if (type == "unavailable" || type == "error") {
    // XEP-0045 §7.14 exit; an error presence from a client means it cannot take ours.
    if (occupant != nullptr) leave(*occupant, type == "unavailable" ? &presence : nullptr);
    return;
  }
  if (!type.empty()) return;  // subscriptions mean nothing to a room (XEP-0045 §7.2.1 note)
  if (nick.empty()) {
    // XEP-0045 §7.2.5: joining needs a nickname.
    replyError(sender, presence, "modify", "jid-malformed", "a nickname is required");
    return;
  }
  if (occupant == nullptr) {
    join(sender, presence, nick);
  } else if (occupant->nick == nick) {
    updatePresence(*occupant, presence);
  } else {
    changeNick(*occupant, presence, nick);
  }
}

void Room::join(const Sender& sender, const proto::XmlElement& presence, const std::string& nick) {
  const std::string bare = sender.jid.bareString();
  const Affiliation affiliation = affiliationOf(bare);
  if (locked_ && affiliation != Affiliation::kOwner) {
    // XEP-0045 §10.1.1: a room is locked until its owner has configured it.
    replyError(sender, presence, "cancel", "item-not-found", "the room is being created");
    return;
  }
  if (affiliation == Affiliation::kOutcast ||
      (sender.anonymous_user && affiliation == Affiliation::kNone &&
       address_bans_.count(sender.remote_address) != 0)) {
    replyError(sender, presence, "auth", "forbidden", "you are banned from this room");  // §7.2.7
    return;
  }
  if (config_.members_only && affiliation < Affiliation::kMember) {
    replyError(sender, presence, "auth", "registration-required", "members only");  // §7.2.6
    return;
  }
  if (nick.size() > kMaxNickBytes) {
    replyError(sender, presence, "modify", "jid-malformed", "nickname too long");
    return;
  }
  if (occupants_.count(nick) != 0) {
    replyError(sender, presence, "cancel", "conflict", "that nickname is taken");  // §7.2.9
    return;
  }
  if (config_.max_users != 0 && occupants_.size() >= config_.max_users &&
      affiliation < Affiliation::kAdmin) {
    replyError(sender, presence, "wait", "service-unavailable", "the room is full");  // §7.2.10
    return;
  }

  Occupant occupant;
  occupant.nick = nick;
  occupant.address = sender.address;
  occupant.bare_jid = bare;
  occupant.anonymous_user = sender.anonymous_user;
  occupant.remote_address = sender.remote_address;
  occupant.affiliation = affiliation;
  occupant.role = defaultRole(affiliation, sender.anonymous_user);
  if (muted_.count(bare) != 0 && occupant.role == Role::kParticipant) {
    // Leaving and coming back does not undo a moderator's mute.
    occupant.role = Role::kVisitor;
    occupant.voice_revoked = true;
  }
  occupant.occupant_id = env_.occupantId(name_, bare);
  for (const auto& node : presence.nodes()) {
    const auto* child = std::get_if<proto::XmlElement>(&node);
    if (child != nullptr && child->xmlns() == kClientNs) occupant.status.push_back(*child);
  }
  rebuildPresence(occupant);

  // XEP-0045 §7.2.3 order: the others' presence, the self-presence, the history, the subject.
  std::vector<RoutedStanza> sequence;
  const bool sees_jids = seesJids(occupant);
  for (const auto& [other_nick, other] : occupants_) {
    if (!broadcasts(other.role)) continue;
    sequence.push_back(sees_jids ? other.presence_with_jid : other.presence);
  }
  std::vector<int> codes{kStatusSelf};
  if (config_.whois_anyone) codes.push_back(kStatusNonAnonymous);
  if (just_created_) codes.push_back(kStatusCreated);
  sequence.push_back(RoutedStanza::make(occupantPresence(occupant, true, codes, false),
                                        Delivery::kEssential));
  HistoryRequest request;
  request.max_stanzas = config_.history_length;
  if (const auto* x = presence.child("x", kMucNs)) {
    if (const auto* h = x->child("history", kMucNs)) {
      if (auto v = parseUnsigned(*h, "maxstanzas")) request.max_stanzas = std::min<std::uint64_t>(*v, config_.history_length);
      request.max_chars = parseUnsigned(*h, "maxchars");
      request.seconds = parseUnsigned(*h, "seconds");
      if (const auto* since = h->attribute("since")) request.since = proto::parseXmppDateTime(*since);
    }
  }
  for (auto& stanza : history_.select(request, env_.now())) sequence.push_back(std::move(stanza));
  sequence.push_back(subject_stanza_);

  // The others hear of the joiner before it is admitted, so it does not hear itself twice.
  if (broadcasts(occupant.role)) {
    env_.broadcast(name_, occupant.presence, occupant.presence_with_jid, std::nullopt);
  }
  const bool moderator = occupant.role == Role::kModerator;
  env_.admit(name_, occupant.address, moderator, std::move(sequence));
  nick_by_jid_[sender.jid.full()] = nick;
  occupants_.emplace(nick, std::move(occupant));
  just_created_ = false;
}

void Room::updatePresence(Occupant& occupant, const proto::XmlElement& presence) {
  occupant.status.clear();
  for (const auto& node : presence.nodes()) {
    const auto* child = std::get_if<proto::XmlElement>(&node);
    if (child != nullptr && child->xmlns() == kClientNs) occupant.status.push_back(*child);
  }
  rebuildPresence(occupant);
  announce(occupant, broadcasts(occupant.role), {});
}

void Room::changeNick(Occupant& occupant, const proto::XmlElement& presence, const std::string& nick) {
  Sender sender{occupant.address, *proto::Jid::parse(occupant.address.full_jid), occupant.anonymous_user,
                occupant.remote_address};
  if (nick.size() > kMaxNickBytes) {
    replyError(sender, presence, "modify", "jid-malformed", "nickname too long");
    return;
  }
  if (occupants_.count(nick) != 0) {
    replyError(sender, presence, "cancel", "conflict", "that nickname is taken");  // §7.6
    return;
  }
  // XEP-0045 §7.6: unavailable with 303 and the new nick under the old name, then the new
  // presence under the new name.
  const bool broadcast = broadcasts(occupant.role);
  const auto gone_all = occupantPresence(occupant, false, {kStatusNickChanged}, true, nick);
  const auto gone_jid = occupantPresence(occupant, true, {kStatusNickChanged}, true, nick);
  if (broadcast) broadcastPresence(gone_all, gone_jid);
  env_.deliver(occupant.address,
               {RoutedStanza::make(occupantPresence(occupant, true, {kStatusNickChanged, kStatusSelf},
                                                    true, nick),
                                   Delivery::kEssential)});
  auto node = occupants_.extract(occupant.nick);
  node.key() = nick;
  node.mapped().nick = nick;
  auto& moved = occupants_.insert(std::move(node)).position->second;
  nick_by_jid_[moved.address.full_jid] = nick;
  updatePresence(moved, presence);
}

void Room::leave(Occupant& occupant, const proto::XmlElement* presence) {
  if (presence != nullptr) {
    // Keep the parting <status/> text (XEP-0045 §7.14), nothing else.
    occupant.status.clear();
    if (const auto* status = presence->child("status", kClientNs)) occupant.status.push_back(*status);
  }
  const bool broadcast = broadcasts(occupant.role);
  if (broadcast) {
    broadcastPresence(occupantPresence(occupant, false, {}, true),
                      occupantPresence(occupant, true, {}, true));
  }
  env_.dismiss(name_, occupant.address,
               {RoutedStanza::make(occupantPresence(occupant, true, {kStatusSelf}, true),
                                   Delivery::kEssential)});
  nick_by_jid_.erase(occupant.address.full_jid);
  const std::string nick = occupant.nick;  // erase() must not read a key it is destroying
  occupants_.erase(nick);
}

void Room::onStreamGone(const StreamAddress& address) {
  Occupant* occupant = occupantByJid(address.full_jid);
  if (occupant == nullptr || occupant->address.serial != address.serial) return;
  leave(*occupant, nullptr);
}

void Room::expel(const std::string& nick, std::vector<int> codes, const std::string& actor,
                 const std::string& reason, const proto::XmlElement* destroy_element) {
  auto it = occupants_.find(nick);
  if (it == occupants_.end()) return;
  Occupant& occupant = it->second;
  auto decorate = [&](proto::XmlElement presence) {
    auto* x = presence.child("x", kMucUserNs);
    if (auto* item = x != nullptr ? x->child("item", kMucUserNs) : nullptr) {
      item->setAttribute("role", "none");
      if (!actor.empty()) {
        auto a = el("actor", kMucUserNs);
        a.setAttribute("nick", actor);
        item->addChild(std::move(a));
      }
      if (!reason.empty()) item->addChild(textElement("reason", kMucUserNs, reason));
    }
    if (destroy_element != nullptr && x != nullptr) x->addChild(*destroy_element);
    return presence;
  };
  occupant.status.clear();
  const bool broadcast = broadcasts(occupant.role) && destroy_element == nullptr;
  if (broadcast) {
    broadcastPresence(decorate(occupantPresence(occupant, false, codes, true)),
                      decorate(occupantPresence(occupant, true, codes, true)));
  }
  auto self_codes = codes;
  self_codes.push_back(kStatusSelf);
  env_.dismiss(name_, occupant.address,
               {RoutedStanza::make(decorate(occupantPresence(occupant, true, self_codes, true)),
                                   Delivery::kEssential)});
  nick_by_jid_.erase(occupant.address.full_jid);
  occupants_.erase(it);
}

// ---------------------------------------------------------------------------------------------
// Messages

void Room::onMessage(const Sender& sender, const proto::XmlElement& message, const std::string& nick) {
  const auto type = message.attributeOr("type", "normal");
  if (type == "error") return;  // a bounce from an occupant's client: nothing to answer
  Occupant* occupant = occupantByJid(sender.jid.full());
  if (!nick.empty()) {
    if (type == "groupchat") {
      replyError(sender, message, "modify", "bad-request", "groupchat goes to the room's bare JID");
      return;
    }
    privateMessage(sender, message, nick);
    return;
  }
  if (occupant == nullptr) {
    // XEP-0045 §7.4: only occupants may send to the room.
    replyError(sender, message, "modify", "not-acceptable", "join the room before sending to it");
    return;
  }
  if (type != "groupchat") {
    // Mediated invitations and voice requests (XEP-0045 §7.8, §8.6) are not offered.
    replyError(sender, message, "cancel", "feature-not-implemented");
    return;
  }
  groupchat(sender, *occupant, message);
}

void Room::changeSubject(Occupant& occupant, const proto::XmlElement& message) {
  const bool allowed = occupant.role == Role::kModerator ||
                       (config_.occupants_change_subject && occupant.role >= Role::kParticipant);
  Sender sender{occupant.address, *proto::Jid::parse(occupant.address.full_jid), occupant.anonymous_user,
                occupant.remote_address};
  if (!allowed) {
    replyError(sender, message, "auth", "forbidden", "you may not change the subject");  // §8.1
    return;
  }
  std::string subject = message.child("subject", kClientNs)->text();
  if (subject.size() > kMaxSubjectBytes) {
    replyError(sender, message, "modify", "not-acceptable", "the subject is too long");
    return;
  }
  subject_ = std::move(subject);
  subject_by_ = occupant.nick;
  rebuildSubject();
  env_.broadcast(name_, subject_stanza_, std::nullopt, std::nullopt);
  persistIfNeeded();
}

void Room::rebuildSubject() {
  // XEP-0045 §7.2.15: the subject closes every join, even when empty; from the occupant JID
  // of who set it, or the room.
  auto m = el("message", kClientNs);
  m.setAttribute("from", subject_by_.empty() ? jid_string_ : occupantJid(subject_by_));
  m.setAttribute("type", "groupchat");
  m.setAttribute("id", "subject");
  m.addChild(textElement("subject", kClientNs, subject_));
  subject_stanza_ = RoutedStanza::make(m, Delivery::kEssential);
}

void Room::privateMessage(const Sender& sender, const proto::XmlElement& message,
                          const std::string& nick) {
  Occupant* from = occupantByJid(sender.jid.full());
  if (from == nullptr) {
    replyError(sender, message, "modify", "not-acceptable", "join the room first");  // §7.5
    return;
  }
  const bool allowed = [&] {
    switch (config_.allow_pm) {
      case AllowPm::kAnyone: return true;
      case AllowPm::kParticipants: return from->role >= Role::kParticipant;
      case AllowPm::kModerators: return from->role == Role::kModerator;
      case AllowPm::kNone: return false;
    }
    return false;
  }();
  if (!allowed) {
    replyError(sender, message, "cancel", "not-allowed", "private messages are not allowed here");
    return;
  }
  auto it = occupants_.find(nick);
  if (it == occupants_.end()) {
    replyError(sender, message, "cancel", "item-not-found", "no occupant with that nickname");
    return;
  }
  auto out = el("message", kClientNs);
  out.setAttribute("from", occupantJid(from->nick));
  out.setAttribute("type", std::string(message.attributeOr("type", "chat")));
  if (const auto* id = message.attribute("id")) out.setAttribute("id", *id);
  for (const auto& node : message.nodes()) {
    const auto* child = std::get_if<proto::XmlElement>(&node);
    if (child != nullptr && child->xmlns() != kMucUserNs && child->xmlns() != kOccupantIdNs) {
      out.addChild(*child);
    }
  }
  out.addChild(el("x", kMucUserNs));  // XEP-0045 §7.5: marks it as a private message
  auto oid = el("occupant-id", kOccupantIdNs);
  oid.setAttribute("id", from->occupant_id);
  out.addChild(std::move(oid));
  env_.deliver(it->second.address, {RoutedStanza::make(out, Delivery::kEssential)});
}

// ---------------------------------------------------------------------------------------------
// IQs

void Room::onIq(const Sender& sender, const proto::XmlElement& iq, const std::string& nick) {
  if (isErrorOrResult(iq)) return;
  if (nick.empty()) {
    roomIq(sender, iq);
    return;
  }
  const auto type = iq.attributeOr("type", "");
  if (type == "get" && (iq.child("vCard", kVcardNs) != nullptr ||
                        iq.child("vcard", kVcard4Ns) != nullptr)) {
    // design.md §2: avatar storms. The room answers for its occupants and never forwards;
    // throng keeps no vCards (the web UI draws initials), so there is nothing to find.
    replyError(sender, iq, "cancel", "item-not-found");
    return;
  }
  if (type == "get" && iq.child("ping", kPingNs) != nullptr) {
    // XEP-0410 §3: a client checks it is still joined by pinging its own occupant JID.
    Occupant* self = occupantByJid(sender.jid.full());
    if (self == nullptr) {
      replyError(sender, iq, "modify", "not-acceptable", "not joined");
    } else if (self->nick == nick) {
      reply(sender, replyTo(iq, "result"));
    } else {
      replyError(sender, iq, "cancel", "service-unavailable");
    }
    return;
  }
  // IQs are not relayed between occupants: nothing a live audience needs, and a relay is how
  // one viewer makes every other one answer (design.md §2).
  replyError(sender, iq, "cancel", "service-unavailable");
}

void Room::roomIq(const Sender& sender, const proto::XmlElement& iq) {
  const auto type = iq.attributeOr("type", "");
  if (type == "get" && iq.child("query", kDiscoInfoNs) != nullptr) {
    discoInfo(sender, iq);
    return;
  }
  if (type == "get" && iq.child("query", kDiscoItemsNs) != nullptr) {
    // XEP-0045 §6.5 lets a room keep its occupant list to itself: with thousands of viewers
    // it would be a megabyte, and the count is in disco#info.
    auto result = replyTo(iq, "result");
    result.addChild(el("query", kDiscoItemsNs));
    reply(sender, std::move(result));
    return;
  }
  if (type == "get" && iq.child("ping", kPingNs) != nullptr) {
    reply(sender, replyTo(iq, "result"));
    return;
  }
  if (const auto* query = iq.child("query", kMucAdminNs)) {
    if (type == "get") adminGet(sender, iq, *query);
    else adminSet(sender, iq, *query);
    return;
  }
  if (const auto* query = iq.child("query", kMucOwnerNs)) {
    ownerIq(sender, iq, *query);
    return;
  }
  if (const auto* query = iq.child("query", kMamNs)) {
    mamIq(sender, iq, *query);
    return;
  }
  if (type == "set") {
    // XEP-0425 0.3: <moderate id=… xmlns='urn:xmpp:message-moderate:1'><retract/><reason/>
    if (const auto* m = iq.child("moderate", kModerateNs)) {
      if (m->child("retract", kRetractNs) == nullptr) {
        replyError(sender, iq, "cancel", "feature-not-implemented", "only retraction is supported");
        return;
      }
      const auto* reason = m->child("reason", kModerateNs);
      moderate(sender, iq, std::string(m->attributeOr("id", "")),
               reason != nullptr ? truncated(reason->text(), kMaxReasonBytes) : std::string());
      return;
    }
    // XEP-0425 0.2: <apply-to id=… xmlns='urn:xmpp:fasten:0'><moderate xmlns=…:0><retract/>
    if (const auto* apply_to = iq.child("apply-to", kFastenNs)) {
      const auto* m = apply_to->child("moderate", kModerate0Ns);
      if (m == nullptr || m->child("retract", kRetract0Ns) == nullptr) {
        replyError(sender, iq, "cancel", "feature-not-implemented", "only retraction is supported");
        return;
      }
      const auto* reason = m->child("reason", kModerate0Ns);
      moderate(sender, iq, std::string(apply_to->attributeOr("id", "")),
               reason != nullptr ? truncated(reason->text(), kMaxReasonBytes) : std::string());
      return;
    }
  }
  replyError(sender, iq, "cancel", "service-unavailable");
}

void Room::discoInfo(const Sender& sender, const proto::XmlElement& iq) {
  if (locked_ && affiliationOf(sender.jid.bareString()) != Affiliation::kOwner) {
    replyError(sender, iq, "cancel", "item-not-found");
    return;
  }
  auto result = replyTo(iq, "result");
  auto query = el("query", kDiscoInfoNs);
  auto identity = el("identity", kDiscoInfoNs);
  identity.setAttribute("category", "conference");
  identity.setAttribute("type", "text");
  identity.setAttribute("name", config_.name.empty() ? name_ : config_.name);
  query.addChild(std::move(identity));
  // XEP-0045 §6.4 and §15.5.3 features.
  for (std::string_view feature :
       {kMucNs, kDiscoInfoNs, kStanzaIdNs, kOccupantIdNs, kSelfPingFeature, kPingNs, kOccupantsNs,
        kMamNs, kMamExtendedFeature, kModerateNs, kModerate0Ns, kRetractNs, kRetract0Ns, kCorrectNs,
        std::string_view(config_.persistent ? "muc_persistent" : "muc_temporary"),
        std::string_view(config_.public_room ? "muc_public" : "muc_hidden"),
        std::string_view(config_.members_only ? "muc_membersonly" : "muc_open"),
        std::string_view(config_.moderated ? "muc_moderated" : "muc_unmoderated"),
        std::string_view(config_.whois_anyone ? "muc_nonanonymous" : "muc_semianonymous"),
        std::string_view("muc_unsecured")}) {
    addFeature(query, feature);
  }
  auto form = el("x", kDataNs);
  form.setAttribute("type", "result");
  addFormField(form, "FORM_TYPE", "http://jabber.org/protocol/muc#roominfo", "hidden");
  addFormField(form, "muc#roominfo_occupants", std::to_string(occupants_.size()));
  addFormField(form, "muc#roominfo_description", config_.description);
  addFormField(form, "muc#roominfo_subject", subject_);
  addFormField(form, "muc#roomconfig_roomname", config_.name);
  addFormField(form, "muc#roomconfig_changesubject", config_.occupants_change_subject ? "1" : "0");
  // XEP-0500 §5: clients read the slow-mode duration here (and again after status 104).
  if (config_.slow_mode_seconds > 0) {
    addFormField(form, "muc#roominfo_slow_mode_duration", std::to_string(config_.slow_mode_seconds));
  }
  query.addChild(std::move(form));
  result.addChild(std::move(query));
  reply(sender, std::move(result));
}

void Room::adminGet(const Sender& sender, const proto::XmlElement& iq,
                    const proto::XmlElement& query) {
  const Occupant* requester = occupantByJid(sender.jid.full());
  const Affiliation requester_affiliation = affiliationOf(sender.jid.bareString());
  const auto* item = query.child("item", kMucAdminNs);
  if (item == nullptr) {
    replyError(sender, iq, "modify", "bad-request", "an <item/> with a role or affiliation is needed");
    return;
  }
  auto result = replyTo(iq, "result");
  auto out = el("query", kMucAdminNs);
  if (const auto* role_name = item->attribute("role")) {
    // XEP-0045 §8.5 (participants with voice), §9.8 (moderators): moderators may ask.
    auto role = parseRole(*role_name);
    if (!role) {
      replyError(sender, iq, "modify", "bad-request", "unknown role");
      return;
    }
    if (requester == nullptr || requester->role != Role::kModerator) {
      replyError(sender, iq, "auth", "forbidden");
      return;
    }
    for (const auto& [nick, occupant] : occupants_) {
      if (occupant.role != *role) continue;
      auto entry = el("item", kMucAdminNs);
      entry.setAttribute("nick", nick);
      entry.setAttribute("role", std::string(roleName(occupant.role)));
      entry.setAttribute("affiliation", std::string(affiliationName(occupant.affiliation)));
      entry.setAttribute("jid", occupant.address.full_jid);
      out.addChild(std::move(entry));
    }
  } else if (const auto* affiliation_name = item->attribute("affiliation")) {
    // XEP-0045 §9.5 (ban list), §9.7 (members), §10.5/§10.8: admins and owners may ask.
    auto affiliation = parseAffiliation(*affiliation_name);
    if (!affiliation || *affiliation == Affiliation::kNone) {
      replyError(sender, iq, "modify", "bad-request", "unknown affiliation");
      return;
    }
    if (requester_affiliation < Affiliation::kAdmin) {
      replyError(sender, iq, "auth", "forbidden");
      return;
    }
    for (const auto& [bare, entry_value] : affiliations_) {
      if (entry_value.first != *affiliation) continue;
      auto entry = el("item", kMucAdminNs);
      entry.setAttribute("jid", bare);
      entry.setAttribute("affiliation", std::string(affiliationName(entry_value.first)));
      if (!entry_value.second.empty()) {
        entry.addChild(textElement("reason", kMucAdminNs, entry_value.second));
      }
      out.addChild(std::move(entry));
    }
  } else {
    replyError(sender, iq, "modify", "bad-request", "an <item/> with a role or affiliation is needed");
    return;
  }
  result.addChild(std::move(out));
  reply(sender, std::move(result));
}

void Room::adminSet(const Sender& sender, const proto::XmlElement& iq,
                    const proto::XmlElement& query) {
  const Occupant* requester = occupantByJid(sender.jid.full());
  const Affiliation requester_affiliation = affiliationOf(sender.jid.bareString());
  const std::string actor = requester != nullptr ? requester->nick : std::string();
  const auto items = query.children("item", kMucAdminNs);
  if (items.empty()) {
    replyError(sender, iq, "modify", "bad-request", "no <item/>");
    return;
  }
  // Check every item first, then apply them all: a batch is all or nothing (XEP-0045 §9.5).
  struct Change {
    std::optional<Role> role;
    std::optional<Affiliation> affiliation;
    std::string nick;
    std::string bare_jid;
    std::string reason;
  };
  std::vector<Change> changes;
  for (const auto* item : items) {
    Change change;
    if (const auto* r = item->child("reason", kMucAdminNs)) change.reason = truncated(r->text(), kMaxReasonBytes);
    if (const auto* role_name = item->attribute("role")) {
      change.role = parseRole(*role_name);
      if (!change.role) {
        replyError(sender, iq, "modify", "bad-request", "unknown role");
        return;
      }
      change.nick = std::string(item->attributeOr("nick", ""));
      auto target = occupants_.find(change.nick);
      if (target == occupants_.end()) {
        replyError(sender, iq, "cancel", "item-not-found", "no occupant with that nickname");
        return;
      }
      if (requester == nullptr || requester->role != Role::kModerator) {
        replyError(sender, iq, "auth", "forbidden", "only moderators may change roles");
        return;
      }
      const Occupant& t = target->second;
      // XEP-0045 §8.2, §8.4: nobody below admin kicks or silences an admin or owner, and no
      // one acts on an occupant of higher affiliation. §9.6/§9.7: moderator rights are given
      // and taken by admins and owners.
      if ((*change.role < Role::kModerator && t.affiliation >= Affiliation::kAdmin) ||
          t.affiliation > requester_affiliation ||
          ((*change.role == Role::kModerator || t.role == Role::kModerator) &&
           requester_affiliation < Affiliation::kAdmin && t.nick != requester->nick)) {
        replyError(sender, iq, "cancel", "not-allowed", "you may not change that occupant's role");
        return;
      }
    } else if (const auto* affiliation_name = item->attribute("affiliation")) {
      change.affiliation = parseAffiliation(*affiliation_name);
      if (!change.affiliation) {
        replyError(sender, iq, "modify", "bad-request", "unknown affiliation");
        return;
      }
      if (const auto* jid_text = item->attribute("jid")) {
        auto jid = proto::Jid::parse(*jid_text);
        if (!jid) {
          replyError(sender, iq, "modify", "jid-malformed");
          return;
        }
        change.bare_jid = jid->bareString();
      } else if (const auto* nick = item->attribute("nick")) {
        auto target = occupants_.find(*nick);
        if (target == occupants_.end()) {
          replyError(sender, iq, "cancel", "item-not-found", "no occupant with that nickname");
          return;
        }
        change.bare_jid = target->second.bare_jid;
      } else {
        replyError(sender, iq, "modify", "bad-request", "an affiliation change needs a jid");
        return;
      }
      if (requester_affiliation < Affiliation::kAdmin) {
        replyError(sender, iq, "auth", "forbidden", "only admins and owners may change affiliations");
        return;
      }
      const Affiliation current = affiliationOf(change.bare_jid);
      // XEP-0045 §9: an admin manages members and outcasts; owners manage everyone.
      if (requester_affiliation < Affiliation::kOwner &&
          (current >= Affiliation::kAdmin || *change.affiliation >= Affiliation::kAdmin)) {
        replyError(sender, iq, "cancel", "not-allowed", "only owners may change admins and owners");
        return;
      }
      if (policy_.admins.count(change.bare_jid) != 0) {
        replyError(sender, iq, "cancel", "not-allowed", "a service administrator's affiliation is fixed");
        return;
      }
    } else {
      replyError(sender, iq, "modify", "bad-request", "an <item/> needs a role or an affiliation");
      return;
    }
    changes.push_back(std::move(change));
  }
  const std::string actor_bare = sender.jid.bareString();
  for (auto& change : changes) {
    if (change.role) {
      auto it = occupants_.find(change.nick);
      if (it == occupants_.end()) continue;  // an earlier item of the batch removed it
      if (*change.role == Role::kNone) {
        logModeration(actor_bare, actor, "kick", change.nick, change.reason);
        expel(change.nick, {kStatusKicked}, actor, change.reason);  // XEP-0045 §8.2
      } else if (const Occupant* moderator = occupantByJid(sender.jid.full())) {
        setRoleByModerator(it->second, *change.role, *moderator, change.reason);
      }
    } else {
      const Affiliation before = affiliationOf(change.bare_jid);
      const char* action = *change.affiliation == Affiliation::kOutcast ? "ban"
                           : before == Affiliation::kOutcast            ? "unban"
                                                                        : "affiliation";
      logModeration(actor_bare, actor, action,
                    change.bare_jid + (std::string_view(action) == "affiliation"
                                           ? " " + std::string(affiliationName(*change.affiliation))
                                           : std::string()),
                    change.reason);
      if (*change.affiliation == Affiliation::kOutcast && config_.ban_anonymous_by_address) {
        // An anonymous JID is new on every connection: ban where it comes from as well.
        for (const auto& [nick, occupant] : occupants_) {
          if (occupant.bare_jid != change.bare_jid || !occupant.anonymous_user ||
              occupant.remote_address.empty() ||
              policy_.address_ban_exempt.count(occupant.remote_address) != 0) {
            continue;
          }
          address_bans_[occupant.remote_address] = change.reason;
          env_.saveAddressBan(name_, occupant.remote_address, change.reason);
          logModeration(actor_bare, actor, "ip-ban", occupant.remote_address, change.reason);
        }
      }
      setAffiliation(change.bare_jid, *change.affiliation, actor, change.reason);
    }
  }
  reply(sender, replyTo(iq, "result"));
}

void Room::ownerIq(const Sender& sender, const proto::XmlElement& iq, const proto::XmlElement& query) {
  if (affiliationOf(sender.jid.bareString()) != Affiliation::kOwner) {
    replyError(sender, iq, "auth", "forbidden", "only owners may configure the room");  // §10.1
    return;
  }
  const auto type = iq.attributeOr("type", "");
  if (type == "get") {
    auto result = replyTo(iq, "result");
    auto out = el("query", kMucOwnerNs);
    out.addChild(configForm(config_));
    result.addChild(std::move(out));
    reply(sender, std::move(result));
    return;
  }
  if (const auto* destroy_element = query.child("destroy", kMucOwnerNs)) {
    reply(sender, replyTo(iq, "result"));
    destroy(destroy_element);  // XEP-0045 §10.9
    return;
  }
  const auto* x = query.child("x", kDataNs);
  if (x == nullptr) {
    replyError(sender, iq, "modify", "bad-request", "expected a data form or <destroy/>");
    return;
  }
  const auto form_type = x->attributeOr("type", "");
  if (form_type == "cancel") {
    reply(sender, replyTo(iq, "result"));
    if (locked_) destroy(nullptr);  // XEP-0045 §10.1.3: cancelling creation destroys the room
    return;
  }
  if (form_type != "submit") {
    replyError(sender, iq, "modify", "bad-request", "the form must be submitted");
    return;
  }
  RoomConfig next = config_;
  if (auto status = applyConfigForm(*x, next); !status) {
    replyError(sender, iq, "modify", "not-acceptable", status.error().message);
    return;
  }
  const RoomConfig before = config_;
  config_ = std::move(next);
  history_.setCapacity(config_.history_length);
  if (config_.word_filter != before.word_filter) rebuildWordFilter();
  if (!locked_) {
    const Occupant* owner = occupantByJid(sender.jid.full());
    logModeration(sender.jid.bareString(), owner != nullptr ? owner->nick : "", "config", "",
                  truncated(configChanges(before, config_), kMaxReasonBytes));
  }
  const bool was_locked = locked_;
  locked_ = false;
  reply(sender, replyTo(iq, "result"));
  if (before.persistent && !config_.persistent) env_.deleteRoom(name_);
  persistIfNeeded();
  if (!before.persistent && config_.persistent) {
    // Affiliations given while the room was temporary are kept from now on too.
    for (const auto& [bare, entry] : affiliations_) {
      env_.saveAffiliation(name_, bare, entry.first, entry.second);
    }
  }
  if (!was_locked) {
    // XEP-0045 §10.2.1: tell the occupants the configuration changed (status 104).
    auto m = el("message", kClientNs);
    m.setAttribute("from", jid_string_);
    m.setAttribute("type", "groupchat");
    auto x_user = el("x", kMucUserNs);
    auto status = el("status", kMucUserNs);
    status.setAttribute("code", std::to_string(kStatusConfigChanged));
    x_user.addChild(std::move(status));
    m.addChild(std::move(x_user));
    env_.broadcast(name_, RoutedStanza::make(m, Delivery::kEssential), std::nullopt, std::nullopt);
  }
  // Roles follow the new rules (moderated, anonymous visitors, members only).
  std::vector<std::string> nicks;
  for (const auto& [nick, occupant] : occupants_) nicks.push_back(nick);
  for (const auto& nick : nicks) {
    auto it = occupants_.find(nick);
    if (it == occupants_.end()) continue;
    Occupant& occupant = it->second;
    if (config_.members_only && occupant.affiliation < Affiliation::kMember) {
      expel(nick, {kStatusMembersOnly}, "", "the room is now members-only");
      continue;
    }
    if (occupant.role == Role::kModerator || occupant.voice_revoked) continue;
    const Role role = defaultRole(occupant.affiliation, occupant.anonymous_user);
    if (role != occupant.role) setRole(occupant, role, "", "");
  }
}

void Room::destroy(const proto::XmlElement* destroy_element) {
  // XEP-0045 §10.9: every occupant gets unavailable presence carrying the <destroy/>.
  std::optional<proto::XmlElement> notice;
  if (destroy_element != nullptr) {
    notice = el("destroy", kMucUserNs);
    if (const auto* alt = destroy_element->attribute("jid")) notice->setAttribute("jid", *alt);
    if (const auto* reason = destroy_element->child("reason", kMucOwnerNs)) {
      notice->addChild(textElement("reason", kMucUserNs, truncated(reason->text(), kMaxReasonBytes)));
    }
  } else {
    notice = el("destroy", kMucUserNs);
  }
  std::vector<std::string> nicks;
  for (const auto& [nick, occupant] : occupants_) nicks.push_back(nick);
  for (const auto& nick : nicks) expel(nick, {}, "", "", &*notice);
  logModeration("", "", "destroy", "", "");
  if (config_.persistent) env_.deleteRoom(name_);
  destroyed_ = true;
}

// ---------------------------------------------------------------------------------------------
// Roles and affiliations

Affiliation Room::affiliationOf(const std::string& bare_jid) const {
  if (policy_.admins.count(bare_jid) != 0) return Affiliation::kOwner;
  auto it = affiliations_.find(bare_jid);
  return it == affiliations_.end() ? Affiliation::kNone : it->second.first;
}

Role Room::defaultRole(Affiliation affiliation, bool anonymous_user) const {
  // XEP-0045 §5.1.2 default roles, plus throng's anonymous-visitors option (docs/muc.md).
  if (affiliation >= Affiliation::kAdmin) return Role::kModerator;
  if (affiliation == Affiliation::kMember) return Role::kParticipant;
  if (config_.moderated) return Role::kVisitor;
  if (anonymous_user && (config_.anonymous_visitors || config_.anonymous_muted)) return Role::kVisitor;
  return Role::kParticipant;
}

void Room::setRole(Occupant& occupant, Role role, const std::string& actor, const std::string& reason) {
  if (occupant.role == role) return;
  const bool was_broadcast = broadcasts(occupant.role);
  const bool was_moderator = occupant.role == Role::kModerator;
  occupant.role = role;
  rebuildPresence(occupant);
  if (was_moderator != (role == Role::kModerator)) {
    env_.setModerator(name_, occupant.address, role == Role::kModerator);
  }
  (void)actor;
  (void)reason;
  announce(occupant, was_broadcast, {});
}

void Room::setRoleByModerator(Occupant& target, Role role, const Occupant& moderator,
                              const std::string& reason) {
  // XEP-0045 §8.4 / §8.3: taking or giving voice. A muted occupant stays muted when it
  // rejoins, and a visitor stays silent even where visitors may otherwise speak.
  const char* action = "role";
  if (role == Role::kVisitor) {
    action = "mute";
    target.voice_revoked = true;
    muted_.insert(target.bare_jid);
  } else if (role == Role::kParticipant && target.role == Role::kVisitor) {
    action = "unmute";
    target.voice_revoked = false;
    muted_.erase(target.bare_jid);
  }
  logModeration(moderator.bare_jid, moderator.nick, action,
                target.nick + (std::string_view(action) == "role" ? " " + std::string(roleName(role)) : ""),
                reason);
  setRole(target, role, moderator.nick, reason);
}

void Room::setAffiliation(const std::string& bare_jid, Affiliation affiliation,
                          const std::string& actor, const std::string& reason) {
  if (affiliation == Affiliation::kNone) {
    affiliations_.erase(bare_jid);
  } else {
    affiliations_[bare_jid] = {affiliation, reason};
  }
  if (config_.persistent) env_.saveAffiliation(name_, bare_jid, affiliation, reason);
  std::vector<std::string> nicks;
  for (const auto& [nick, occupant] : occupants_) {
    if (occupant.bare_jid == bare_jid) nicks.push_back(nick);
  }
  for (const auto& nick : nicks) {
    auto it = occupants_.find(nick);
    if (it == occupants_.end()) continue;
    Occupant& occupant = it->second;
    if (affiliation == Affiliation::kOutcast) {
      expel(nick, {kStatusBanned}, actor, reason);  // XEP-0045 §9.1
      continue;
    }
    if (config_.members_only && affiliation < Affiliation::kMember) {
      expel(nick, {kStatusAffiliationChange}, actor, reason);  // XEP-0045 §9.4
      continue;
    }
    occupant.affiliation = affiliation;
    const Role role = defaultRole(affiliation, occupant.anonymous_user);
    if (role != occupant.role) {
      setRole(occupant, role, actor, reason);
    } else {
      rebuildPresence(occupant);
      announce(occupant, broadcasts(occupant.role), {});
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Stanza building and delivery

std::string Room::occupantJid(const std::string& nick) const { return jid_string_ + "/" + nick; }

proto::XmlElement Room::occupantPresence(const Occupant& occupant, bool with_jid,
                                         const std::vector<int>& codes, bool unavailable,
                                         const std::string& new_nick) const {
  auto p = el("presence", kClientNs);
  p.setAttribute("from", occupantJid(occupant.nick));
  if (unavailable) p.setAttribute("type", "unavailable");
  for (const auto& child : occupant.status) {
    if (unavailable && child.name() != "status") continue;
    p.addChild(child);
  }
  auto x = el("x", kMucUserNs);
  auto item = el("item", kMucUserNs);
  item.setAttribute("affiliation", std::string(affiliationName(occupant.affiliation)));
  item.setAttribute("role", std::string(unavailable ? roleName(Role::kNone) : roleName(occupant.role)));
  if (with_jid) item.setAttribute("jid", occupant.address.full_jid);
  if (!new_nick.empty()) item.setAttribute("nick", new_nick);
  x.addChild(std::move(item));
  for (int code : codes) {
    auto status = el("status", kMucUserNs);
    status.setAttribute("code", std::to_string(code));
    x.addChild(std::move(status));
  }
  p.addChild(std::move(x));
  auto oid = el("occupant-id", kOccupantIdNs);
  oid.setAttribute("id", occupant.occupant_id);
  p.addChild(std::move(oid));
  return p;
}

void Room::rebuildPresence(Occupant& occupant) {
  // Other occupants' presence is what an outbox sheds first under pressure (design.md §4).
  occupant.presence_with_jid =
      RoutedStanza::make(occupantPresence(occupant, true, {}, false), Delivery::kSheddable);
  occupant.presence = config_.whois_anyone
                          ? occupant.presence_with_jid
                          : RoutedStanza::make(occupantPresence(occupant, false, {}, false),
                                               Delivery::kSheddable);
}

void Room::announce(Occupant& occupant, bool was_broadcast, const std::vector<int>& codes) {
  const bool now_broadcast = broadcasts(occupant.role);
  if (now_broadcast) {
    env_.broadcast(name_, occupant.presence, occupant.presence_with_jid, occupant.address);
  } else if (was_broadcast) {
    // The others saw this occupant; its role is no longer broadcast, so it leaves their lists.
    broadcastPresence(occupantPresence(occupant, false, {}, true),
                      occupantPresence(occupant, true, {}, true));
  }
  auto self_codes = codes;
  self_codes.push_back(kStatusSelf);
  env_.deliver(occupant.address,
               {RoutedStanza::make(occupantPresence(occupant, true, self_codes, false),
                                   Delivery::kEssential)});
}

void Room::broadcastPresence(const proto::XmlElement& for_all, const proto::XmlElement& with_jid) {
  auto all = RoutedStanza::make(for_all, Delivery::kSheddable);
  if (config_.whois_anyone) {
    env_.broadcast(name_, all, std::nullopt, std::nullopt);
    return;
  }
  env_.broadcast(name_, all, RoutedStanza::make(with_jid, Delivery::kSheddable), std::nullopt);
}

void Room::pushOccupantCount() {
  const auto stream = env_.streamState(name_);
  if (occupants_.empty() ||
      (occupants_.size() == last_pushed_count_ && stream == last_pushed_stream_)) {
    return;
  }
  last_pushed_count_ = occupants_.size();
  last_pushed_stream_ = stream;
  auto m = el("message", kClientNs);
  m.setAttribute("from", jid_string_);
  m.setAttribute("type", "groupchat");
  auto count = el("occupants", kOccupantsNs);
  count.setAttribute("count", std::to_string(occupants_.size()));
  m.addChild(std::move(count));
  if (stream) {
    // The event's stream, for the watch page's LIVE/OFFLINE badge and viewer count.
    auto state = el("stream", kStreamStateNs);
    state.setAttribute("state", stream->live ? "live" : "offline");
    state.setAttribute("viewers", std::to_string(stream->viewers));
    m.addChild(std::move(state));
  }
  m.addChild(el("no-store", kHintsNs));  // XEP-0334: not for archives
  env_.broadcast(name_, RoutedStanza::make(m, Delivery::kSheddable), std::nullopt, std::nullopt);
}

void Room::reply(const Sender& sender, proto::XmlElement stanza) {
  stanza.removeAttribute("to");
  env_.deliver(sender.address, {RoutedStanza::make(stanza, Delivery::kEssential)});
}

void Room::replyError(const Sender& sender, const proto::XmlElement& stanza, std::string_view type,
                      std::string_view condition, std::string_view text) {
  if (isErrorOrResult(stanza)) return;  // RFC 6120 §8.3.1: never answer an error with one
  auto answer = replyTo(stanza, "error");
  auto error = el("error", kClientNs);
  error.setAttribute("type", std::string(type));
  error.addChild(el(condition, kStanzasNs));
  if (!text.empty()) error.addChild(textElement("text", kStanzasNs, std::string(text)));
  answer.addChild(std::move(error));
  reply(sender, std::move(answer));
}

Room::Occupant* Room::occupantByJid(const std::string& full_jid) {
  auto it = nick_by_jid_.find(full_jid);
  if (it == nick_by_jid_.end()) return nullptr;
  auto occupant = occupants_.find(it->second);
  return occupant == occupants_.end() ? nullptr : &occupant->second;
}

void Room::persistIfNeeded() {
  if (config_.persistent) save();
}

void Room::save() {
  env_.saveRoom(StoredRoom{name_, configToJson(config_), subject_, subject_by_});
}

}  // namespace throng::chat::muc
