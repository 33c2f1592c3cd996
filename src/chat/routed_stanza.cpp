#include "chat/routed_stanza.h"

#include <cassert>

namespace throng::chat {

RoutedStanza RoutedStanza::make(const proto::XmlElement& stanza, Delivery delivery) {
  assert(stanza.attribute("to") == nullptr);
  // serialize() starts with '<' + name; the 'to' attribute goes right after the name.
  const std::string whole = stanza.serialize(std::string_view{});
  const std::size_t name_end = 1 + stanza.name().size();
  std::string head = whole.substr(0, name_end);
  head += " to='";
  std::string tail;
  tail.reserve(whole.size() - name_end + 1);
  tail += '\'';
  tail.append(whole, name_end, std::string::npos);
  return RoutedStanza{SharedBytes(std::move(head)), SharedBytes(std::move(tail)), delivery};
}

std::string RoutedStanza::withoutTo() const {
  constexpr std::string_view kToOpen = " to='";
  const std::string_view h = head.view();
  const std::string_view t = tail.view();
  assert(h.ends_with(kToOpen) && t.starts_with('\''));
  std::string out;
  out.reserve(h.size() + t.size());
  out.append(h.substr(0, h.size() - kToOpen.size()));
  out.append(t.substr(1));
  return out;
}

}  // namespace throng::chat
