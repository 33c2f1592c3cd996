#!/usr/bin/env bash
# throng, Prosody and ejabberd under the same chat load, on this machine, in one run.
#
# Each server runs as its own instance on loopback ports, with its config and data in a
# temporary directory (never the system service), set up the same way:
#   - anonymous login (SASL ANONYMOUS) on anon.localhost, a MUC service rooms.localhost;
#   - no rate limits: throng's xmpp.rate_* raised out of reach, Prosody without mod_limits,
#     ejabberd's c2s listener without a shaper and mod_muc without message/presence intervals;
#   - the crowd's presence not broadcast, as in throng's event rooms: throng event rooms
#     broadcast moderators and participants, and anonymous viewers join as visitors; Prosody and
#     ejabberd make anonymous joiners participants, so there the room broadcasts moderators only
#     (Prosody muc_room_default_presence_broadcast, ejabberd default_room_options
#     presence_broadcast, both muc#roomconfig_presencebroadcast). Each room is created by its
#     first joiner, unlocked (Prosody muc_room_locking = false; ejabberd's rooms are instant);
#     throng's rooms are event rooms made through the admin API.
# Every config is written by this script (see write_*_config below) and copied to RESULTS_DIR.
#
# Scenarios, each against each server, in a fresh room (`throng bench chat`, SASL ANONYMOUS
# over TCP, tool and server on the same cores):
#   join200   JOIN_CLIENTS clients joining at 200/s            join p50/p99, failures
#   join1000  JOIN_CLIENTS clients joining at 1000/s
#   fan10     ROOM_SIZE clients (joined at 1000/s), TALKERS send 10 msgs/s for DURATION s
#   fan50     the same at 50 msgs/s                              delivery p99, loss, CPU-s/1000
#   ladder    rooms of LADDER sizes at LADDER_RATE msgs/s until one fails delivery p99 < 250 ms
#             with zero loss: the largest that held
# Peak RSS is the largest the server reached over all of its scenarios.
#
#   bench/chat-compare.sh
#   SERVERS=throng ROOM_SIZE=10000 SCENARIOS="fan50" bench/chat-compare.sh
# Environment: SERVERS ("throng prosody ejabberd"), SCENARIOS ("join200 join1000 fan10 fan50
# ladder"), JOIN_CLIENTS (1000), ROOM_SIZE (1000), TALKERS (2), DURATION (10 s),
# LADDER ("500 1000 2000 4000"), LADDER_RATE (10), LADDER_DURATION (5 s), THREADS (tool
# threads, 2), WORKERS (throng workers, 2), RESULTS_DIR (default bench/results/chat-compare-<time>),
# THRONG_OPTIONS (more command-line settings for throng, e.g. "--xmpp.fanout_flush_ms 100").
# Needs root for apt-get (prosody, ejabberd are installed when missing) and to run ejabberd as
# its own user. Bounded: every wait has a limit, every tool run has timeout(1) behind its own
# bound; everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"

servers="${SERVERS:-throng prosody ejabberd}"
scenarios="${SCENARIOS:-join200 join1000 fan10 fan50 ladder}"
join_clients="${JOIN_CLIENTS:-1000}"
room_size="${ROOM_SIZE:-1000}"
talkers="${TALKERS:-2}"
duration="${DURATION:-10}"
ladder="${LADDER:-500 1000 2000 4000}"
ladder_rate="${LADDER_RATE:-10}"
ladder_duration="${LADDER_DURATION:-5}"
threads="${THREADS:-2}"
workers="${WORKERS:-2}"
results="${RESULTS_DIR:-$repo/bench/results/chat-compare-$(date +%Y%m%d-%H%M%S)}"
p99_limit_ms=250  # "held": delivery p99 under this, and nothing lost

mkdir -p "$results"
ulimit -n "$(ulimit -Hn)"  # servers and tool inherit it: one fd per client on each side

