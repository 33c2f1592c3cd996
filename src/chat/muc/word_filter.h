// A room's word filter: the patterns its owner set, compiled once, checked against the body of
// every groupchat message the room is asked to broadcast.
//
// Pattern language: RE2 syntax (https://github.com/google/re2/wiki/Syntax), a subset of Perl's
// regular expressions without backreferences or lookaround. RE2 matches in time linear in the
// body, so no body a stranger sends can make matching blow up, whatever the owner wrote.
//   - A pattern matches anywhere in the body (`spam` matches "no spam here"); `^` and `$` anchor
//     to the start and end of the body.
//   - Matching is case-insensitive with Unicode simple case folding (`ärger` matches "ÄRGER");
//     `(?-i:...)` makes part of a pattern case-sensitive.
//   - Patterns and bodies are UTF-8; `.` and character classes match whole code points.
//   - `\b` is an ASCII word boundary: `\bass\b` does not match "class" but treats "é" as a
//     non-word character.
//   - `.` does not match a newline; `(?s)` changes that.
// Examples: `\bbuy now\b`, `free\s+(money|crypto)`, `(?-i:SHOUTING)`.
//
// Cost. RE2 never backtracks: matching is one pass over the body, so its time is linear in the
// body's length. The constant is the catch: the pass runs a lazily built automaton, and a
// pattern such as `a[ab]{20}c` has millions of states, so a body that keeps reaching new ones
// costs about 25 ns per byte per active compiled instruction (measured on RE2 2022-06-01:
// `a[ab]{150}c` alone takes ~250 ms on 64 KiB of random "ab"). The worst case is therefore
// about body bytes x total program size x 25 ns, and compile() bounds the total program size
// (WordFilterLimits::max_total_program_size). Ordinary lists (words, short phrases and
// alternations) keep few states and match 64 KiB in well under a millisecond. Callers that run
// filters on a worker should also bound the body they pass.
//
// Compilation bounds the work and memory one filter may cost (WordFilterLimits); a refused
// pattern list is reported with the index of the first pattern at fault and why.
//
// Thread: a compiled filter is immutable. match() may run on any thread, also on several at
// once (RE2 guards its lazily built automaton itself), so rooms share filters by shared_ptr.
#pragma once

#include "base/result.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace throng::chat::muc {

struct WordFilterLimits {
  // Owners list words, not essays: 100 patterns of 200 bytes is a large block list, and
  // keeps the stored room configuration small.
  std::size_t max_patterns = 100;
  std::size_t max_pattern_bytes = 200;
  // RE2::ProgramSize() bound per pattern, in compiled instructions. A word is a few dozen
  // (case folding doubles letters); 2000 admits long alternations such as `(a|b|...)` of
  // a hundred words while refusing counted repetitions of classes such as `[^x]{500}` that
  // compile to tens of thousands of instructions and a large automaton.
  int max_program_size = 2000;
  // Bound on the sum of every pattern's program size: the factor in the worst-case matching
  // cost (see above). 100 words of a dozen letters use about 1500.
  int max_total_program_size = 5000;
  // Memory RE2 may use for one pattern's program and automaton (RE2::Options::max_mem),
  // and for the combined set's. A pattern needing more is refused as too large; the set's
  // automaton, if it fills its budget while matching, falls back to the per-pattern
  // matchers (see match()).
  std::int64_t max_memory_bytes = 8 << 20;
};

class WordFilter {
 public:
  // Compiles `patterns` (in order; indices in errors and in match() are positions in this
  // list). Refuses, naming the first pattern at fault as "pattern <i>: <why>": more than
  // limits.max_patterns, an empty pattern, one longer than limits.max_pattern_bytes, one
  // that is not UTF-8, invalid syntax (with RE2's message), or one whose program is larger
  // than limits.max_program_size or needs more than limits.max_memory_bytes, or the first
  // pattern that takes the total over limits.max_total_program_size. An empty list
  // compiles to a filter that matches nothing.
  static Result<std::shared_ptr<const WordFilter>> compile(const std::vector<std::string>& patterns,
                                                           const WordFilterLimits& limits = {});

  // Only compile() can make the key, so only compile() constructs (through make_shared).
  class Key {
    friend class WordFilter;
    Key() = default;
  };
  WordFilter(Key, std::vector<std::string> patterns);
  ~WordFilter();
  WordFilter(const WordFilter&) = delete;
  WordFilter& operator=(const WordFilter&) = delete;

  // The index of the first pattern (lowest index) that matches anywhere in `body`, or nullopt
  // when none does. One pass over the body with every pattern together; a body that is not
  // UTF-8 is matched all the same (invalid bytes match no character) and never fails.
  std::optional<std::size_t> match(std::string_view body) const;

  // The pattern texts as given to compile(), to show or store the room's configuration.
  const std::vector<std::string>& patterns() const { return patterns_; }
  bool empty() const { return patterns_.empty(); }

 private:
  struct Compiled;

  std::vector<std::string> patterns_;
  std::unique_ptr<Compiled> compiled_;  // allocated by compile(); null when patterns_ is empty
};

}  // namespace throng::chat::muc
