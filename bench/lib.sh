# Shared by the bench scripts (source it): a throng on loopback with ephemeral ports and its
# own data directory, and small readers. Nothing here runs on its own.

json_get() {  # file python-expression-on-j
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# Writes <dir>/throng.toml: loopback only, ephemeral ports, data in <dir>/data, warnings only;
# every further argument is one line added to [xmpp] (e.g. "rate_stanzas_per_second = 100000").
throng_bench_config() {  # dir workers [xmpp-line...]
  local dir="$1" workers="$2"
  shift 2
  mkdir -p "$dir"
  {
    echo "[server]"; echo "workers = $workers"; echo "data_dir = \"$dir/data\""
    echo "drain_timeout_ms = 5000"
    echo "[http]"; echo 'bind = "127.0.0.1"'; echo "port = 0"
    echo "[control]"; echo 'bind = "127.0.0.1"'; echo "port = 0"
    echo "[webrtc]"; echo 'bind = "127.0.0.1"'; echo "port = 0"
    echo "[xmpp]"; echo 'tcp_bind = "127.0.0.1"'; echo "tcp_port = 0"
    for line in "$@"; do echo "$line"; done
    echo "[log]"; echo 'level = "warn"'
  } >"$dir/throng.toml"
}

# Starts `bin serve` on <dir>/throng.toml (further arguments are command-line overrides, e.g.
# --webrtc.srtp libsrtp) and waits (at most 30 s) for its ready file; sets server_pid. Returns 1
# if the server exits or is not ready in time (its log: <dir>/server.log).
throng_bench_start() {  # bin dir [override...]
  local bin="$1" dir="$2"
  shift 2
  rm -f "$dir/ready.json"
  "$bin" serve --config "$dir/throng.toml" --ready-file "$dir/ready.json" "$@" >"$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    [ -f "$dir/ready.json" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Stops the server started by throng_bench_start: SIGTERM (it drains within
# server.drain_timeout_ms), up to 10 s, then SIGKILL. Clears server_pid.
throng_bench_stop() {
  [ -n "${server_pid:-}" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
