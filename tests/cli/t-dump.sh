#!/bin/sh
# t-dump.sh - `jfsadm dump` and `jfsadm load` against the real juicefs
# (the oracle), on a private redis-server and SQLite files.
#
# The host cannot mount, so the volume is populated by `juicefs load` of
# a hand-written dump (dump-fixture.py: hard links, a symlink, a fifo, a
# char device, a socket, xattrs, ACLs, a sparse file, a 130 MiB file over
# three chunks, a shared slice, escaped names, the trash, a delfile, a dir
# quota), plus a sustained inode written straight into Redis.  Then:
# jfsadm's dump equals juicefs's (as JSON and byte for byte) on both
# engines and with every option; each tool loads the other's dump into a
# database equal to what juicefs load makes; Redis -> SQLite -> Redis
# through pipes gives the same dump; bad input fails with one line and
# writes nothing.
#
# usage: tests/cli/t-dump.sh   (JFSADM=, JUICEFS= override the binaries)
# Prints "PASS title" / "FAIL title" lines and exits non-zero on a failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
JFSADM=${JFSADM:-$top/tools/jfsadm}
JUICEFS=${JUICEFS:-/var/cache/jfs-peers/juicefs-1.4.2/juicefs}
NAME=t-dump
. "$here/cli-lib.sh"

# jsoneq A B [KEY...]: the two files hold the same JSON document, once
# the top-level KEYs are dropped from both; Sustained's inode lists are
# sets (juicefs reads them with SMEMBERS)
jsoneq() {
	python3 - "$@" <<'PY'
import json, sys
def norm(path, drop):
    d = json.load(open(path))
    for k in drop:
        d.pop(k, None)
    for s in d.get("Sustained", []):
        s["inodes"] = sorted(s["inodes"])
    return d
a, b = norm(sys.argv[1], sys.argv[3:]), norm(sys.argv[2], sys.argv[3:])
if a != b:
    sys.stderr.write("differ: %s %s\n" % (sys.argv[1], sys.argv[2]))
    sys.exit(1)
PY
}


snap() { python3 "$here/db-snapshot.py" "$@"; }
jdump() { "$JUICEFS" dump "$@" > /dev/null 2>&1; }
jload() { "$JUICEFS" load "$@" > /dev/null 2>&1; }
dbsize() { redis-cli -p "$port" -n "$1" DBSIZE; }

[ -x "$JFSADM" ] || { echo "FAIL t-dump: no $JFSADM (build it first)"; exit 1; }
[ -x "$JUICEFS" ] || { echo "FAIL t-dump: no juicefs at $JUICEFS"; exit 1; }
command -v redis-server >/dev/null || { echo "FAIL t-dump: no redis-server"; exit 1; }

start_redis || exit 1
R=redis://127.0.0.1:$port
cd "$tmp" || exit 1

# ---- the volume: juicefs format (for its Setting), then juicefs load ----
"$JUICEFS" format --storage file --bucket "$tmp/bucket" --trash-days 1 --enable-acl \
	--access-key AK --secret-key topsecret "$R/1" vol1 > format.log 2>&1
check "juicefs format" test $? -eq 0
jdump "$R/1" empty.json
python3 "$here/dump-fixture.py" empty.json > fixture.json
jload "$R/2" fixture.json
check "juicefs load of the fixture (redis)" test $? -eq 0
# a session keeping an unlinked inode open (juicefs load drops Sustained)
redis-cli -p "$port" -n 2 ZADD allSessions 4102444800 7 > /dev/null
redis-cli -p "$port" -n 2 SADD session7 16 17 > /dev/null
jload "sqlite3://$tmp/s1.db" fixture.json
check "juicefs load of the fixture (sqlite)" test $? -eq 0

