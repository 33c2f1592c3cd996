#!/usr/bin/env python3
"""Turns bench/chat-compare.sh's per-run JSON (throng bench chat --json-file) into one markdown
table and one JSON summary: results_dir p99_limit_ms server...  -> stdout (markdown) and
results_dir/summary.json."""
import glob
import json
import os
import sys

results, limit = sys.argv[1], float(sys.argv[2])
servers = sys.argv[3:]


def load(server, scenario):
    path = f"{results}/{server}-{scenario}.json"
    return json.load(open(path)) if os.path.exists(path) else None


def join_cell(r):
    if not r:
        return "not run"
    j = r["join_ms"]
    cell = f"{r['joined']}/{r['clients']} joined, p50 {j['p50']:.0f} ms, p99 {j['p99']:.0f} ms"
    if r["failed"]:
        cell += f" ({r['failed']} failed)"
    return cell


def fan_cell(r):
    if not r:
        return "not run"
    if not r["messages_sent"]:
        return f"{r['joined']}/{r['clients']} joined, no messages"
    d = r["delivery_ms"]
    cell = (f"p99 {d['p99']:.0f} ms, lost {r['lost']}/{r['expected_deliveries']}, "
            f"{r['deliveries_per_s']:.0f} deliveries/s")
    if r["failed"]:
        cell += f", {r['failed']} joins failed"
    if r["dropped_after_join"]:
        cell += f", {r['dropped_after_join']} dropped"
    return cell


def held(r):
    return (r and r["failed"] == 0 and r["lost"] == 0 and r["dropped_after_join"] == 0
            and r["messages_sent"] > 0 and r["delivery_ms"]["p99"] < limit)


summary = {}
for s in servers:
    runs = {os.path.basename(p)[len(s) + 1:-5]: json.load(open(p))
            for p in glob.glob(f"{results}/{s}-*.json")}
    ladder = sorted((int(k[6:]), v) for k, v in runs.items()
                    if k.startswith("ladder") and k[6:].isdigit())
    largest = max((size for size, r in ladder if held(r)), default=None)
    tried = [size for size, _ in ladder]
    fan50 = runs.get("fan50")
    cpu_per_1000 = fan50.get("server_cpu_s_per_1000_deliveries") if fan50 else None
    peak = max((r.get("server", {}).get("peak_rss_bytes", 0) for r in runs.values()
                if isinstance(r, dict) and "server" in r), default=0)
    tool_peak = max((r["tool"]["cpu_pct_talk"] for r in runs.values()
                     if isinstance(r, dict) and "tool" in r), default=0)
    summary[s] = {
        "largest_room_held": largest, "ladder_tried": tried,
        "join200": runs.get("join200"), "join1000": runs.get("join1000"),
        "fan10": runs.get("fan10"), "fan50": fan50,
        "server_cpu_s_per_1000_deliveries": cpu_per_1000, "peak_rss_bytes": peak,
        "tool_cpu_pct_talk_max": tool_peak,
        "note": runs.get("start", {}).get("note") if "start" in runs else None,
    }

json.dump({"p99_limit_ms": limit, "servers": summary}, open(f"{results}/summary.json", "w"),
          indent=1)

rows = [
    ("largest room held (p99 < %d ms, 0 lost)" % limit,
     lambda s: (f"{s['largest_room_held']}" if s["largest_room_held"] else "none")
     + (f" (tried {', '.join(map(str, s['ladder_tried']))})" if s["ladder_tried"] else " (not run)")),
    ("join storm at 200/s", lambda s: join_cell(s["join200"])),
    ("join storm at 1,000/s", lambda s: join_cell(s["join1000"])),
    ("fan-out 10 msgs/s", lambda s: fan_cell(s["fan10"])),
    ("fan-out 50 msgs/s", lambda s: fan_cell(s["fan50"])),
    ("server CPU-s per 1,000 deliveries (50 msgs/s)",
     lambda s: "n/a" if s["server_cpu_s_per_1000_deliveries"] is None
     else f"{s['server_cpu_s_per_1000_deliveries']:.4f}"),
    ("peak RSS", lambda s: f"{s['peak_rss_bytes'] / 1e6:.0f} MB" if s["peak_rss_bytes"] else "n/a"),
    ("load tool CPU, talk phase (max)", lambda s: f"{s['tool_cpu_pct_talk_max']:.0f}%"),
]
room = next((summary[s]["fan50"]["clients"] for s in servers if summary[s]["fan50"]), None)
print(f"Chat load, same machine ({os.cpu_count()} CPUs), tool and server sharing it; "
      f"fan-out room: {room} occupants" if room else "Chat load")
print()
print("| | " + " | ".join(servers) + " |")
print("|---|" + "---|" * len(servers))
for name, cell in rows:
    print(f"| {name} | " + " | ".join(
        summary[s]["note"] or cell(summary[s]) for s in servers) + " |")
