#!/usr/bin/env bash
# WebRTC fan-out on this machine: a release throng publishes its built-in test stream
# (1280x720 VP8 at 2.5 Mbps + Opus by default) and `throng bench whep` brings VIEWERS bots at
# RATE per second, all on loopback. Runs once per SRTP implementation (throng's own on OpenSSL,
# then libsrtp2) on fresh servers, side by side, and prints each report and a comparison.
# With PERF=1 it also records where the server's time goes during the first run (perf).
#
#   VIEWERS=1000 RATE=100 WATCH=20 bench/whep-viewers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

VIEWERS=${VIEWERS:-1000}
RATE=${RATE:-100}
WATCH=${WATCH:-20}
WIDTH=${WIDTH:-1280}
HEIGHT=${HEIGHT:-720}
BITRATE=${BITRATE:-2500}
CODEC=${CODEC:-vp8}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-2}
IMPLEMENTATIONS=${IMPLEMENTATIONS:-"openssl libsrtp"}
OUT=${OUT:-build/bench-whep}

export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
cmake --preset release >/dev/null
cmake --build build/release --target throng >/dev/null
bin=build/release/src/cli/throng
mkdir -p "$OUT"
trap 'throng_bench_stop' EXIT

codec_upper=$(echo "$CODEC" | tr a-z A-Z)
first=1
for srtp in $IMPLEMENTATIONS; do
  dir="$OUT/$srtp"
  rm -rf "$dir"
  throng_bench_config "$dir" "$WORKERS" \
    "[test_source]" "enabled = true" 'event = "demo"' "codec = \"$CODEC\"" \
    "width = $WIDTH" "height = $HEIGHT" "video_bitrate_kbps = $BITRATE"
  throng_bench_start "$bin" "$dir" --webrtc.srtp "$srtp" \
    --webrtc.max_viewers $((VIEWERS + 10)) --webrtc.max_viewers_per_event $((VIEWERS + 10)) || { cat "$dir/server.log"; exit 1; }
  port=$(json_get "$dir/ready.json" 'j["http"]["port"]')
  echo "== SRTP: $srtp — $VIEWERS viewers at $RATE/s of ${WIDTH}x${HEIGHT} $codec_upper ${BITRATE} kbps, server pid $server_pid"
  sleep 2  # the encoder's first keyframes
  if [ "${PERF:-0}" = 1 ] && [ $first = 1 ]; then
    ( sleep $(( VIEWERS / RATE + 3 )); perf record -F 499 -g -p "$server_pid" -o "$OUT/perf.data" -- sleep 10 >/dev/null 2>&1 ) &
  fi
  "$bin" bench whep --port "$port" --viewers "$VIEWERS" --rate "$RATE" --watch "$WATCH" \
    --threads "$THREADS" --codec "$codec_upper" --server-pid "$server_pid" --no-progress \
    --json-file "$OUT/$srtp.json" | tee "$OUT/$srtp.txt" || true
  curl -s "http://127.0.0.1:$(json_get "$dir/ready.json" 'j["control"]["port"]')/metrics" \
    | grep -E '^throng_webrtc_(packets_sent|send_syscalls|send_dropped|retransmitted|nacks|keyframe_requests)_total' \
    | tee "$OUT/$srtp.metrics"
  throng_bench_stop
  wait || true
  first=0
done

if [ "${PERF:-0}" = 1 ] && [ -f "$OUT/perf.data" ]; then
  perf report -i "$OUT/perf.data" --no-children --percent-limit 1.5 --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | head -30 | tee "$OUT/perf.txt"
fi

python3 - "$OUT" $IMPLEMENTATIONS <<'PY'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
rows = []
for n in names:
    try:
        r = json.load(open(f"{out}/{n}.json"))
    except FileNotFoundError:
        continue
    s = r.get("server", {})
    rows.append((n, r["ok"], r["viewers"], r["setup"]["first_keyframe"].get("p50_ms", 0),
                 r["setup"]["first_keyframe"].get("p99_ms", 0), 100 * r["packets"]["loss_ratio"],
                 s.get("mean_cpu_pct", 0), s.get("peak_rss_mb", 0), r["packets"]["received"],
                 s.get("cpu_s", 0)))
print("\n| SRTP | viewers ok | setup→keyframe p50 ms | p99 ms | loss % | server CPU % (mean) | server RSS MB | packets received | server CPU µs/packet |")
print("|---|---|---|---|---|---|---|---|---|")
for n, ok, v, p50, p99, loss, cpu, rss, pk, cpu_s in rows:
    per = 1e6 * cpu_s / pk if pk else 0
    print(f"| {n} | {ok}/{v} | {p50:.0f} | {p99:.0f} | {loss:.3f} | {cpu:.0f} | {rss:.0f} | {pk} | {per:.2f} |")
if len(rows) == 2 and rows[1][8] and rows[0][8]:
    a = rows[0][9] / rows[0][8]; b = rows[1][9] / rows[1][8]
    print(f"\nserver CPU per packet, {rows[0][0]}/{rows[1][0]}: {a / b:.2f}")
PY