# ---- dump: jfsadm's equals juicefs's ----
jdump "$R/2" ref.json
"$JFSADM" dump "$R/2" out.json 2> err
check "dump redis: exit 0, quiet" sh -c "test $? -eq 0 && test ! -s err"
check "dump redis: same JSON as juicefs" jsoneq ref.json out.json
check "dump redis: same bytes as juicefs" cmp -s ref.json out.json
check "dump redis: the fixture's features are there" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); e = d["FSTree"]["entries"]
assert d["Setting"]["SecretKey"] == "removed"
assert d["Sustained"][0]["sid"] == 7 and d["DelFiles"][0]["inode"] == 15 and d["Quotas"]
assert e["a"]["attr"]["nlink"] == 2 and e["dir"]["entries"]["hl"]["attr"]["inode"] == 2
assert len(e["big"]["chunks"]) == 3 and e["ln"]["symlink"] == "a"
assert e["acl"]["posix_acl_access"]["users"][0]["id"] == 1001
assert e["dir"]["posix_acl_default"]["groups"][0]["id"] == 50
assert "we%25ird%20name%22%5C%0A<&>\u00e9%FF" in e
assert d["Trash"]["entries"]["2026-12-06-12"]["entries"]["1-14-gone"]
' out.json
"$JFSADM" dump "$R/2" > stdout.json
check "dump to stdout (no FILE)" cmp -s ref.json stdout.json
"$JFSADM" dump "$R/2" - > stdout2.json
check "dump to stdout (-)" cmp -s ref.json stdout2.json

jdump "sqlite3://$tmp/s1.db" sref.json
"$JFSADM" dump "sqlite3://$tmp/s1.db" sout.json
check "dump sqlite: same bytes as juicefs" cmp -s sref.json sout.json

jdump --skip-trash "$R/2" ref-st.json
"$JFSADM" dump --skip-trash "$R/2" out-st.json
check "dump --skip-trash: as juicefs" cmp -s ref-st.json out-st.json
jdump --subdir /dir "$R/2" ref-sub.json
"$JFSADM" dump --subdir /dir "$R/2" out-sub.json
check "dump --subdir /dir: as juicefs" cmp -s ref-sub.json out-sub.json
jdump --keep-secret-key "$R/1" ref-ks.json
"$JFSADM" dump --keep-secret-key "$R/1" out-ks.json
check "dump --keep-secret-key: as juicefs" cmp -s ref-ks.json out-ks.json
check "dump --keep-secret-key: the sealed key is kept" sh -c "! grep -q '\"removed\"' out-ks.json"
jdump "$R/1" ref-1.json
"$JFSADM" dump "$R/1" out-1.json
check "dump of a fresh volume: as juicefs, secret removed" \
	sh -c "cmp -s ref-1.json out-1.json && grep -q '\"SecretKey\": \"removed\"' out-1.json"
"$JFSADM" dump "$R/2" out.json.gz && gzip -dc out.json.gz > gz.json
check "dump .gz: gzip of the same JSON" cmp -s ref.json gz.json
"$JFSADM" dump "$R/2" out.json.zstd && zstd -qdc out.json.zstd > zs.json
check "dump .zstd: zstd of the same JSON" cmp -s ref.json zs.json
jload "$R/3" out.json.gz && jdump "$R/3" back3.json
check "jfsadm dump .gz -> juicefs load -> juicefs dump: same" jsoneq ref.json back3.json Sustained

# ---- load: jfsadm's database equals juicefs load's ----
jload "$R/4" ref.json
"$JFSADM" load "$R/5" ref.json 2> err
check "load redis: exit 0" test $? -eq 0
check "load redis: one line on stderr" one_line err "loaded 16 inodes (15 entries)"
snap redis "$port" 4 > db4.txt
snap redis "$port" 5 > db5.txt
check "load redis: every key as juicefs load writes it" cmp -s db4.txt db5.txt
jdump "$R/5" back5.json
check "juicefs dump -> jfsadm load -> juicefs dump: same (no Sustained)" \
	jsoneq ref.json back5.json Sustained

jload "sqlite3://$tmp/j2.db" ref.json
"$JFSADM" load "sqlite3://$tmp/s2.db" ref.json 2> err
check "load sqlite: exit 0" test $? -eq 0
snap sqlite j2.db > dbj2.txt
snap sqlite s2.db > dbs2.txt
check "load sqlite: every row as juicefs load writes it" cmp -s dbj2.txt dbs2.txt
jdump "sqlite3://$tmp/s2.db" back-s2.json
check "load sqlite: juicefs dump of it equals the original's" jsoneq sref.json back-s2.json

"$JFSADM" load "$R/6" out.json.zstd 2> err
check "load a zstd dump (told by its magic)" test $? -eq 0
jdump "$R/6" back6.json
check "load zstd: same dump" jsoneq ref.json back6.json Sustained
gzip -c ref.json | "$JFSADM" load "$R/7" 2> err
check "load a gzip dump from stdin (no FILE)" test $? -eq 0

