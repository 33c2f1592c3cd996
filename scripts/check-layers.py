#!/usr/bin/env python3
"""Fails when a src/ folder includes a layer it may not depend on (design.md §8).

Layers are CMake libraries too, but they share one include root, so a wrong #include would
otherwise compile. This check runs as a test (ctest -R layering)."""
import pathlib
import re
import sys

# Which layers each layer may include (itself is always allowed).
ALLOWED = {
    "base": set(),
    "proto": {"base"},
    "net": {"base", "proto"},
    "media": {"base"},
    # The recorder of decrypted ingest RTP, its readers and the libav export (docs/recording.md).
    "record": {"base", "media"},
    "http": {"base", "proto", "net"},
    "store": {"base"},
    "control": {"base", "net", "http", "store"},
    "chat": {"base", "proto", "net", "http", "store"},
    "rtc": {"base", "proto", "net", "media", "http", "store", "record"},
    "hls": {"base", "proto", "net", "http", "store"},
    "ingest": {"base", "proto", "net", "http", "store"},
    "cluster": {"base", "proto", "net", "store"},
    "bench": {"base", "proto", "net", "http", "media", "rtc"},
    "server": {"base", "proto", "net", "http", "store", "control", "chat", "media", "record",
               "rtc", "hls", "ingest", "cluster"},
    "cli": {"base", "server", "bench", "chat", "store", "record"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')

def main() -> int:
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    errors = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".h", ".cpp"}:
            continue
        layer = path.relative_to(src).parts[0]
        allowed = ALLOWED.get(layer)
        if allowed is None:
            errors.append(f"{path}: folder '{layer}' is not a known layer")
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if m and m.group(1) != layer and m.group(1) not in allowed:
                errors.append(f"{path}:{number}: layer '{layer}' may not include '{m.group(1)}/'")
    for e in errors:
        print(e)
    print(f"layering: {len(errors)} violation(s)")
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main())
