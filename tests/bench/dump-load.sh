#!/bin/bash
# dump-load.sh [FILES]: a measurement, not a test.  Times `jfsadm dump`,
# `juicefs dump`, `jfsadm load` and `juicefs load` on one volume of FILES
# (default 100000) small files in dirs of 1000, on a private host
# redis-server, and their peak RSS (/usr/bin/time -v).  The volume is made
# quickly: `juicefs format` for a real Setting, then `juicefs load` of a
# generated dump (one 4 KiB slice a file, a few xattrs), so no mount is
# needed.  Prints a Markdown table.
#
#   tests/bench/dump-load.sh            (JFSADM=, JUICEFS= override)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
JFSADM=${JFSADM:-$top/tools/jfsadm}
JUICEFS=${JUICEFS:-/var/cache/jfs-peers/juicefs-1.4.2/juicefs}
N=${1:-100000}
tmp=$(mktemp -d /tmp/bench-dump.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$tmp" --save "" --appendonly no \
	--daemonize no >"$tmp/redis.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null; wait $rpid 2>/dev/null; rm -rf "$tmp"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
R=redis://127.0.0.1:$port

"$JUICEFS" format --storage file --bucket "$tmp/bucket" "$R/1" bench >/dev/null 2>&1
"$JUICEFS" dump "$R/1" "$tmp/empty.json" >/dev/null 2>&1
redis-cli -p "$port" -n 1 flushdb >/dev/null
python3 - "$tmp/empty.json" "$N" >"$tmp/gen.json" <<'PY'
import json, sys
setting = json.load(open(sys.argv[1]))["Setting"]
n, T = int(sys.argv[2]), 1796000000
def attr(ino, typ, mode, length=0, nlink=1):
    return {"inode": ino, "type": typ, "mode": mode, "uid": 1000, "gid": 1000,
            "atime": T, "mtime": T, "ctime": T, "nlink": nlink, "length": length}
dirs, ino, chunk = {}, 2, 1
for d in range((n + 999) // 1000):
    ents = {}
    dino = ino
    ino += 1
    for f in range(min(1000, n - d * 1000)):
        e = {"attr": attr(ino, "regular", 0o644, 4096),
             "chunks": [{"index": 0, "slices": [{"id": chunk, "size": 4096, "len": 4096}]}]}
        if f % 10 == 0:
            e["xattrs"] = [{"name": "user.tag", "value": "v%d" % f}]
        ents["f%04d" % f] = e
        ino += 1
        chunk += 1
    dirs["d%03d" % d] = {"attr": attr(dino, "directory", 0o755, nlink=2), "entries": ents}
out = {"Setting": setting,
       "Counters": {"usedSpace": 0, "usedInodes": 0, "nextInodes": ino, "nextChunk": chunk,
                    "nextSession": 0, "nextTrash": 0},
       "Sustained": [], "DelFiles": [],
       "FSTree": {"attr": attr(1, "directory", 0o777, nlink=2 + len(dirs)), "entries": dirs}}
json.dump(out, sys.stdout, indent=1)
PY
"$JUICEFS" load "$R/1" "$tmp/gen.json" >"$tmp/gen.log" 2>&1 || { cat "$tmp/gen.log"; exit 1; }

# measure NAME CMD...: one table row from /usr/bin/time -v
measure() {
	local name=$1
	shift
	/usr/bin/time -v -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" ||
		{ echo "$name failed:"; cat "$tmp/err"; exit 1; }
	awk -v n="$name" -F': ' '/Elapsed \(wall/ { t = $2 } /Maximum resident/ { r = $2 }
		END { printf "| %s | %s | %.0f |\n", n, t, r / 1024 }' "$tmp/time"
}

echo "$N files in $(((N + 999) / 1000)) dirs, redis-server on loopback, $(nproc) CPUs"
echo
echo "| command | wall (m:ss) | peak RSS (MiB) |"
echo "|---|---|---|"
measure "jfsadm dump" "$JFSADM" dump --quiet "$R/1" "$tmp/jfs.json"
measure "juicefs dump" "$JUICEFS" dump "$R/1" "$tmp/juicefs.json"
measure "jfsadm load" "$JFSADM" load --quiet "$R/2" "$tmp/juicefs.json"
measure "juicefs load" "$JUICEFS" load "$R/3" "$tmp/juicefs.json"
echo; echo "entries dumped: $(grep -c "\"attr\"" "$tmp/jfs.json") (jfsadm), $(grep -c "\"attr\"" "$tmp/juicefs.json") (juicefs); Redis keys after the loads: $(redis-cli -p "$port" -n 2 dbsize) (jfsadm), $(redis-cli -p "$port" -n 3 dbsize) (juicefs)"
