// Room: groupchat messages, the archive (XEP-0313) and moderation (XEP-0424, XEP-0425,
// XEP-0308, XEP-0500, word filter, moderation delay). The rest of Room is in room.cpp.
//
// Life of a message (docs/life-of-a-stanza.md §4): checks (voice, word filter, slow mode,
// correction rights) → stamped with the room's stanza id and the author's occupant id →
// committed to the archive by the storage thread's group commit → broadcast (or, with a
// moderation delay, shown to moderators first and to everyone when the delay is over).
#include "chat/muc/mam_results.h"
#include "chat/muc/retraction_stanzas.h"
#include "chat/muc/room.h"
#include "chat/muc/stanza_util.h"
#include "chat/muc/word_filter.h"
#include "proto/datetime.h"

#include <algorithm>

namespace throng::chat::muc {
namespace {

// Longer ids than this cannot be a message id a client made for itself or one the room made.
constexpr std::size_t kMaxIdBytes = 256;
// Longest body a room with a word filter takes (a chat line is far shorter).
constexpr std::size_t kMaxFilteredBodyBytes = 2048;

std::string originIdOf(const proto::XmlElement& message) {
  const auto* origin = message.child("origin-id", kStanzaIdNs);
  return origin != nullptr ? std::string(origin->attributeOr("id", "")) : std::string();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SentIds

std::string SentIds::key(const std::string& occupant_id, const std::string& id) {
  std::string k;
  k.reserve(occupant_id.size() + 1 + id.size());
  k.append(occupant_id).push_back('\0');
  k.append(id);
  return k;
}

void SentIds::add(const std::string& occupant_id, const std::string& client_id,
                  const std::string& stanza_id) {
  for (const std::string* id : {&client_id, &stanza_id}) {
    if (id->empty() || id->size() > kMaxIdBytes) continue;
    std::string k = key(occupant_id, *id);
    if (stanza_ids_.emplace(k, stanza_id).second) order_.push_back(std::move(k));
  }
  while (order_.size() > capacity_) {
    stanza_ids_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<std::string> SentIds::find(const std::string& occupant_id, const std::string& id) const {
  auto it = stanza_ids_.find(key(occupant_id, id));
  if (it == stanza_ids_.end()) return std::nullopt;
  return it->second;
}

// ---------------------------------------------------------------------------------------------
// Groupchat

bool Room::canSpeak(const Occupant& occupant) const {
  if (occupant.role >= Role::kParticipant) return true;
  if (occupant.role != Role::kVisitor) return false;
  // XEP-0045 §5.1.1: visitors may speak where the room allows it - not in a moderated room,
  // not once a moderator took their voice, not as anonymous users in a room that mutes them.
  if (config_.moderated || occupant.voice_revoked) return false;
  return !(occupant.anonymous_user && config_.anonymous_muted);
}

void Room::groupchat(const Sender& sender, Occupant& occupant, const proto::XmlElement& message) {
  const auto* body = message.child("body", kClientNs);
  const auto* subject = message.child("subject", kClientNs);
  if (subject != nullptr && body == nullptr) {
    changeSubject(occupant, message);
    return;
  }
  if (!canSpeak(occupant)) {
    // XEP-0045 §7.4 / §5.1.1: no voice.
    replyError(sender, message, "auth", "forbidden", "you have no voice in this room");
    return;
  }
  const Author author{sender, occupant.nick, occupant.occupant_id, occupant.role == Role::kModerator};
  // XEP-0424: the author retracts one of their messages (current form, then the fastening form).
  if (const auto* retract = message.child("retract", kRetractNs)) {
    retractByAuthor(author, message, std::string(retract->attributeOr("id", "")));
    return;
  }
  if (const auto* apply_to = message.child("apply-to", kFastenNs);
      apply_to != nullptr && apply_to->child("retract", kRetract0Ns) != nullptr) {
    retractByAuthor(author, message, std::string(apply_to->attributeOr("id", "")));
    return;
  }
  if (body == nullptr && occupants_.size() > policy_.drop_bodyless_above) {
    // Chat states and other bodyless groupchat fan out to everyone and show nothing; in a
    // crowd they are most of the traffic (docs/muc.md).
    return;
  }
  if (body != nullptr && !author.moderator) {
    if (word_filter_ && body->text().size() > kMaxFilteredBodyBytes) {
      // RE2 is linear in the body, but a hostile filter makes the constant large
      // (word_filter.h): a bounded body bounds what one message can cost the room's worker.
      replyError(sender, message, "modify", "policy-violation",
                 "messages in this room are limited to " + std::to_string(kMaxFilteredBodyBytes) + " bytes");
      return;
    }
    if (word_filter_ && word_filter_->match(body->text())) {
      replyError(sender, message, "modify", "policy-violation",
                 "your message was not sent: it contains words this room does not allow");
      return;
    }
    if (config_.slow_mode_seconds > 0) {
      // XEP-0500 §4: moderators are exempt; everyone else waits between two messages.
      const auto now = env_.now();
      const auto period = std::chrono::seconds(config_.slow_mode_seconds);
      auto last = last_spoke_.find(occupant.occupant_id);
      if (last != last_spoke_.end() && now - last->second < period) {
        const auto wait = std::chrono::ceil<std::chrono::seconds>(period - (now - last->second));
        replyError(sender, message, "wait", "policy-violation",
                   "slow mode: one message every " + std::to_string(config_.slow_mode_seconds) +
                       " seconds; wait " + std::to_string(wait.count()) + " more");
        return;
      }
      last_spoke_[occupant.occupant_id] = now;
      if (last_spoke_.size() > 2 * occupants_.size() + 1024) {
        std::erase_if(last_spoke_, [&](const auto& entry) { return now - entry.second >= period; });
      }
    }
  }
  if (const auto* replace = message.child("replace", kCorrectNs)) {
    // XEP-0308 §5: only the author corrects a message; the room checks it by occupant id.
    if (!sent_ids_.find(occupant.occupant_id, std::string(replace->attributeOr("id", "")))) {
      replyError(sender, message, "auth", "forbidden", "you can only correct your own recent messages");
      return;
    }
  }
  publish(author, message);
}

void Room::publish(const Author& author, const proto::XmlElement& message) {
  auto out = el("message", kClientNs);
  out.setAttribute("from", occupantJid(author.nick));
  out.setAttribute("type", "groupchat");
  const std::string client_id(message.attributeOr("id", ""));
  if (!client_id.empty()) out.setAttribute("id", client_id);
  if (const auto* lang = message.attribute("xml:lang")) out.setAttribute("xml:lang", *lang);
  for (const auto& node : message.nodes()) {
    const auto* child = std::get_if<proto::XmlElement>(&node);
    if (child == nullptr) continue;
    // The room vouches for these (XEP-0359 §5, XEP-0421 §4): a client's own copies go.
    if (child->xmlns() == kStanzaIdNs && child->name() == "stanza-id") continue;
    if (child->xmlns() == kOccupantIdNs || child->xmlns() == kMucUserNs) continue;
    out.addChild(*child);
  }
  const std::string stanza_id = stanza_id_prefix_ + "-" + std::to_string(next_stanza_id_++);
  auto sid = el("stanza-id", kStanzaIdNs);
  sid.setAttribute("id", stanza_id);
  sid.setAttribute("by", jid_string_);
  out.addChild(std::move(sid));
  auto oid = el("occupant-id", kOccupantIdNs);
  oid.setAttribute("id", author.occupant_id);
  out.addChild(std::move(oid));

  const bool archived = message.child("body", kClientNs) != nullptr &&
                        message.child("no-store", kHintsNs) == nullptr;
  if (!archived) {
    env_.broadcast(name_, RoutedStanza::make(out, Delivery::kEssential), std::nullopt, std::nullopt);
    return;
  }
  const auto now = env_.now();
  ArchivedMessage record;
  record.stanza_id = stanza_id;
  record.client_id = client_id;
  record.at = now;
  record.visible_at = now + std::chrono::seconds(config_.moderation_delay_seconds);
  record.nick = author.nick;
  record.occupant_id = author.occupant_id;
  auto live = RoutedStanza::make(out, Delivery::kEssential);
  record.xml = live.withoutTo();  // serialized once for the broadcast and the archive
  // XEP-0203: the replayed copy in the join history says when and where it was first sent.
  auto delay = el("delay", kDelayNs);
  delay.setAttribute("from", jid_string_);
  delay.setAttribute("stamp", proto::formatXmppDateTime(now));
  out.addChild(std::move(delay));
  auto history_copy = RoutedStanza::make(out, Delivery::kEssential);
  std::string origin_id = originIdOf(message);

  // Broadcast only once the archive holds it: nothing anyone saw can be lost by a crash.
  ArchivedMessage to_store = record;
  env_.archive(name_, std::move(to_store),
               guarded([this, author, origin_id = std::move(origin_id), record = std::move(record),
                        live = std::move(live), history_copy = std::move(history_copy)](Status status) mutable {
                 if (!origin_id.empty()) sent_ids_.add(author.occupant_id, origin_id, record.stanza_id);
                 const std::string sender_id = record.client_id;  // `record` moves below
                 onArchived(author, sender_id, std::move(record), std::move(live),
                            std::move(history_copy), std::move(status));
               }));
}

void Room::onArchived(const Author& author, const std::string& client_id, ArchivedMessage archived,
                      RoutedStanza stanza, RoutedStanza history_copy, Status status) {
  if (!status) {
    // Not stored, so not sent: the author hears why and may send again.
    auto original = el("message", kClientNs);
    if (!client_id.empty()) original.setAttribute("id", client_id);
    original.setAttribute("to", jid_string_);
    original.setAttribute("type", "groupchat");
    replyError(author.sender, original, "wait", "resource-constraint",
               "the room could not store your message, so it was not sent; try again");
    return;
  }
  sent_ids_.add(author.occupant_id, client_id, archived.stanza_id);
  const std::string stanza_id = archived.stanza_id;
  const auto at = archived.at;
  const auto visible_at = archived.visible_at;
  recent_.add(std::move(archived));
  if (visible_at <= at) {
    env_.broadcast(name_, stanza, std::nullopt, std::nullopt);
    history_.add(std::move(history_copy), at, stanza_id);
    return;
  }
  // The moderation delay: moderators see it now and may remove it; the author sees their own
  // message; everyone else when the delay is over (onWake).
  env_.broadcastTo(name_, stanza, Audience::kModerators, std::nullopt);
  if (!author.moderator) env_.deliver(author.sender.address, {stanza});
  held_.push_back(Held{visible_at, stanza_id, std::move(stanza), std::move(history_copy),
                       author.sender.address});
  env_.wakeAt(name_, visible_at);
}

void Room::onWake(std::chrono::system_clock::time_point now) {
  while (!held_.empty() && held_.front().release_at <= now) {
    Held held = std::move(held_.front());
    held_.pop_front();
    env_.broadcastTo(name_, held.stanza, Audience::kNonModerators, held.author);
    history_.add(std::move(held.history_copy), held.release_at, held.stanza_id);
  }
}

// ---------------------------------------------------------------------------------------------
// Retraction and moderation

void Room::retractByAuthor(const Author& author, const proto::XmlElement& message,
                           const std::string& target_id) {
  if (target_id.empty() || target_id.size() > kMaxIdBytes) {
    replyError(author.sender, message, "modify", "bad-request", "the retraction names no message");
    return;
  }
  // XEP-0424 §4: in a room the id is the room's stanza id; older clients name their own
  // message id (or origin id), which the room maps to its stanza id for this author.
  const std::string stanza_id = sent_ids_.find(author.occupant_id, target_id).value_or(target_id);
  const std::string retraction_id(message.attributeOr("id", ""));
  const auto now = env_.now();
  auto make_tombstone = [room_jid = jid_string_, retraction_id, now](const ArchivedMessage& original) {
    return retractedTombstone(room_jid, original.nick, original.occupant_id, original.stanza_id,
                              retraction_id, now)
        .serialize();
  };
  env_.retractArchived(
      name_, stanza_id, author.occupant_id, make_tombstone,
      guarded([this, author, message, stanza_id, make_tombstone](Result<std::optional<ArchivedMessage>> original) {
        if (!original) {
          const bool forbidden = original.error().message == "forbidden";
          replyError(author.sender, message, forbidden ? "auth" : "wait",
                     forbidden ? "forbidden" : "internal-server-error",
                     forbidden ? "you can only retract your own messages"
                               : "the archive could not be changed");
          return;
        }
        if (!*original) {
          replyError(author.sender, message, "cancel", "item-not-found",
                     "no message with that id in this room's archive");
          return;
        }
        applyRetraction(stanza_id, make_tombstone(**original), std::nullopt);
        // The retraction itself is a message like any other: archived, then broadcast, so that
        // clients catching up through MAM apply it too (XEP-0424 §4).
        publish(author, message);
      }));
}

void Room::moderate(const Sender& sender, const proto::XmlElement& iq, const std::string& stanza_id,
                    const std::string& reason) {
  const Occupant* moderator = occupantByJid(sender.jid.full());
  if (moderator == nullptr || moderator->role != Role::kModerator) {
    // XEP-0425 §4: only moderators.
    replyError(sender, iq, "auth", "forbidden", "only moderators may retract messages");
    return;
  }
  if (stanza_id.empty() || stanza_id.size() > kMaxIdBytes) {
    replyError(sender, iq, "modify", "bad-request", "the request names no message");
    return;
  }
  const Moderation moderation{occupantJid(moderator->nick), moderator->occupant_id, reason};
  const auto now = env_.now();
  auto make_tombstone = [room_jid = jid_string_, moderation, now](const ArchivedMessage& original) {
    return moderatedTombstone(room_jid, original.nick, original.occupant_id, original.stanza_id,
                              moderation, now)
        .serialize();
  };
  env_.retractArchived(
      name_, stanza_id, std::nullopt, make_tombstone,
      guarded([this, sender, iq, stanza_id, moderation, make_tombstone, actor_nick = moderator->nick](
                  Result<std::optional<ArchivedMessage>> original) {
        if (!original) {
          replyError(sender, iq, "wait", "internal-server-error", "the archive could not be changed");
          return;
        }
        if (!*original) {
          replyError(sender, iq, "cancel", "item-not-found", "no message with that id in this room's archive");
          return;
        }
        auto notice = RoutedStanza::make(moderationNotice(jid_string_, stanza_id, moderation, env_.randomId()),
                                         Delivery::kEssential);
        applyRetraction(stanza_id, make_tombstone(**original), notice);
        reply(sender, replyTo(iq, "result"));
        logModeration(sender.jid.bareString(), actor_nick, "retract",
                      stanza_id + " (" + (*original)->nick + ")", moderation.reason);
      }));
}

void Room::applyRetraction(const std::string& stanza_id, const std::string& tombstone,
                           std::optional<RoutedStanza> notice) {
  if (ArchivedMessage* kept = recent_.find(stanza_id)) {
    kept->xml = tombstone;
    kept->retracted = true;
  }
  history_.erase(stanza_id);
  auto held = std::find_if(held_.begin(), held_.end(),
                           [&](const Held& h) { return h.stanza_id == stanza_id; });
  if (held != held_.end()) {
    // Removed while held back: only moderators and the author ever saw it.
    const StreamAddress author = held->author;
    held_.erase(held);
    if (notice) {
      env_.broadcastTo(name_, *notice, Audience::kModerators, std::nullopt);
      env_.deliver(author, {*notice});
    }
    return;
  }
  if (notice) env_.broadcast(name_, *notice, std::nullopt, std::nullopt);
}

void Room::logModeration(const std::string& actor_bare_jid, const std::string& actor_nick,
                         std::string action, std::string target, std::string reason) {
  env_.logModeration(name_, ModerationRecord{actor_bare_jid, actor_nick, std::move(action),
                                             std::move(target), std::move(reason)});
}

// ---------------------------------------------------------------------------------------------
// The archive (XEP-0313)

void Room::mamIq(const Sender& sender, const proto::XmlElement& iq, const proto::XmlElement& query) {
  const Affiliation affiliation = affiliationOf(sender.jid.bareString());
  if (affiliation == Affiliation::kOutcast || (config_.members_only && affiliation < Affiliation::kMember)) {
    replyError(sender, iq, "auth", "forbidden", "you may not read this room's archive");
    return;
  }
  const auto type = iq.attributeOr("type", "");
  if (type == "get") {
    // XEP-0313 §5.1.1: the query form.
    auto result = replyTo(iq, "result");
    auto out = el("query", kMamNs);
    out.addChild(mamQueryForm());
    result.addChild(std::move(out));
    reply(sender, std::move(result));
    return;
  }
  auto parsed = parseMamQuery(query, jid_string_);
  if (!parsed) {
    replyError(sender, iq, "modify", "bad-request", parsed.error().message);
    return;
  }
  const Occupant* requester = occupantByJid(sender.jid.full());
  const bool moderator = (requester != nullptr && requester->role == Role::kModerator) ||
                         affiliation >= Affiliation::kAdmin;
  // Messages held by the moderation delay stay hidden from everyone else.
  std::optional<std::chrono::system_clock::time_point> visible_at_most;
  if (!moderator) visible_at_most = env_.now();

  auto answer = [this, sender, iq, query_id = parsed->query_id](
                    const std::vector<const ArchivedMessage*>& page, bool complete) {
    std::vector<RoutedStanza> stanzas;
    stanzas.reserve(page.size() + 1);
    for (const ArchivedMessage* m : page) stanzas.push_back(mamResult(jid_string_, query_id, *m));
    auto result = replyTo(iq, "result");
    result.addChild(mamFin(page, complete));
    stanzas.push_back(RoutedStanza::make(result, Delivery::kEssential));
    env_.deliver(sender.address, std::move(stanzas));  // results, then the IQ result (§4.3)
  };
  if (auto selection = recent_.select(*parsed, visible_at_most)) {
    answer(selection->messages, selection->complete);  // the common case: no disk
    return;
  }
  env_.queryArchive(name_, std::move(*parsed), visible_at_most,
                    guarded([this, sender, iq, answer](Result<ArchivePage> page) {
                      if (!page) {
                        replyError(sender, iq, "wait", "internal-server-error", "the archive could not be read");
                        return;
                      }
                      if (page->unknown_id) {
                        // XEP-0313 §4.3.3 / XEP-0059 §2.6.
                        replyError(sender, iq, "cancel", "item-not-found", "no message with that id in the archive");
                        return;
                      }
                      std::vector<const ArchivedMessage*> messages;
                      for (const auto& m : page->messages) messages.push_back(&m);
                      answer(messages, page->complete);
                    }));
}

}  // namespace throng::chat::muc