# --- the peers, from Debian -----------------------------------------------------------------
need=()
command -v prosody >/dev/null || need+=(prosody)
command -v ejabberdctl >/dev/null || need+=(ejabberd)
if [ "${#need[@]}" -gt 0 ] && [[ " $servers " =~ " prosody "|" ejabberd " ]]; then
  # Install without starting the system services (policy-rc.d 101), then stop any that did.
  policy=/usr/sbin/policy-rc.d
  saved=""
  [ -e "$policy" ] && saved="$(cat "$policy")"
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >"$results/apt.log" 2>&1 || true
  if [ -n "$saved" ]; then printf '%s\n' "$saved" >"$policy"; else rm -f "$policy"; fi
  for s in prosody ejabberd; do service "$s" stop >/dev/null 2>&1 || true; done
fi

cmake --preset release >/dev/null && cmake --build --preset release --target throng >/dev/null
bin="$repo/build/release/src/cli/throng"

work="$(mktemp -d /tmp/chat-compare.XXXXXX)"
chmod 755 "$work"
server_pid=""    # the process measured (throng, prosody's lua, ejabberd's beam.smp)
launcher_pid=""  # what we started, when it differs (ejabberdctl foreground)
stop_cmd=""      # a clean stop, tried before signals
epmd_was_running=0
pgrep -x epmd >/dev/null && epmd_was_running=1

