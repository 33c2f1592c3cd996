// Fuzzes the room word filter (src/chat/muc/word_filter.h): owner patterns and a stranger's
// body, both arbitrary bytes. Input: patterns separated by '\n', then a NUL, then the body
// (no NUL: everything is patterns, and the body is empty). Compiling must refuse or succeed,
// never crash; a match must name a pattern in the list that matches the body on its own.
#include "chat/muc/word_filter.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using throng::chat::muc::WordFilter;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  std::string_view list = input.substr(0, nul);
  const std::string_view body =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  std::vector<std::string> patterns;
  while (!list.empty()) {
    const auto newline = list.find('\n');
    patterns.emplace_back(list.substr(0, newline));
    if (newline == std::string_view::npos) break;
    list.remove_prefix(newline + 1);
  }

  auto filter = WordFilter::compile(patterns);
  if (!filter) {
    if (filter.error().message.empty()) std::abort();
    return 0;
  }
  if ((*filter)->patterns() != patterns) std::abort();
  const auto hit = (*filter)->match(body);
  if (!hit) return 0;
  if (*hit >= patterns.size()) std::abort();
  auto alone = WordFilter::compile({patterns[*hit]});
  if (!alone || (*alone)->match(body) != 0u) std::abort();
  return 0;
}
