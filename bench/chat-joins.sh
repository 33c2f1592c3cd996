#!/usr/bin/env bash
# Chat join storm, side by side for two presence-broadcast policies of event rooms:
#   A  the default: the room broadcasts the presence of moderators and participants only, so an
#      anonymous viewer (a visitor) joining costs O(1) stanzas;
#   B  xmpp.event_room_presence_broadcast = "moderator,participant,visitor": every join is
#      broadcast to every occupant, O(N) stanzas per join and O(N^2) for the storm.
# For each policy: a fresh `throng serve` (loopback, ephemeral ports, temporary data dir), an
# event `bench` created through the admin API (its room is bench@<muc domain>), then
# `throng bench chat` joins CLIENTS anonymous clients at RATE per second. Measured:
# joins and their latency (client side), the server's CPU seconds (/proc/<pid>/stat, utime +
# stime, before and after the run) and the stanzas it sent (throng_xmpp_stanzas_out_total on
# the control port's /metrics; when the server does not export it yet, the clients' own count of
# received stanzas stands in and the table says so).
#
#   bench/chat-joins.sh
#   CLIENTS=200 RATE=100 bench/chat-joins.sh
# Environment: CLIENTS (2000), RATE (200 starts/s), TIMEOUT (120 s join phase), WORKERS (server
# workers, 2), THREADS (load-generator threads, 2), POLICIES ("A B"),
# RESULTS_DIR (if set: each policy's load-tool JSON, server config and log are copied there).
# Needs a release build (built here if missing or stale), curl and python3 (both in
# scripts/debian-packages.txt). Bounded: every wait has a limit; servers are stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

clients="${CLIENTS:-2000}"
rate="${RATE:-200}"
join_timeout="${TIMEOUT:-120}"
workers="${WORKERS:-2}"
threads="${THREADS:-2}"
policies="${POLICIES:-A B}"
broadcast_key="xmpp.event_room_presence_broadcast"

cmake --preset release >/dev/null && cmake --build --preset release --target throng >/dev/null
bin="$PWD/build/release/src/cli/throng"

work="$(mktemp -d)"
server_pid=""
# shellcheck source=bench/lib.sh
. bench/lib.sh
stop_server() { throng_bench_stop; }
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


cpu_seconds() {  # pid -> utime + stime in seconds (proc(5): fields 14 and 15)
  python3 -c "
import os, sys
fields = open(f'/proc/{sys.argv[1]}/stat').read().rsplit(')', 1)[1].split()
print((int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK'))" "$1"
}

stanzas_out() {  # control-port token -> sum of throng_xmpp_stanzas_out_total, or "absent"
  curl -sS --max-time 5 -H "Authorization: Bearer $2" "http://127.0.0.1:$1/metrics" |
    awk '/^throng_xmpp_stanzas_out_total[ {]/ { sum += $NF; found = 1 }
         END { if (found) printf "%.0f\n", sum; else print "absent" }'
}

# Runs one policy; leaves $work/<policy>/row.json (the table's row) or a note.
run_policy() {  # name broadcast-value (empty: the server's default)
  local name="$1" broadcast="$2" dir="$work/$1"
  mkdir -p "$dir"
  {
    echo "[server]"
    echo "workers = $workers"
    echo "data_dir = \"$dir/data\""
    echo "drain_timeout_ms = 5000"
    echo "[http]"; echo 'bind = "127.0.0.1"'; echo "port = 0"
    echo "[control]"; echo 'bind = "127.0.0.1"'; echo "port = 0"
    echo "[webrtc]"; echo 'bind = "127.0.0.1"'; echo "port = 0"
    echo "[xmpp]"; echo 'tcp_bind = "127.0.0.1"'; echo "tcp_port = 0"
    [ -n "$broadcast" ] && echo "${broadcast_key#xmpp.} = \"$broadcast\""
    echo "[log]"; echo 'level = "warn"'
  } >"$dir/throng.toml"

  "$bin" serve --config "$dir/throng.toml" --ready-file "$dir/ready.json" >"$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    [ -f "$dir/ready.json" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid" 2>/dev/null || true
      server_pid=""
      if grep -q "${broadcast_key}" "$dir/server.log"; then
        echo "policy $name: the server refused $broadcast_key = \"$broadcast\" (a build without" \
             "that key, or a value it does not accept); skipped. Its output:" >&2
      else
        echo "policy $name: the server did not start; skipped:" >&2
      fi
      sed 's/^/  | /' "$dir/server.log" >&2
      echo "not run: server refused $broadcast_key" >"$dir/note"
      return 0
    fi
    sleep 0.1
  done
  [ -f "$dir/ready.json" ] || { echo "policy $name: no ready file within 30 s" >&2; stop_server; \
                                echo "no ready file" >"$dir/note"; return 0; }

  local control_port xmpp_port anon_domain muc_domain token
  control_port=$(json_get "$dir/ready.json" "j['control']['port']")
  xmpp_port=$(json_get "$dir/ready.json" "j['xmpp']['tcp']['port']")
  anon_domain=$(json_get "$dir/ready.json" "j['xmpp']['anonymous_domain']")
  muc_domain=$(json_get "$dir/ready.json" "j['xmpp']['muc_domain']")
  token=$(head -n1 "$(json_get "$dir/ready.json" "j['admin_token_file']")")

  # The room to join: every event gets one named after its slug.
  local status
  status=$(curl -sS --max-time 5 -o "$dir/event.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"slug":"bench","title":"Bench"}' "http://127.0.0.1:$control_port/api/events")
  if [ "$status" != 201 ]; then
    echo "policy $name: POST /api/events answered $status: $(cat "$dir/event.json")" >&2
    stop_server
    echo "event not created" >"$dir/note"
    return 0
  fi

  local cpu0 cpu1 out0 out1 rc=0
  out0=$(stanzas_out "$control_port" "$token")
  cpu0=$(cpu_seconds "$server_pid")
  echo "policy $name: $clients clients at $rate/s into bench@$muc_domain ..." >&2
  # The tool bounds itself (join timeout + 0.5 s settle + 5 s close); timeout(1) is the backstop.
  timeout --kill-after=5 $((join_timeout + 60)) "$bin" bench chat \
    --host 127.0.0.1 --port "$xmpp_port" --anon-domain "$anon_domain" \
    --muc-domain "$muc_domain" --room bench --clients "$clients" --join-rate "$rate" \
    --join-timeout "$join_timeout" --history 20 --threads "$threads" --no-progress --json \
    >"$dir/result.json" || rc=$?
  cpu1=$(cpu_seconds "$server_pid")
  out1=$(stanzas_out "$control_port" "$token")
  stop_server
  if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then  # 3: some clients failed, still a result
    echo "policy $name: the load tool failed (exit $rc)" >&2
    echo "load tool failed" >"$dir/note"
    return 0
  fi
  python3 - "$dir" "$name" "$broadcast" "$cpu0" "$cpu1" "$out0" "$out1" <<'PY'
import json, sys
d, name, broadcast, cpu0, cpu1, out0, out1 = sys.argv[1:]
r = json.load(open(f"{d}/result.json"))
joined = r["joined"]
if out0 != "absent" and out1 != "absent":
    sent, source = int(out1) - int(out0), "server"
else:
    sent, source = r["stanzas_received"], "clients"
row = {
    "policy": f"{name} ({broadcast or 'default'})",
    "joined": joined, "clients": r["clients"], "failed": r["failed"],
    "join_p50": r["join_presence_ms"]["p50"], "join_p99": r["join_presence_ms"]["p99"],
    "per_join": sent / joined if joined else None, "source": source,
    "cpu": float(cpu1) - float(cpu0), "failures": r["failures"], "wall": r["wall_s"],
    "lag": r["client_loop_lag_max_ms"],
}
json.dump(row, open(f"{d}/row.json", "w"))
PY
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('  ', {k: r[k] for k in ('joined','failed','failures','wall_s')})" "$dir/result.json" >&2
}

for policy in $policies; do
  case "$policy" in
    A) run_policy A "" ;;
    B) run_policy B "moderator,participant,visitor" ;;
    *) echo "unknown policy $policy (A or B)" >&2; exit 2 ;;
  esac
  if [ -n "${RESULTS_DIR:-}" ]; then
    mkdir -p "$RESULTS_DIR/$policy"
    cp "$work/$policy"/{throng.toml,server.log,result.json,row.json} "$RESULTS_DIR/$policy/" \
      2>/dev/null || true
  fi
