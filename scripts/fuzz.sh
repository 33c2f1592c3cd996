#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for N seconds (default 60)
# from its seed corpus under fuzz/corpus/<name>. A crash fails the script and leaves the input.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# ccache: paths relative to the checkout, so a fresh clone reuses earlier objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
seconds="${1:-60}"
scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzzers
for target in build/fuzz/fuzz/*_fuzz; do
  name="$(basename "$target" _fuzz)"
  work="build/fuzz/corpus-$name"
  mkdir -p "$work"
  echo "fuzz: $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -max_len=8192 -artifact_prefix="build/fuzz/$name-" \
    -print_final_stats=1 "$work" "fuzz/corpus/$name" 2>&1 | tail -n 12
done
