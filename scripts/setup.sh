#!/usr/bin/env bash
# Installs every Debian package listed in scripts/debian-packages.txt.
# Idempotent: a second run on a machine that has everything does no network work.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mapfile -t packages < <(grep -vE '^\s*(#|$)' "$here/debian-packages.txt")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js runs the client tests (tests/clients); the machine image may ship its own build, so
# Debian's is installed only when there is no node at all.
command -v node >/dev/null || missing+=(nodejs npm)

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages present"
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages for the client tests, exactly as locked.
clients="$here/../tests/clients"
if [ ! -d "$clients/node_modules" ] || [ "$clients/package-lock.json" -nt "$clients/node_modules" ]; then
  echo "setup: npm ci in tests/clients"
  (cd "$clients" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The pages' npm libraries, exactly as locked, bundled into web/assets/ (esbuild). Rebuilt when
# a source is newer than the bundle.
frontend="$here/../frontend"
if [ ! -d "$frontend/node_modules" ] || [ "$frontend/package-lock.json" -nt "$frontend/node_modules" ]; then
  echo "setup: npm ci in frontend"
  (cd "$frontend" && npm ci --no-audit --no-fund --loglevel=error)
fi
bundle="$here/../web/assets/watch.js"
# Every page's bundle counts: a missing or older one is the one compared.
for other in moderate.js admin.js studio.js; do
  o="$here/../web/assets/$other"; { [ ! -f "$o" ] || [ "$o" -ot "$bundle" ]; } && bundle="$o"
done
if [ ! -f "$bundle" ] || [ -n "$(find "$frontend/src" "$frontend/build.mjs" "$frontend/package-lock.json" -newer "$bundle" -print -quit)" ]; then
  echo "setup: bundling the web pages' scripts (web/assets/)"
  (cd "$frontend" && npm run --silent build)
fi
echo "setup: done"
