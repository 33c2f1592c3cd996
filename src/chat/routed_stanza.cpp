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

}  // namespace throng::chat
