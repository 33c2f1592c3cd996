#!/usr/bin/env bash
# What the archive's group commit adds to a room message's delivery latency, measured side by
# side in one run on one server: `throng bench chat` talks into the same room twice, once with
# ordinary messages (archived: committed by the storage thread before the broadcast) and once
# with <no-store/> messages (XEP-0334: broadcast at once, never archived). Everything else -
# the room, the occupants, the rate - is the same, so the difference is the commit.
# Also reported: the storage's own mean submit→commit latency and jobs per group commit, from
# the control port's /metrics.
#
#   bench/chat-archive-latency.sh
#   CLIENTS=2000 RATE=100 SECONDS_=20 bench/chat-archive-latency.sh
# Environment: CLIENTS (500 occupants), RATE (50 messages/s in total), SECONDS_ (10 s of
# talking per run), TALKERS (5), SYNCHRONOUS (storage.synchronous: normal | full).
# Needs a release build (built here if missing or stale), curl and python3. Loopback only;
# every wait is bounded; the server is stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

clients="${CLIENTS:-500}"
rate="${RATE:-50}"
seconds="${SECONDS_:-10}"
talkers="${TALKERS:-5}"
synchronous="${SYNCHRONOUS:-normal}"

cmake --preset release >/dev/null && cmake --build --preset release --target throng >/dev/null
bin="$PWD/build/release/src/cli/throng"
work="$(mktemp -d)"
server_pid=""
# shellcheck source=bench/lib.sh
. bench/lib.sh
cleanup() {
  throng_bench_stop
  rm -rf "$work"
}
trap cleanup EXIT
throng_bench_config "$work" 2 "rate_stanzas_per_second = 100000" "rate_stanzas_burst = 100000"
printf '[storage]\nsynchronous = "%s"\n' "$synchronous" >>"$work/throng.toml"
throng_bench_start "$bin" "$work" || { cat "$work/server.log" >&2; exit 1; }
control=$(json_get "$work/ready.json" "j['control']['port']")
xmpp=$(json_get "$work/ready.json" "j['xmpp']['tcp']['port']")
token=$(head -n1 "$(json_get "$work/ready.json" "j['admin_token_file']")")
curl -sS --max-time 5 -o /dev/null -X POST -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"slug":"latency","title":"Latency"}' \
  "http://127.0.0.1:$control/api/events"

metric() { curl -sS --max-time 5 -H "Authorization: Bearer $token" "http://127.0.0.1:$control/metrics" |
  awk -v name="$1" '$1 == name { print $2 }'; }

run() {  # label extra-flags...
  local label="$1"; shift
  timeout --kill-after=5 $((seconds + 120)) "$bin" bench chat --host 127.0.0.1 --port "$xmpp" \
    --room latency --clients "$clients" --join-rate 500 --talkers "$talkers" --message-rate "$rate" \
    --duration "$seconds" --drain 10 --no-progress --json "$@" >"$work/$label.json"
}
jobs0=$(metric throng_storage_jobs_committed_total); batches0=$(metric throng_storage_batches_committed_total)
run archived
mean_commit_ms=$(python3 -c "print(round(float('$(metric throng_storage_commit_latency_mean_seconds)') * 1000, 3))")
jobs1=$(metric throng_storage_jobs_committed_total); batches1=$(metric throng_storage_batches_committed_total)
run not-archived --no-store

python3 - "$work" "$clients" "$rate" "$seconds" "$synchronous" "$mean_commit_ms" \
  "$((jobs1 - jobs0))" "$((batches1 - batches0))" <<'PY'
import json, sys
work, clients, rate, seconds, sync, commit_ms, jobs, batches = sys.argv[1:]
rows = {}
for label in ("archived", "not-archived"):
    j = json.load(open(f"{work}/{label}.json"))
    d = j["delivery_ms"]
    rows[label] = (d["p50"], d["p99"], d["max"], j["lost"], j["deliveries"])
print(f"{clients} occupants, {rate} msgs/s for {seconds} s, storage.synchronous = {sync}\n")
print("| messages | delivery p50 ms | p99 ms | max ms | lost | delivered |")
print("|---|---|---|---|---|---|")
for label, (p50, p99, mx, lost, got) in rows.items():
    print(f"| {label} | {p50:.2f} | {p99:.2f} | {mx:.2f} | {lost} | {got} |")
a, n = rows["archived"], rows["not-archived"]
print(f"\ngroup commit adds: p50 {a[0] - n[0]:+.2f} ms, p99 {a[1] - n[1]:+.2f} ms "
      f"(ratio p50 {a[0] / max(n[0], 1e-9):.2f}x)")
per_batch = int(jobs) / max(int(batches), 1)
print(f"storage: mean submit->commit {commit_ms} ms, {jobs} jobs in {batches} group commits "
      f"({per_batch:.1f} per commit)")
PY
