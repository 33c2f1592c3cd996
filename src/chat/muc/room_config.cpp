#include "chat/muc/room_config.h"

#include "chat/muc/word_filter.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <vector>

namespace throng::chat::muc {
namespace {

constexpr std::string_view kDataNs = "jabber:x:data";  // XEP-0004
constexpr std::string_view kConfigFormType = "http://jabber.org/protocol/muc#roomconfig";
constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxDescriptionBytes = 2000;

constexpr std::string_view allowPmName(AllowPm value) {
  switch (value) {
    case AllowPm::kAnyone: return "anyone";
    case AllowPm::kParticipants: return "participants";
    case AllowPm::kModerators: return "moderators";
    case AllowPm::kNone: return "none";
  }
  return "anyone";
}

std::optional<AllowPm> parseAllowPm(std::string_view name) {
  for (AllowPm v : {AllowPm::kAnyone, AllowPm::kParticipants, AllowPm::kModerators, AllowPm::kNone}) {
    if (allowPmName(v) == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> broadcastNames(RoleSet roles) {
  std::vector<std::string> names;
  for (Role role : {Role::kModerator, Role::kParticipant, Role::kVisitor}) {
    if (roles.contains(role)) names.emplace_back(roleName(role));
  }
  return names;
}

class FormBuilder {
 public:
  FormBuilder() : x_("x", std::string(kDataNs)) {
    x_.setAttribute("type", "form");
    auto title = proto::XmlElement("title", std::string(kDataNs));
    title.addText("Room configuration");
    x_.addChild(std::move(title));
    field("FORM_TYPE", "hidden", "", {std::string(kConfigFormType)});
  }

  proto::XmlElement& field(std::string_view var, std::string_view type, std::string_view label,
                           const std::vector<std::string>& values) {
    proto::XmlElement f("field", std::string(kDataNs));
    f.setAttribute("var", std::string(var));
    f.setAttribute("type", std::string(type));
    if (!label.empty()) f.setAttribute("label", std::string(label));
    for (const auto& v : values) {
      proto::XmlElement value("value", std::string(kDataNs));
      value.addText(v);
      f.addChild(std::move(value));
    }
    auto& added = x_.addChild(std::move(f));
    return added;
  }
  void boolean(std::string_view var, std::string_view label, bool value) {
    field(var, "boolean", label, {value ? "1" : "0"});
  }
  void options(std::string_view var, std::string_view type, std::string_view label,
               const std::vector<std::string>& values,
               const std::vector<std::pair<std::string, std::string>>& choices) {
    auto& f = field(var, type, label, values);
    for (const auto& [value, choice_label] : choices) {
      proto::XmlElement option("option", std::string(kDataNs));
      option.setAttribute("label", choice_label);
      proto::XmlElement v("value", std::string(kDataNs));
      v.addText(value);
      option.addChild(std::move(v));
      f.addChild(std::move(option));
    }
  }
  proto::XmlElement take() { return std::move(x_); }

 private:
  proto::XmlElement x_;
};

std::vector<std::string> fieldValues(const proto::XmlElement& field) {
  std::vector<std::string> values;
  for (const auto* value : field.children("value", kDataNs)) values.push_back(value->text());
  return values;
}

// XEP-0004 §3.3: a boolean is "0", "1", "false" or "true".
std::optional<bool> parseBool(std::string_view text) {
  if (text == "1" || text == "true") return true;
  if (text == "0" || text == "false") return false;
  return std::nullopt;
}

std::optional<std::uint32_t> parseCount(std::string_view text, std::uint32_t max) {
  if (text == "none") return 0;  // XEP-0045 §15.5.3 lists "none" for maxusers
  std::uint32_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value > max) return std::nullopt;
  return value;
}

// The word filter a form may set: it must compile within the limits (word_filter.h).
Status checkWordFilter(const std::vector<std::string>& patterns) {
  auto compiled = WordFilter::compile(patterns);
  if (!compiled) return compiled.error();
  return {};
}

Status fieldError(std::string_view var, std::string_view why) {
  return makeError(std::string("field '") + std::string(var) + "': " + std::string(why));
}

}  // namespace

RoomConfig RoomConfig::forEvent(std::string title, RoleSet presence_broadcast) {
  RoomConfig config;
  config.name = std::move(title);
  config.persistent = true;
  config.public_room = true;
  config.presence_broadcast = presence_broadcast;
  config.anonymous_visitors = true;
  config.history_length = 50;
  config.ban_anonymous_by_address = true;
  return config;
}

proto::XmlElement configForm(const RoomConfig& config) {
  FormBuilder form;
  form.field("muc#roomconfig_roomname", "text-single", "Name", {config.name});
  form.field("muc#roomconfig_roomdesc", "text-single", "Description", {config.description});
  form.boolean("muc#roomconfig_persistentroom", "Persistent (kept when empty)", config.persistent);
  form.boolean("muc#roomconfig_publicroom", "Listed publicly", config.public_room);
  form.boolean("muc#roomconfig_membersonly", "Members only", config.members_only);
  form.boolean("muc#roomconfig_moderatedroom", "Moderated (visitors may not speak)",
               config.moderated);
  form.options("muc#roomconfig_whois", "list-single", "Who may see real JIDs",
               {config.whois_anyone ? "anyone" : "moderators"},
               {{"moderators", "Moderators only"}, {"anyone", "Anyone"}});
  form.options("muc#roomconfig_presencebroadcast", "list-multi",
               "Roles whose presence is broadcast", broadcastNames(config.presence_broadcast),
               {{"moderator", "Moderator"}, {"participant", "Participant"}, {"visitor", "Visitor"}});
  form.boolean("muc#roomconfig_changesubject", "Occupants may change the subject",
               config.occupants_change_subject);
  form.options("muc#roomconfig_allowpm", "list-single", "Who may send private messages",
               {std::string(allowPmName(config.allow_pm))},
               {{"anyone", "Anyone"}, {"participants", "Participants"},
                {"moderators", "Moderators"}, {"none", "Nobody"}});
  form.field("muc#roomconfig_maxusers", "text-single", "Maximum occupants (0 = no limit)",
             {std::to_string(config.max_users)});
  form.field("muc#maxhistoryfetch", "text-single", "Messages kept for history on join",
             {std::to_string(config.history_length)});
  form.boolean("throng#roomconfig_anonymous_visitors", "Anonymous users join as visitors",
               config.anonymous_visitors);
  form.boolean("throng#roomconfig_anonymous_muted", "Anonymous users are muted",
               config.anonymous_muted);
  form.field("muc#roomconfig_slow_mode_duration", "text-single",
             "Slow mode: seconds between two messages of one occupant (0 = off)",
             {std::to_string(config.slow_mode_seconds)});
  form.field("throng#roomconfig_moderation_delay", "text-single",
             "Seconds a message waits for moderators before everyone sees it (0 = off)",
             {std::to_string(config.moderation_delay_seconds)});
  form.boolean("throng#roomconfig_ban_anonymous_by_address",
               "Banning an anonymous user bans their address", config.ban_anonymous_by_address);
  form.field("throng#roomconfig_word_filter", "text-multi",
             "Blocked words: one pattern per line (RE2 syntax, case-insensitive)",
             config.word_filter);
  return form.take();
}

Status applyConfigForm(const proto::XmlElement& x, RoomConfig& config) {
  RoomConfig next = config;
  for (const auto* field : x.children("field", kDataNs)) {
    const std::string var(field->attributeOr("var", ""));
    const auto values = fieldValues(*field);
    const std::string first = values.empty() ? std::string() : values.front();
    auto setBool = [&](bool& target) -> Status {
      auto value = parseBool(first);
      if (!value) return fieldError(var, "expected a boolean (0, 1, true or false)");
      target = *value;
      return {};
    };
    Status status;
    if (var == "FORM_TYPE") {
      if (first != kConfigFormType) return fieldError(var, "not a room configuration form");
    } else if (var == "muc#roomconfig_roomname") {
      if (first.size() > kMaxNameBytes) return fieldError(var, "longer than 200 bytes");
      next.name = first;
    } else if (var == "muc#roomconfig_roomdesc") {
      if (first.size() > kMaxDescriptionBytes) return fieldError(var, "longer than 2000 bytes");
      next.description = first;
    } else if (var == "muc#roomconfig_persistentroom") {
      status = setBool(next.persistent);
    } else if (var == "muc#roomconfig_publicroom") {
      status = setBool(next.public_room);
    } else if (var == "muc#roomconfig_membersonly") {
      status = setBool(next.members_only);
    } else if (var == "muc#roomconfig_moderatedroom") {
      status = setBool(next.moderated);
    } else if (var == "muc#roomconfig_changesubject") {
      status = setBool(next.occupants_change_subject);
    } else if (var == "throng#roomconfig_anonymous_visitors") {
      status = setBool(next.anonymous_visitors);
    } else if (var == "throng#roomconfig_anonymous_muted") {
      status = setBool(next.anonymous_muted);
    } else if (var == "throng#roomconfig_ban_anonymous_by_address") {
      status = setBool(next.ban_anonymous_by_address);
    } else if (var == "muc#roomconfig_slow_mode_duration") {
      auto value = parseCount(first, kMaxSlowModeSeconds);
      if (!value) return fieldError(var, "expected seconds from 0 to 3600");
      next.slow_mode_seconds = *value;
    } else if (var == "throng#roomconfig_moderation_delay") {
      auto value = parseCount(first, kMaxModerationDelaySeconds);
      if (!value) return fieldError(var, "expected seconds from 0 to 60");
      next.moderation_delay_seconds = *value;
    } else if (var == "throng#roomconfig_word_filter") {
      std::vector<std::string> patterns;
      for (const auto& value : values) {
        if (!value.empty()) patterns.push_back(value);
      }
      if (Status checked = checkWordFilter(patterns); !checked) {
        return fieldError(var, checked.error().message);
      }
      next.word_filter = std::move(patterns);
    } else if (var == "muc#roomconfig_whois") {
      if (first != "moderators" && first != "anyone") {
        return fieldError(var, "expected 'moderators' or 'anyone'");
      }
      next.whois_anyone = first == "anyone";
    } else if (var == "muc#roomconfig_presencebroadcast") {
      RoleSet roles;
      for (const auto& value : values) {
        auto role = parseRole(value);
        if (!role || *role == Role::kNone) return fieldError(var, "unknown role '" + value + "'");
        roles.add(*role);
      }
      next.presence_broadcast = roles;
    } else if (var == "muc#roomconfig_allowpm") {
      auto value = parseAllowPm(first);
      if (!value) return fieldError(var, "expected anyone, participants, moderators or none");
      next.allow_pm = *value;
    } else if (var == "muc#roomconfig_maxusers") {
      auto value = parseCount(first, kMaxUsersLimit);
      if (!value) return fieldError(var, "expected a number from 0 to 1000000");
      next.max_users = *value;
    } else if (var == "muc#maxhistoryfetch" || var == "muc#roomconfig_historylength") {
      auto value = parseCount(first, kMaxHistoryLength);
      if (!value) return fieldError(var, "expected a number from 0 to 500");
      next.history_length = *value;
    }
    if (!status) return status;
  }
  config = std::move(next);
  return {};
}

std::string configToJson(const RoomConfig& config) {
  nlohmann::json j = {
      {"name", config.name},
      {"description", config.description},
      {"persistent", config.persistent},
      {"public", config.public_room},
      {"members_only", config.members_only},
      {"moderated", config.moderated},
      {"whois", config.whois_anyone ? "anyone" : "moderators"},
      {"presence_broadcast", broadcastNames(config.presence_broadcast)},
      {"change_subject", config.occupants_change_subject},
      {"allow_pm", allowPmName(config.allow_pm)},
      {"max_users", config.max_users},
      {"history_length", config.history_length},
      {"anonymous_visitors", config.anonymous_visitors},
      {"anonymous_muted", config.anonymous_muted},
      {"slow_mode_seconds", config.slow_mode_seconds},
      {"moderation_delay_seconds", config.moderation_delay_seconds},
      {"ban_anonymous_by_address", config.ban_anonymous_by_address},
      {"word_filter", config.word_filter},
  };
  return j.dump();
}

std::string configChanges(const RoomConfig& before, const RoomConfig& after) {
  const auto a = nlohmann::json::parse(configToJson(before));
  const auto b = nlohmann::json::parse(configToJson(after));
  std::string out;
  for (const auto& [key, value] : b.items()) {
    if (a.contains(key) && a[key] == value) continue;
    if (!out.empty()) out += ", ";
    out += key + "=";
    out += key == "word_filter" ? std::to_string(value.size()) + " patterns" : value.dump();
  }
  return out;
}

Result<RoomConfig> configFromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return makeError("room configuration: not a JSON object");
  RoomConfig config;
  try {
    config.name = j.value("name", config.name);
    config.description = j.value("description", config.description);
    config.persistent = j.value("persistent", config.persistent);
    config.public_room = j.value("public", config.public_room);
    config.members_only = j.value("members_only", config.members_only);
    config.moderated = j.value("moderated", config.moderated);
    config.whois_anyone = j.value("whois", std::string("moderators")) == "anyone";
    if (j.contains("presence_broadcast")) {
      RoleSet roles;
      for (const auto& name : j["presence_broadcast"]) {
        if (auto role = parseRole(name.get<std::string>())) roles.add(*role);
      }
      config.presence_broadcast = roles;
    }
    config.occupants_change_subject = j.value("change_subject", config.occupants_change_subject);
    config.allow_pm = parseAllowPm(j.value("allow_pm", std::string("anyone"))).value_or(AllowPm::kAnyone);
    config.max_users = std::min(j.value("max_users", config.max_users), kMaxUsersLimit);
    config.history_length = std::min(j.value("history_length", config.history_length),
                                     kMaxHistoryLength);
    config.anonymous_visitors = j.value("anonymous_visitors", config.anonymous_visitors);
    config.anonymous_muted = j.value("anonymous_muted", config.anonymous_muted);
    config.slow_mode_seconds = std::min(j.value("slow_mode_seconds", config.slow_mode_seconds),
                                        kMaxSlowModeSeconds);
    config.moderation_delay_seconds =
        std::min(j.value("moderation_delay_seconds", config.moderation_delay_seconds),
                 kMaxModerationDelaySeconds);
    config.ban_anonymous_by_address =
        j.value("ban_anonymous_by_address", config.ban_anonymous_by_address);
    if (j.contains("word_filter")) {
      auto patterns = j["word_filter"].get<std::vector<std::string>>();
      // A stored filter was valid when it was set; one that no longer compiles (a stricter
      // limit in a newer build) is dropped rather than refusing the whole room.
      if (checkWordFilter(patterns)) config.word_filter = std::move(patterns);
    }
  } catch (const nlohmann::json::exception& e) {
    return makeError(std::string("room configuration: ") + e.what());
  }
  return config;
}

}  // namespace throng::chat::muc