done

python3 - "$work" "$clients" "$rate" "$workers" "$threads" $policies <<'PY'
import json, os, sys
work, clients, rate, workers, threads, *names = sys.argv[1:]
rows = {}
for n in names:
    path = f"{work}/{n}/row.json"
    if os.path.exists(path):
        rows[n] = json.load(open(path))
    else:
        note = open(f"{work}/{n}/note").read().strip() if os.path.exists(f"{work}/{n}/note") else "no result"
        rows[n] = {"policy": n, "note": note}
print(f"chat join storm: {clients} anonymous clients at {rate}/s, server {workers} workers, "
      f"load generator {threads} threads, same machine ({os.cpu_count()} CPUs)")
head = ["policy", "joined", "join p50 ms", "join p99 ms", "stanzas sent by server per join",
        "server CPU s"]
def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)
table = []
for n in names:
    r = rows[n]
    if "note" in r:
        table.append([r["policy"], r["note"], "", "", "", ""])
        continue
    per = fmt(r["per_join"], ".1f") + ("" if r["source"] == "server" else " (client count*)")
    table.append([r["policy"], f"{r['joined']}/{r['clients']}", fmt(r["join_p50"], ".1f"),
                  fmt(r["join_p99"], ".1f"), per, fmt(r["cpu"], ".2f")])
a, b = rows.get("A"), rows.get("B")
if a and b and "note" not in a and "note" not in b:
    def ratio(k):
        return "n/a" if not a[k] or b[k] is None else f"{b[k] / a[k]:.2f}x"
    table.append(["ratio B/A", ratio("joined"), ratio("join_p50"), ratio("join_p99"),
                  ratio("per_join"), ratio("cpu")])
widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
line = lambda cells: " | ".join(str(c).ljust(w) for c, w in zip(cells, widths))
print(line(head))
print("-+-".join("-" * w for w in widths))
for t in table:
    print(line(t))
if any("source" in r and r["source"] != "server" for r in rows.values()):
    print("* the server does not export throng_xmpp_stanzas_out_total on /metrics: the column is "
          "the stanzas the clients received (the same stanzas, counted at the other end; "
          "includes the 4 handshake stanzas per client)")
for n in names:
    r = rows[n]
    if r.get("failures"):
        print(f"policy {n} failures: {r['failures']}")
    if r.get("lag", 0) > 100:
        print(f"policy {n}: the load generator's loop lagged up to {r['lag']:.0f} ms "
              "(latencies include client-side delay)")
PY
