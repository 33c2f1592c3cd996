#include "chat/muc/mam_query.h"

#include "base/utf8.h"
#include "chat/xmpp_namespaces.h"
#include "proto/datetime.h"

#include <charconv>

namespace throng::chat::muc {
namespace {

// Archive ids are the room's stanza ids (short); anything longer cannot name a message.
constexpr std::size_t kMaxIdBytes = 256;
constexpr std::size_t kMaxQueryIdBytes = 256;

proto::XmlElement el(std::string_view name, std::string_view ns) {
  return proto::XmlElement(std::string(name), std::string(ns));
}

Error bad(std::string text) { return makeError(std::move(text)); }

Result<std::string> checkedId(std::string_view what, std::string text) {
  if (text.empty() || text.size() > kMaxIdBytes || !isValidUtf8(text)) {
    return bad(std::string(what) + ": not a message id");
  }
  return text;
}

// The single <value/> of a form field (XEP-0004 §3.3); a field with several is malformed
// for the single-valued MAM fields.
Result<std::string> singleValue(const proto::XmlElement& field, std::string_view var) {
  const auto values = field.children("value", kDataNs);
  if (values.size() != 1) return bad("field '" + std::string(var) + "' needs exactly one value");
  return values.front()->text();
}

Status applyForm(const proto::XmlElement& form, const std::string& room_jid, MamQuery& out) {
  if (form.attributeOr("type", "") != "submit") return bad("the form must be of type 'submit'");
  bool form_type_seen = false;
  for (const auto* field : form.children("field", kDataNs)) {
    const std::string var(field->attributeOr("var", ""));
    if (var == "FORM_TYPE") {
      auto value = singleValue(*field, var);
      if (!value) return value.error();
      if (*value != kMamNs) return bad("FORM_TYPE must be urn:xmpp:mam:2");
      form_type_seen = true;
    } else if (var == "with") {
      auto value = singleValue(*field, var);
      if (!value) return value.error();
      // A room's archive holds occupants' messages: 'with' names one occupant JID.
      const std::string prefix = room_jid + "/";
      if (value->size() <= prefix.size() || value->compare(0, prefix.size(), prefix) != 0 ||
          value->size() > prefix.size() + 1023) {
        return bad("'with' must be an occupant JID of this room (room@service/nick)");
      }
      out.with_nick = value->substr(prefix.size());
    } else if (var == "start" || var == "end") {
      auto value = singleValue(*field, var);
      if (!value) return value.error();
      auto time = proto::parseXmppDateTime(*value);
      if (!time) return bad("'" + var + "' is not an XEP-0082 date-time");
      (var == "start" ? out.start : out.end) = *time;
    } else if (var == "after-id" || var == "before-id") {
      auto value = singleValue(*field, var);
      if (!value) return value.error();
      auto id = checkedId(var, std::move(*value));
      if (!id) return id.error();
      (var == "after-id" ? out.after_id : out.before_id) = std::move(*id);
    } else if (var == "ids") {
      const auto values = field->children("value", kDataNs);
      if (values.empty() || values.size() > kMamMaxIds) {
        return bad("'ids' needs 1.." + std::to_string(kMamMaxIds) + " values");
      }
      for (const auto* v : values) {
        auto id = checkedId("ids", v->text());
        if (!id) return id.error();
        out.ids.push_back(std::move(*id));
      }
    } else {
      return bad("unknown field '" + var + "'");
    }
  }
  if (!form_type_seen) return bad("the form has no FORM_TYPE");
  if (out.start && out.end && *out.start > *out.end) return bad("'start' is after 'end'");
  return {};
}

Status applyRsm(const proto::XmlElement& set, MamQuery& out) {
  if (set.child("index", kRsmNs) != nullptr) return bad("RSM <index/> is not supported; page by id");
  if (const auto* max = set.child("max", kRsmNs)) {
    const std::string text = max->text();
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > kMamAbsurdMax) {
      return bad("RSM <max/> must be a whole number from 0 to " + std::to_string(kMamAbsurdMax));
    }
    out.max = std::min(value, kMamMaxPage);
  }
  if (const auto* after = set.child("after", kRsmNs)) {
    auto id = checkedId("RSM <after/>", after->text());
    if (!id) return id.error();
    out.after_id = std::move(*id);
  }
  if (const auto* before = set.child("before", kRsmNs)) {
    // XEP-0059 §2.5: an empty <before/> asks for the last page.
    out.from_end = true;
    if (const std::string text = before->text(); !text.empty()) {
      auto id = checkedId("RSM <before/>", text);
      if (!id) return id.error();
      out.before_id = std::move(*id);
    }
  }
  return {};
}

void addField(proto::XmlElement& form, std::string_view var, std::string_view type,
              std::string_view value = {}) {
  auto field = el("field", kDataNs);
  field.setAttribute("var", std::string(var));
  field.setAttribute("type", std::string(type));
  if (!value.empty()) {
    auto v = el("value", kDataNs);
    v.addText(std::string(value));
    field.addChild(std::move(v));
  }
  form.addChild(std::move(field));
}

}  // namespace

Result<MamQuery> parseMamQuery(const proto::XmlElement& query, const std::string& room_jid) {
  MamQuery out;
  if (const auto* id = query.attribute("queryid")) {
    if (id->size() > kMaxQueryIdBytes) return bad("queryid is too long");
    out.query_id = *id;
  }
  for (const auto& node : query.nodes()) {
    const auto* child = std::get_if<proto::XmlElement>(&node);
    if (child == nullptr) continue;
    if (child->name() == "x" && child->xmlns() == kDataNs) {
      if (Status s = applyForm(*child, room_jid, out); !s) return s.error();
    } else if (child->name() == "set" && child->xmlns() == kRsmNs) {
      if (Status s = applyRsm(*child, out); !s) return s.error();
    } else if (child->name() == "flip-page") {
      return bad("<flip-page/> is not supported");
    } else {
      return bad("unexpected <" + child->name() + "/> in the query");
    }
  }
  return out;
}

proto::XmlElement mamQueryForm() {
  auto form = el("x", kDataNs);
  form.setAttribute("type", "form");
  addField(form, "FORM_TYPE", "hidden", kMamNs);
  addField(form, "with", "jid-single");
  addField(form, "start", "text-single");
  addField(form, "end", "text-single");
  addField(form, "after-id", "text-single");
  addField(form, "before-id", "text-single");
  addField(form, "ids", "list-multi");
  return form;
}

}  // namespace throng::chat::muc