# fsck reads the objects too, and a fixture has none: it must find nothing
# else wrong, and miss the same blocks as on juicefs load's database.
# (It needs the secret key, which a dump removes.)
fsck_report() {
	"$JUICEFS" config "$1" --secret-key x --yes > /dev/null 2>&1
	"$JUICEFS" fsck "$1" 2>&1 | grep '<ERROR>' |
		sed -n "s/.*can't find block \([^ ]*\) for file.*/missing \1/p; /can't find block/!s/.*<ERROR>: /other: /p" | sort
}
fsck_report "$R/4" > fsck4.txt
fsck_report "$R/5" > fsck5.txt
check "juicefs fsck after jfsadm load: only the absent objects" \
	sh -c "! grep -q '^other' fsck5.txt && grep -q '^missing' fsck5.txt"
check "juicefs fsck after jfsadm load: as after juicefs load" cmp -s fsck4.txt fsck5.txt

# ---- Redis -> SQLite -> Redis through pipes ----
"$JFSADM" dump "$R/2" - | "$JFSADM" load "sqlite3://$tmp/p.db" - 2> err
check "pipe redis -> sqlite" test $? -eq 0
"$JFSADM" dump "sqlite3://$tmp/p.db" - | "$JFSADM" load "$R/8" - 2> err
check "pipe sqlite -> redis" test $? -eq 0
"$JFSADM" dump "$R/8" back8.json
check "redis -> sqlite -> redis: the same dump" jsoneq ref.json back8.json Sustained

# ---- bad input: one line, exit 1, nothing written ----
"$JFSADM" load "$R/9" "$tmp/nope.json" > out 2> err
check "missing file: exit 1" test $? -eq 1
check "missing file: one line" one_line err "nope.json"
check "missing file: nothing written" test "$(dbsize 9)" = 0

head -c 3000 ref.json > trunc.json
"$JFSADM" load "$R/9" trunc.json > out 2> err
check "truncated dump: exit 1" test $? -eq 1
check "truncated dump: one line" one_line err "truncated"
check "truncated dump: database empty again" test "$(dbsize 9)" = 0
"$JFSADM" load "sqlite3://$tmp/t.db" trunc.json > out 2> err
check "truncated dump, sqlite: exit 1" test $? -eq 1
check "truncated dump, sqlite: no rows left" test -z "$(snap sqlite t.db 2>/dev/null)"
# a dump that breaks after some batches were written: the load undoes them
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for i in range(3000):
    d["FSTree"]["entries"]["f%04d" % i] = {"attr": {"inode": 1000 + i, "type": "regular",
        "mode": 420, "uid": 0, "gid": 0, "atime": 1, "mtime": 1, "ctime": 1, "nlink": 1,
        "length": 0}}
json.dump(d, open(sys.argv[2], "w"), indent=1)
' ref.json many.json
head -c $(($(wc -c < many.json) * 3 / 4)) many.json > many-trunc.json
"$JFSADM" load "$R/9" many-trunc.json > out 2> err
check "dump truncated after batches: exit 1, one line" one_line err "truncated"
check "dump truncated after batches: database empty again" test "$(dbsize 9)" = 0
"$JFSADM" load "sqlite3://$tmp/t2.db" many-trunc.json > out 2> err
check "dump truncated after batches, sqlite: no rows left" test -z "$(snap sqlite t2.db 2>/dev/null)"
"$JFSADM" load "$R/10" many.json > out 2> err
check "the same dump whole: loads" one_line err "loaded 3016 inodes"
jdump "$R/10" many-ref.json
"$JFSADM" dump "$R/10" many-out.json
check "a 3000-entry dir, loaded in batches: dumps as juicefs dumps it" cmp -s many-ref.json many-out.json
check "... and as the dump it was loaded from (counters recomputed)" jsoneq many.json many-out.json Sustained Counters
head -c 3000 ref.json | gzip > trunc.gz
"$JFSADM" load "$R/9" trunc.gz > out 2> err
check "truncated gzip dump: exit 1, one line" one_line err "truncated"

