#include "chat/muc/word_filter.h"

#include "base/utf8.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <utility>

namespace throng::chat::muc {
namespace {

// The options every pattern is compiled with, alone and in the set (see word_filter.h).
RE2::Options filterOptions(const WordFilterLimits& limits) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_case_sensitive(false);
  // Only "which pattern matched" is asked, never a submatch: groups cost nothing then.
  options.set_never_capture(true);
  // A refused pattern is an answer to its owner, not a line in the server log.
  options.set_log_errors(false);
  options.set_max_mem(limits.max_memory_bytes);
  return options;
}

Error patternError(std::size_t index, std::string_view why) {
  return makeError("pattern " + std::to_string(index) + ": " + std::string(why));
}

}  // namespace

// The set answers in one pass; the per-pattern matchers are the fallback for the one case
// where it cannot (its automaton outgrew the memory budget on some body), so match() always
// has an answer. Both hold the same patterns in the same order.
struct WordFilter::Compiled {
  explicit Compiled(const RE2::Options& options) : set(options, RE2::UNANCHORED) {}
  RE2::Set set;
  std::vector<std::unique_ptr<RE2>> each;
};

WordFilter::WordFilter(Key /*key*/, std::vector<std::string> patterns)
    : patterns_(std::move(patterns)) {}
WordFilter::~WordFilter() = default;

Result<std::shared_ptr<const WordFilter>> WordFilter::compile(
    const std::vector<std::string>& patterns, const WordFilterLimits& limits) {
  if (patterns.size() > limits.max_patterns) {
    return patternError(limits.max_patterns,
                        "too many patterns (at most " + std::to_string(limits.max_patterns) + ")");
  }
  auto filter = std::make_shared<WordFilter>(Key(), patterns);
  if (patterns.empty()) return std::shared_ptr<const WordFilter>(std::move(filter));

  const RE2::Options options = filterOptions(limits);
  auto compiled = std::make_unique<Compiled>(options);
  compiled->each.reserve(patterns.size());
  int total_program_size = 0;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const std::string& pattern = patterns[i];
    if (pattern.empty()) return patternError(i, "empty (it would match every message)");
    if (pattern.size() > limits.max_pattern_bytes) {
      return patternError(i, "longer than " + std::to_string(limits.max_pattern_bytes) + " bytes");
    }
    if (!isValidUtf8(pattern)) return patternError(i, "not valid UTF-8");

    auto re = std::make_unique<RE2>(pattern, options);
    if (!re->ok()) {
      if (re->error_code() == RE2::ErrorPatternTooLarge) {
        return patternError(i, "too large to compile (more than " +
                                   std::to_string(limits.max_memory_bytes) + " bytes)");
      }
      return patternError(i, "invalid syntax: " + re->error());
    }
    if (re->ProgramSize() > limits.max_program_size) {
      return patternError(i, "too complex (" + std::to_string(re->ProgramSize()) +
                                 " instructions, at most " +
                                 std::to_string(limits.max_program_size) + ")");
    }
    total_program_size += re->ProgramSize();
    if (total_program_size > limits.max_total_program_size) {
      return patternError(i, "the patterns up to this one are too complex together (" +
                                 std::to_string(total_program_size) + " instructions, at most " +
                                 std::to_string(limits.max_total_program_size) + ")");
    }
    std::string error;
    // Add() parses again with the same options; it cannot disagree with RE2 above, but an
    // index other than i would break the mapping, so it is checked rather than assumed.
    if (compiled->set.Add(pattern, &error) != static_cast<int>(i)) {
      return patternError(i, "invalid syntax: " + error);
    }
    compiled->each.push_back(std::move(re));
  }
  if (!compiled->set.Compile()) {
    return makeError("patterns: together too large to compile (more than " +
                     std::to_string(limits.max_memory_bytes) + " bytes)");
  }
  filter->compiled_ = std::move(compiled);
  return std::shared_ptr<const WordFilter>(std::move(filter));
}

std::optional<std::size_t> WordFilter::match(std::string_view body) const {
  if (!compiled_) return std::nullopt;
  const re2::StringPiece text(body.data(), body.size());
  std::vector<int> hits;
  RE2::Set::ErrorInfo info{RE2::Set::kNoError};
  if (compiled_->set.Match(text, &hits, &info)) {
    return static_cast<std::size_t>(*std::min_element(hits.begin(), hits.end()));
  }
  if (info.kind == RE2::Set::kNoError) return std::nullopt;
  // The set's automaton ran out of memory on this body (RE2 reports it for sets because they
  // have no slower engine to fall back to; the 2022 release resets its cache instead, newer
  // ones may not). Each single RE2 falls back from its DFA to an NFA by itself, still linear
  // in the body, so the answer comes all the same, only slower.
  for (std::size_t i = 0; i < compiled_->each.size(); ++i) {
    if (RE2::PartialMatch(text, *compiled_->each[i])) return i;
  }
  return std::nullopt;
}

}  // namespace throng::chat::muc
