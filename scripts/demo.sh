#!/usr/bin/env bash
# Sets up, builds and runs `throng demo`: embedded defaults, data in ./throng-data, a demo
# event, listening on 127.0.0.1. Extra arguments go to throng (e.g. --http.port 9000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# ccache: paths relative to the checkout, so a fresh clone reuses earlier objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target throng
exec build/release/src/cli/throng demo "$@"
