#!/usr/bin/env bash
# WebRTC fan-out on this machine: a release throng publishes its built-in test stream
# (1280x720 VP8 at 2.5 Mbps + Opus by default) and `throng bench whep` brings VIEWERS bots at
# RATE per second, all on loopback. Runs each variant in RUNS on a fresh server, side by side,
# and prints each report and a comparison. A variant is SRTP/SEND/READ:
#   SRTP  openssl (throng's own on OpenSSL EVP) or libsrtp (libsrtp2)
#   SEND  gso (a viewer's packets of one frame as one UDP_SEGMENT message) or nogso
#   READ  gro (bots read coalesced runs, UDP_GRO) or nogro (one datagram per read)
# On loopback the receiving socket's kernel work runs on the sending thread, so READ changes
# the server's measured CPU; over a real network it would land on the viewers' machines.
# With PERF=1 it also records where the server's time goes during the first run (perf).
#
#   VIEWERS=1000 RATE=100 WATCH=20 bench/whep-viewers.sh
#   RUNS="openssl/gso/gro libsrtp/gso/gro" VIEWERS=200 bench/whep-viewers.sh
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
RUNS=${RUNS:-"openssl/gso/gro openssl/nogso/nogro openssl/gso/nogro libsrtp/gso/gro"}
OUT=${OUT:-build/bench-whep}

export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
cmake --preset release >/dev/null
cmake --build build/release --target throng >/dev/null
bin=build/release/src/cli/throng
mkdir -p "$OUT"
trap 'throng_bench_stop' EXIT

codec_upper=$(echo "$CODEC" | tr a-z A-Z)
first=1
names=()
for run in $RUNS; do
  IFS=/ read -r srtp send read <<<"$run"
  case "$srtp/$send/$read" in
    openssl/*/* | libsrtp/*/*) ;;
    *) echo "RUNS: '$run' is not SRTP/SEND/READ (openssl|libsrtp / gso|nogso / gro|nogro)" >&2; exit 2 ;;
  esac
  [ "$send" = gso ] && gso=true || gso=false
  [ "$read" = gro ] && gro_flag="" || gro_flag="--no-gro"
  name="$srtp-$send-$read"
  names+=("$name")
  dir="$OUT/$name"
  rm -rf "$dir"
  throng_bench_config "$dir" "$WORKERS" \
    "[test_source]" "enabled = true" 'event = "demo"' "codec = \"$CODEC\"" \
    "width = $WIDTH" "height = $HEIGHT" "video_bitrate_kbps = $BITRATE"
  throng_bench_start "$bin" "$dir" --webrtc.srtp "$srtp" --webrtc.gso "$gso" \
    --webrtc.max_viewers $((VIEWERS + 10)) --webrtc.max_viewers_per_event $((VIEWERS + 10)) || { cat "$dir/server.log"; exit 1; }
  port=$(json_get "$dir/ready.json" 'j["http"]["port"]')
  echo "== $name — $VIEWERS viewers at $RATE/s of ${WIDTH}x${HEIGHT} $codec_upper ${BITRATE} kbps, server pid $server_pid"
  sleep 2  # the encoder's first keyframes
  if [ "${PERF:-0}" = 1 ] && [ $first = 1 ]; then
    ( sleep $(( VIEWERS / RATE + 3 )); perf record -F 499 -g -p "$server_pid" -o "$OUT/perf.data" -- sleep 10 >/dev/null 2>&1 ) &
  fi
  # shellcheck disable=SC2086 # gro_flag is empty or one flag
  "$bin" bench whep --port "$port" --viewers "$VIEWERS" --rate "$RATE" --watch "$WATCH" \
    --threads "$THREADS" --codec "$codec_upper" --server-pid "$server_pid" --no-progress $gro_flag \
    --json-file "$OUT/$name.json" | tee "$OUT/$name.txt" || true
  curl -s "http://127.0.0.1:$(json_get "$dir/ready.json" 'j["control"]["port"]')/metrics" \
    | grep -E '^throng_webrtc_(packets_sent|send_syscalls|send_dropped|retransmitted|nacks|keyframe_requests)_total' \
    | tee "$OUT/$name.metrics"
  throng_bench_stop
  wait || true
  first=0
done

if [ "${PERF:-0}" = 1 ] && [ -f "$OUT/perf.data" ]; then
  perf report -i "$OUT/perf.data" --no-children --percent-limit 1.5 --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | head -30 | tee "$OUT/perf.txt"
fi

python3 - "$OUT" "${names[@]}" <<'PY'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
rows = []
for n in names:
    try:
        r = json.load(open(f"{out}/{n}.json"))
    except FileNotFoundError:
        continue
    s, p, k = r.get("server", {}), r["packets"], r["setup"]["first_keyframe"]
    rows.append(dict(name=n, ok=r["ok"], viewers=r["viewers"], p50=k.get("p50_ms", 0),
                     p99=k.get("p99_ms", 0), loss=100 * p["loss_ratio"],
                     cpu=s.get("mean_cpu_pct", 0), rss=s.get("peak_rss_mb", 0),
                     packets=p["received"], us=s.get("us_per_packet", 0),
                     per_core=s.get("packets_per_cpu_s", 0), per_read=p["datagrams_per_read"],
                     tool=r["tool"]["mean_cpu_pct"]))
print("\n| run (SRTP-send-read) | viewers ok | setup→keyframe p50 ms | p99 ms | loss % | server CPU % | "
      "server RSS MB | packets received | server µs/packet | packets per CPU-s | datagrams/read | tool CPU % |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['name']} | {r['ok']}/{r['viewers']} | {r['p50']:.0f} | {r['p99']:.0f} | {r['loss']:.3f} | "
          f"{r['cpu']:.0f} | {r['rss']:.0f} | {r['packets']} | {r['us']:.2f} | {r['per_core'] / 1000:.0f}k | "
          f"{r['per_read']:.1f} | {r['tool']:.0f} |")
if len(rows) >= 2 and rows[0]["us"]:
    print()
    for r in rows[1:]:
        if r["us"]:
            print(f"server CPU per packet, {r['name']} / {rows[0]['name']}: {r['us'] / rows[0]['us']:.2f}")
PY