stop_server() {
  if [ -n "$stop_cmd" ]; then timeout 20 bash -c "$stop_cmd" >/dev/null 2>&1 || true; fi
  for pid in $server_pid $launcher_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 100); do
    alive=0
    for pid in $server_pid $launcher_pid; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in $server_pid $launcher_pid; do kill -KILL "$pid" 2>/dev/null || true; done
  [ -n "$launcher_pid" ] && wait "$launcher_pid" 2>/dev/null || true
  server_pid="" launcher_pid="" stop_cmd=""
}
cleanup() {
  stop_server
  # Erlang's port mapper, if ejabberd started it here.
  if [ "$epmd_was_running" = 0 ] && pgrep -x epmd >/dev/null; then epmd -kill >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {  # port seconds
  for _ in $(seq $(($2 * 10))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# shellcheck source=bench/lib.sh
. bench/lib.sh

# --- throng -----------------------------------------------------------------------------------
throng_control="" throng_token=""
start_throng() {
  local dir="$work/throng"
  # Rate limits out of reach, as for the peers.
  throng_bench_config "$dir" "$workers" "rate_stanzas_per_second = 100000" \
    "rate_stanzas_burst = 1000000" "rate_bytes_per_second = 1073741824" "rate_bytes_burst = 1073741824"
  cp "$dir/throng.toml" "$results/throng.toml"
  # shellcheck disable=SC2086 # THRONG_OPTIONS is a list of options
  throng_bench_start "$bin" "$dir" ${THRONG_OPTIONS:-} || { echo "throng: not ready (see its log)" >&2; sed 's/^/  | /' "$dir/server.log" >&2; return 1; }
  xmpp_port=$(json_get "$dir/ready.json" "j['xmpp']['tcp']['port']")
  throng_control=$(json_get "$dir/ready.json" "j['control']['port']")
  throng_token=$(head -n1 "$(json_get "$dir/ready.json" "j['admin_token_file']")")
}
# An event per room: its room takes anonymous viewers as visitors (docs/muc.md).
make_room_throng() {
  curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $throng_token" -H 'Content-Type: application/json' \
    -d "{\"slug\":\"$1\",\"title\":\"$1\"}" "http://127.0.0.1:$throng_control/api/events" |
    grep -q 201
}

# --- Prosody (0.12, Lua, one thread) ------------------------------------------------------------
start_prosody() {
  local dir="$work/prosody"
  mkdir -p "$dir/data"
  xmpp_port=$(free_port)
  local http_port
  http_port=$(free_port)
  cat >"$dir/prosody.cfg.lua" <<EOF
-- Written by bench/chat-compare.sh: loopback only, no TLS, no limits.
run_as_root = true            -- a throwaway instance in a temp dir, started by the bench
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
log = { warn = "$dir/prosody.log" }
network_backend = "epoll"
network_settings = { tcp_backlog = 4096 }  -- as throng's listen backlog (SOMAXCONN); default 128
interfaces = { "127.0.0.1" }
c2s_ports = { $xmpp_port }
s2s_ports = { }
http_ports = { $http_port }
http_interfaces = { "127.0.0.1" }
https_ports = { }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
modules_enabled = { "disco"; "ping"; "saslauth"; "websocket" }  -- no mod_limits: no rate limits
modules_disabled = { "s2s"; "tls" }
consider_websocket_secure = true
VirtualHost "localhost"
  authentication = "internal_plain"
VirtualHost "anon.localhost"
  authentication = "anonymous"
Component "rooms.localhost" "muc"
  muc_room_locking = false                     -- usable as soon as the first joiner made it
  muc_room_default_history_length = 20
  -- the crowd (anonymous joiners are participants) is not broadcast; moderators are
  muc_room_default_presence_broadcast = { moderator = true; participant = false; visitor = false }
EOF
  cp "$dir/prosody.cfg.lua" "$results/prosody.cfg.lua"
  prosody --config "$dir/prosody.cfg.lua" -F >"$dir/stdout.log" 2>&1 &
  server_pid=$!
  wait_port "$xmpp_port" 30 || { echo "prosody did not listen:" >&2; cat "$dir"/*.log >&2; return 1; }
}

# --- ejabberd (23.01, Erlang) -----------------------------------------------------------------
start_ejabberd() {
  local dir="$work/ejabberd"
  mkdir -p "$dir/spool" "$dir/logs"
  xmpp_port=$(free_port)
  local http_port node="ejabberd-bench@localhost"
  http_port=$(free_port)
  cat >"$dir/ejabberd.yml" <<EOF
# Written by bench/chat-compare.sh: loopback only, no TLS, no shapers, no MUC intervals.
hosts: ["localhost", "anon.localhost"]
loglevel: warning
log_rotate_count: 0
listen:
  - port: $xmpp_port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 4096        # as throng's listen backlog (SOMAXCONN); the default drops storm joins
    max_stanza_size: 262144
    shaper: none
    access: all
  - port: $http_port
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /xmpp-websocket: ejabberd_http_ws
auth_method: [internal]
host_config:
  anon.localhost:
    auth_method: [anonymous]
    anonymous_protocol: sasl_anon
    allow_multiple_connections: true
shaper: {}
shaper_rules: {}
acl: {}
access_rules:
  all_allowed:
    allow: all
modules:
  mod_disco: {}
  mod_ping: {}
append_host_config:
  localhost:
    modules:
      mod_muc:
        host: rooms.localhost
        access: all
        access_create: all
        access_persistent: all
        access_admin: none
        history_size: 20
        max_users: 1000000
        max_users_admin_threshold: 1000000
        max_user_conferences: 100
        min_message_interval: 0
        min_presence_interval: 0
        max_users_presence: 1000000    # its own crowd cut-off off: the broadcast roles decide
        default_room_options:
          presence_broadcast: [moderator]  # the crowd (participants) is not broadcast
          max_users: 1000000
          logging: false
          mam: false
EOF
  cat >"$dir/ejabberdctl.cfg" <<EOF
POLL=true
ERL_MAX_PORTS=65536
ERL_PROCESSES=2000000
ERLANG_NODE=$node
INET_DIST_INTERFACE=127.0.0.1
ERL_EPMD_ADDRESS=127.0.0.1
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_CONFIG_PATH=$dir/ejabberd.yml
EJABBERD_PID_PATH=$dir/ejabberd.pid
EOF
  cp /etc/ejabberd/inetrc "$dir/inetrc"
  cp "$dir/ejabberd.yml" "$results/ejabberd.yml"
  cp "$dir/ejabberdctl.cfg" "$results/ejabberdctl.cfg"
  chown -R ejabberd "$dir"  # ejabberdctl runs the node as its own user
  local ctl=(ejabberdctl --config-dir "$dir" --ctl-config "$dir/ejabberdctl.cfg"
             --spool "$dir/spool" --logs "$dir/logs" --node "$node")
  "${ctl[@]}" foreground >"$dir/stdout.log" 2>&1 &
  launcher_pid=$!
  stop_cmd="$(printf '%q ' "${ctl[@]}") stop"
  if ! wait_port "$xmpp_port" 60; then
    echo "ejabberd did not listen:" >&2; cat "$dir/stdout.log" "$dir"/logs/*.log >&2 2>/dev/null
    return 1
  fi
  server_pid=$(pgrep -u ejabberd -f "beam.*$node" | head -n1)
}

# --- one scenario -----------------------------------------------------------------------------
# run_tool server scenario room clients join_rate rate duration -> $results/<server>-<scenario>.json
run_tool() {
  local server="$1" scenario="$2" room="$3" clients="$4" join_rate="$5" rate="$6" secs="$7"
  local out="$results/$server-$scenario.json" rc=0
  if [ "$server" = throng ]; then make_room_throng "$room" || { echo "throng: no room $room" >&2; return 0; }; fi
  local args=(bench chat --host 127.0.0.1 --port "$xmpp_port" --anon-domain anon.localhost
              --muc-domain rooms.localhost --room "$room" --clients "$clients"
              --join-rate "$join_rate" --join-timeout 60 --threads "$threads"
              --server-pid "$server_pid" --no-progress --json-file "$out")
  [ "$rate" != 0 ] && args+=(--talkers "$talkers" --message-rate "$rate" --duration "$secs" --drain 10)
  echo "$ ${bin##*/} ${args[*]}" >>"$results/commands.txt"
  echo "[$server $scenario] $clients clients at $join_rate/s, $rate msgs/s for ${secs}s" >&2
  timeout --kill-after=5 $((60 + secs + 40)) "$bin" "${args[@]}" >"$results/$server-$scenario.txt" \
    2>&1 || rc=$?
  sed 's/^/    /' "$results/$server-$scenario.txt" | grep -E "joined|latency|deliveries|lost|server|tool|failed|WARN" >&2 || true
  return 0
}

held() {  # json -> exit 0 if delivery p99 < limit, no loss and every client joined
  python3 - "$1" "$p99_limit_ms" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = r["failed"] == 0 and r["lost"] == 0 and r["dropped_after_join"] == 0 and \
     r["messages_sent"] > 0 and r["delivery_ms"]["p99"] < float(sys.argv[2])
sys.exit(0 if ok else 1)
PY
}

for server in $servers; do
  case "$server" in
    throng|prosody|ejabberd) ;;
    *) echo "unknown server $server (throng, prosody, ejabberd)" >&2; exit 2 ;;
  esac
  if ! "start_$server"; then
    echo "$server: did not start; skipped" >&2
    echo "{\"note\": \"did not start\"}" >"$results/$server-start.json"
    stop_server
    continue
  fi
  echo "$server: pid $server_pid on 127.0.0.1:$xmpp_port" >&2
  for scenario in $scenarios; do
    case "$scenario" in
      join200) run_tool "$server" join200 j200 "$join_clients" 200 0 0 ;;
      join1000) run_tool "$server" join1000 j1000 "$join_clients" 1000 0 0 ;;
      fan10) run_tool "$server" fan10 f10 "$room_size" 1000 10 "$duration" ;;
      fan50) run_tool "$server" fan50 f50 "$room_size" 1000 50 "$duration" ;;
      ladder)
        for size in $ladder; do
          run_tool "$server" "ladder$size" "l$size" "$size" 1000 "$ladder_rate" "$ladder_duration"
          held "$results/$server-ladder$size.json" 2>/dev/null || break
        done ;;
      *) echo "unknown scenario $scenario" >&2 ;;
    esac
    # A server that died is not measured further.
    kill -0 "$server_pid" 2>/dev/null || { echo "$server: exited during $scenario" >&2; break; }
  done
  stop_server
done

python3 "$repo/bench/chat_compare_table.py" "$results" "$p99_limit_ms" $servers \
  >"$results/summary.md"
cat "$results/summary.md"
echo "results: $results" >&2