printf 'hello world\n' > notjson.txt
"$JFSADM" load "$R/9" notjson.txt > out 2> err
check "not JSON: exit 1" test $? -eq 1
check "not JSON: one line" one_line err "not a juicefs dump"
echo '{"Name": "x", "Other": 1}' > nosetting.json
"$JFSADM" load "$R/9" nosetting.json > out 2> err
check "JSON without Setting: exit 1" test $? -eq 1
check "JSON without Setting: one line" one_line err "not a juicefs dump"
check "bad dumps: nothing written" test "$(dbsize 9)" = 0

snap redis "$port" 2 > before.txt
"$JFSADM" load "$R/2" ref.json > out 2> err
check "non-empty database: exit 1" test $? -eq 1
check "non-empty database: one line" one_line err "is not empty"
snap redis "$port" 2 > after.txt
check "non-empty database: untouched" cmp -s before.txt after.txt
"$JFSADM" load "sqlite3://$tmp/s1.db" ref.json > out 2> err
check "non-empty sqlite: exit 1, one line" one_line err "is not empty"

dead=$(free_port)
"$JFSADM" dump "redis://127.0.0.1:$dead/1" dead.json > out 2> err
check "dump, unreachable redis: exit 1" test $? -eq 1
check "dump, unreachable redis: one line" one_line err "127.0.0.1:$dead"
check "dump, unreachable redis: no file" test ! -e dead.json
"$JFSADM" load "redis://127.0.0.1:$dead/1" ref.json > out 2> err
check "load, unreachable redis: exit 1" test $? -eq 1
check "load, unreachable redis: one line" one_line err "127.0.0.1:$dead"
"$JFSADM" dump "$R/9" unformatted.json > out 2> err
check "dump of an empty database: exit 1, one line" one_line err "not formatted"
check "dump of an empty database: no file" test ! -e unformatted.json
"$JFSADM" dump --subdir /nope "$R/2" sub.json > out 2> err
check "dump --subdir missing: exit 1, one line" one_line err "/nope"

# ---- progress: a line on a terminal (script(1) gives one), none with --quiet ----
"$JFSADM" dump "$R/2" tty.json 2> err
check "dump off a terminal: no progress line" test ! -s err
"$JFSADM" load "$R/11" ref.json 2> err
check "load off a terminal: no progress line, the summary only" sh -c \
	"grep -q 'jfsadm: loaded' err && test \$(wc -l < err) -eq 1"
redis-cli -p "$port" -n 11 FLUSHDB > /dev/null
script -qec "'$JFSADM' dump '$R/2' tty.json" /dev/null > tty.out 2>&1
check "dump on a terminal: a progress line with a count and a rate" \
	grep -q 'Dumped entries: [1-9][0-9]* [0-9.]*/s' tty.out
script -qec "'$JFSADM' dump --quiet '$R/2' tty.json" /dev/null > tty.out 2>&1
check "dump --quiet on a terminal: no progress line" sh -c "! grep -q 'Dumped entries' tty.out"
script -qec "'$JFSADM' load '$R/11' ref.json" /dev/null > tty.out 2>&1
check "load on a terminal: a progress line with a count and a rate" \
	grep -q 'Loaded entries: [1-9][0-9]* [0-9.]*/s' tty.out
redis-cli -p "$port" -n 11 FLUSHDB > /dev/null
script -qec "'$JFSADM' load -q '$R/11' ref.json" /dev/null > tty.out 2>&1
check "load -q on a terminal: no progress line, the summary only" sh -c \
	"! grep -q 'Loaded entries' tty.out && grep -q 'jfsadm: loaded' tty.out"
redis-cli -p "$port" -n 11 FLUSHDB > /dev/null

# ---- usage ----
"$JFSADM" dump > out 2> err
check "dump without META-URL: exit 2" test $? -eq 2
"$JFSADM" load --bogus "$R/9" > out 2> err
check "load --bogus: exit 2" test $? -eq 2
"$JFSADM" dump a b c > out 2> err
check "dump with 3 arguments: exit 2" test $? -eq 2
"$JFSADM" dump --help > out 2> err
check "dump --help: exit 0, options with defaults" sh -c \
	"test $? -eq 0 && grep -q -- '--subdir' out && grep -q -- '--skip-trash' out && grep -q -- '--quiet' out && grep -q default out"
"$JFSADM" load --help > out 2> err
check "load --help: exit 0, lists --quiet" sh -c \
	"test $? -eq 0 && grep -q 'usage: jfsadm load' out && grep -q -- '--quiet' out"

echo "t-dump: $fails failed"
[ "$fails" -eq 0 ]
