#!/usr/bin/env bash
# HTTP serving side by side: throng's public port vs nginx, same static file, same machine,
# loopback only, measured with wrk in the same run. Prints requests/s for each and the ratio.
#   bench/http-compare.sh [seconds=10] [connections=64]
# Needs a release build (scripts/demo.sh builds one) and the Debian packages nginx and wrk,
# which this script installs. Bounded: each wrk run lasts `seconds`; everything it starts is
# stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-10}"
connections="${2:-64}"

command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { apt-get install -y -qq --no-install-recommends wrk nginx-light >/dev/null; }
cmake --preset release >/dev/null && cmake --build --preset release --target throng >/dev/null

work="$(mktemp -d)"
cleanup() {
  [ -n "${throng_pid:-}" ] && kill "$throng_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# throng: 2 workers on an ephemeral loopback port.
build/release/src/cli/throng serve --server.workers 2 --server.data_dir "$work/data" \
  --http.bind 127.0.0.1 --http.port 0 --control.port 0 --xmpp.tcp_bind 127.0.0.1 --xmpp.tcp_port 0 --webrtc.port 0 --log.level warn \
  --ready-file "$work/ready.json" &
throng_pid=$!
for _ in $(seq 100); do [ -f "$work/ready.json" ] && break; sleep 0.05; done
throng_port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['http']['port'])" "$work/ready.json")

# nginx: 2 workers, same file, loopback, a port picked by the kernel.
nginx_port=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$nginx_port reuseport; root $PWD/web; }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.3

measure() {  # name url
  local out rps
  out=$(wrk -t 2 -c "$connections" -d "${seconds}s" --latency "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  printf '%-8s %12s req/s   p99 %s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}
echo "static file /style.css, ${connections} connections, ${seconds}s each, wrk -t2 on the same 2 cores" >&2
t=$(measure throng "http://127.0.0.1:$throng_port/style.css")
n=$(measure nginx "http://127.0.0.1:$nginx_port/style.css")
python3 -c "import sys;t,n=map(float,sys.argv[1:]);print(f'throng/nginx throughput ratio: {t/n:.2f}')" "$t" "$n"
