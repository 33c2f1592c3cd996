#!/usr/bin/env bash
# Sets up and runs the whole test suite: installs the Debian packages, builds, runs ctest.
#   scripts/test.sh           the dev (debug) build
#   scripts/test.sh asan      the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/test.sh tsan      under ThreadSanitizer
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# ccache: paths relative to the checkout, so a fresh clone reuses earlier objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
preset="${1:-dev}"

scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
# Unit tests in parallel; integration tests (real server processes, timing checks) one by one.
ctest --preset "$preset" --label-exclude integration -j "$(nproc)"
ctest --preset "$preset" --label-regex integration
