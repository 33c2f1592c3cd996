// RLIMIT_NOFILE: the Elixir Broadcaster stopped at 500 connections on the default soft limit
// of 1024 (design.md §2). throng raises the soft limit to the hard limit at start.
#pragma once

#include <cstdint>

namespace throng::net {

struct FdLimit {
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the values before and after.
FdLimit raiseFdLimit();

}  // namespace throng::net
