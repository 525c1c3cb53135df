#!/bin/bash
# t-fsck.sh - `jfsadm fsck` and `jfsadm gc` against the real juicefs (the
# oracle), on a private redis-server and a SQLite file, with a file store.
#
# The host cannot mount, so each volume is made by `juicefs load` of a
# small dump (fsck-fixture.py) whose block objects the fixture writes into
# the bucket itself.  On each engine, one fault at a time is planted
# straight into the database or the bucket: a deleted object, a corrupt
# slice record, a wrong dir nlink, wrong dir stats (and usedSpace), a
# leaked object, an orphan chunk list.  Each time jfsadm finds it and
# counts it as juicefs does, its repair (fsck --repair, gc --delete) or
# the fault's undoing fixes it, and then juicefs agrees the volume is
# clean.  Bad input: one line, exit 1; bad usage: exit 2.
#
# usage: tests/cli/t-fsck.sh   (JFSADM=, JUICEFS= override the binaries)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
JFSADM=${JFSADM:-$top/tools/jfsadm}
JUICEFS=${JUICEFS:-/var/cache/jfs-peers/juicefs-1.4.2/juicefs}
NAME=t-fsck
. "$here/cli-lib.sh"

[ -x "$JFSADM" ] || { echo "FAIL t-fsck: no $JFSADM (build it first)"; exit 1; }
[ -x "$JUICEFS" ] || { echo "FAIL t-fsck: no juicefs at $JUICEFS"; exit 1; }
command -v redis-server >/dev/null || { echo "FAIL t-fsck: no redis-server"; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL t-fsck: no sqlite3"; exit 1; }

# gc judges every object, however new (both tools read this)
export JFS_GC_SKIPPEDTIME=0

start_redis || exit 1
cd "$tmp" || exit 1

# juicefs's findings, one per line, as counts jfsadm's can be compared with
jfsck() { "$JUICEFS" fsck "$@" > j.out 2>&1; echo $? > j.rc; }
jgc() { "$JUICEFS" gc "$@" 2>&1 | sed -n 's/.*<INFO>: \(scanned .*\) \[gc@.*/\1/p'; }
agc() { "$JFSADM" gc "$@" 2> a.err | grep '^scanned'; }
count() { grep -c -- "$1" "$2"; }
broken() { grep -E '^ +[0-9]+: /' "$1" | sed 's/ \[fsck.*//; s/^ *//'; }

# make VOLURL SETTINGURL BUCKET: a juicefs-formatted volume holding the fixture
make_volume() {
	"$JUICEFS" format --storage file --bucket "$3" --trash-days 0 "$2" vol1 > fmt.log 2>&1 &&
		"$JUICEFS" dump "$2" empty.json > /dev/null 2>&1 &&
		python3 "$here/fsck-fixture.py" empty.json "$3" > fixture.json &&
		"$JUICEFS" load "$1" fixture.json > /dev/null 2>&1
}

# a 24-byte slice record: id, size (pos 0, off 0, len size)
rec_hex() { printf '00000000%016x%08x00000000%08x' "$1" "$2" "$2"; }

run_engine() {
	E=$1 U=$2 B=$3
	OBJ=$B/vol1/chunks/0/0

	# ---- clean ----
	"$JFSADM" fsck "$U" > a.out 2> a.err
	check "$E: fresh volume: fsck exit 0, quiet" sh -c "test $? -eq 0 && test ! -s a.err"
	check "$E: fresh volume: every block found" grep -q "^Found 4 blocks.*used by 3 slices" a.out
	"$JFSADM" fsck --path / -r --sync-dir-stat "$U" > a.out 2> a.err
	check "$E: fresh volume: the tree is right" test $? -eq 0
	check "$E: fresh volume: gc as juicefs gc" test "$(agc "$U")" = "$(jgc "$U")"
	a=$(agc "$U"); check "$E: fresh volume: nothing leaked" sh -c "echo '$a' | grep -q ' 0 leaked'"

	# ---- a deleted object ----
	mv "$OBJ/3_0_3000" saved
	"$JFSADM" fsck "$U" > a.out 2> a.err
	check "$E: deleted object: fsck exit 1" test $? -eq 1
	check "$E: deleted object: lost block named" \
		grep -q "can't find block 0/0/3_0_3000 for file /d1/d2/f" a.err
	jfsck "$U"
	check "$E: deleted object: as many lost as juicefs" \
		test "$(count "can't find block" a.err)" = "$(count "can't find block" j.out)"
	check "$E: deleted object: the same broken files as juicefs" \
		test "$(broken a.out)" = "$(broken j.out)"
	check "$E: deleted object: same summary as juicefs" \
		test "$(grep 'objects are lost' a.out)" = \
		"$(sed -n 's/.*<FATAL>: \(.*objects are lost.*\)/\1/p' j.out)"
	"$JFSADM" fsck --path /d1 -r "$U" > a.out 2> a.err
	check "$E: deleted object: found by --path -r too" \
		sh -c "test $? -eq 1 && grep -q '3_0_3000' a.err"
	mv saved "$OBJ/3_0_3000"
	"$JFSADM" fsck "$U" > a.out 2> a.err
	check "$E: object back: fsck exit 0" test $? -eq 0
	jfsck "$U"
	check "$E: object back: juicefs fsck clean" test "$(cat j.rc)" = 0

	# ---- a corrupt slice record ----
	corrupt_on
	"$JFSADM" fsck "$U" > a.out 2> a.err
	check "$E: corrupt record: fsck exit 1" test $? -eq 1
	check "$E: corrupt record: reported" grep -q "corrupt value for inode 2 chunk 0" a.err
	jfsck "$U"
	check "$E: corrupt record: juicefs sees it too" \
		test "$(count 'orrupt value' a.err)" = "$(count 'Corrupt value' j.out)"
	corrupt_off
	"$JFSADM" fsck "$U" > a.out 2> a.err
	check "$E: record mended: fsck exit 0, every slice back" \
		sh -c "test $? -eq 0 && grep -q 'used by 3 slices' a.out"

	# ---- a wrong nlink ----
	nlink_set 4 7
	"$JFSADM" fsck --path / -r "$U" > a.out 2> a.err
	check "$E: wrong nlink: exit 1" test $? -eq 1
	check "$E: wrong nlink: reported" grep -q "nlink of /d1 should be 3, but got 7" a.err
	jfsck --path / -r "$U"
	check "$E: wrong nlink: juicefs agrees" sh -c \
		"test \$(cat j.rc) -ne 0 && grep -q 'nlink of /d1 should be 3, but got 7' j.out"
	"$JFSADM" fsck --path /d1 "$U" > a.out 2> a.err
	check "$E: wrong nlink: --path /d1 (not -r) finds it" test $? -eq 1
	"$JFSADM" fsck --path / -r --repair "$U" > a.out 2> a.err
	check "$E: wrong nlink: --repair exit 0" test $? -eq 0
	jfsck --path / -r "$U"
	check "$E: wrong nlink repaired: juicefs fsck clean" test "$(cat j.rc)" = 0
	"$JFSADM" fsck --path / -r "$U" > a.out 2> a.err
	check "$E: wrong nlink repaired: jfsadm fsck clean" test $? -eq 0

	# ---- wrong dir stats and volume counters ----
	used=$(volstat usedSpace) inodes=$(volstat totalInodes)
	dirstat_set 4 999999
	volstat_set 1 1
	"$JFSADM" fsck --path / -r "$U" > a.out 2> a.err
	check "$E: wrong dir stats: unseen without --sync-dir-stat (as juicefs)" test $? -eq 0
	"$JFSADM" fsck --path / -r --sync-dir-stat "$U" > a.out 2> a.err
	check "$E: wrong dir stats: --sync-dir-stat: exit 1" test $? -eq 1
	check "$E: wrong dir stats: reported" grep -q "usage stat of /d1 should be" a.err
	jfsck --path / -r --sync-dir-stat "$U"
	check "$E: wrong dir stats: as many as juicefs" \
		test "$(count 'usage stat of' a.err)" = "$(count 'usage stat of' j.out)"
	"$JFSADM" fsck --path / -r --repair --sync-dir-stat "$U" > a.out 2> a.err
	check "$E: wrong dir stats: repaired" test $? -eq 0
	jfsck --path / -r --sync-dir-stat "$U"
	check "$E: dir stats repaired: juicefs fsck clean" \
		sh -c "test \$(cat j.rc) = 0 && ! grep -q 'usage stat' j.out"
	check "$E: usedSpace and totalInodes recounted as juicefs load made them" \
		test "$(volstat usedSpace) $(volstat totalInodes)" = "$used $inodes"

	# ---- a leaked object ----
	printf 'leak!' > "$OBJ/99_0_5"
	printf 'x' > "$OBJ/1_0_4"	# a size the slice does not have
	a=$(agc "$U")
	j=$(jgc "$U")
	check "$E: leaked objects: gc counts as juicefs gc" test "$a" = "$j"
	check "$E: leaked objects: 2 leaked" sh -c "echo '$a' | grep -q ' 2 leaked (6 bytes)'"
	"$JFSADM" gc "$U" > /dev/null 2>&1
	check "$E: leaked objects: gc without --delete: exit 1, nothing deleted" \
		sh -c "test $? -eq 1 && test -e '$OBJ/99_0_5'"
	"$JFSADM" gc --delete "$U" > a.out 2> a.err
	check "$E: gc --delete: exit 0" test $? -eq 0
	check "$E: gc --delete: the leaked objects went, the others stay" \
		sh -c "test ! -e '$OBJ/99_0_5' && test ! -e '$OBJ/1_0_4' && test -e '$OBJ/1_0_5'"
	check "$E: after gc --delete: juicefs gc finds nothing leaked" \
		sh -c "'$JUICEFS' gc '$U' 2>&1 | grep -q ' 0 leaked'"

	# ---- an orphan chunk list (no inode) and its object ----
	orphan_on
	printf 'abcd' > "$OBJ/77_0_4"
	a=$(agc "$U")
	check "$E: orphan chunk: gc counts as juicefs gc" test "$a" = "$(jgc "$U")"
	check "$E: orphan chunk: reported" grep -q "found leaked chunk c50_0" a.err
	"$JUICEFS" gc "$U" > j.out 2>&1
	# juicefs 1.4 looks for chunk lists of no inode on Redis only (cleanupLeakedChunks)
	[ "$E" = redis ] && check "$E: orphan chunk: juicefs sees it too" grep -q "found leaked chunk .*c50_0" j.out
	"$JFSADM" gc --delete "$U" > a.out 2> a.err
	check "$E: orphan chunk: gc --delete removes it and its object" \
		sh -c "test ! -e '$OBJ/77_0_4' && ! $(orphan_left)"
	"$JUICEFS" gc "$U" > j.out 2>&1
	check "$E: orphan gone: juicefs gc clean" \
		sh -c "! grep -q 'leaked chunk' j.out && grep -q ' 0 leaked' j.out"

	# ---- a compaction's delSlices entry, two days old, on a trash volume ----
	"$JUICEFS" config "$U" --trash-days 1 --yes > /dev/null 2>&1
	delayed_on $(( $(date +%s) - 2 * 86400 ))
	printf 'efgh' > "$OBJ/88_0_4"
	a=$(agc "$U")
	check "$E: delSlices: gc counts as juicefs gc" test "$a" = "$(jgc "$U")"
	check "$E: delSlices: its object counts as compacted" \
		sh -c "echo '$a' | grep -q ' 1 compacted (4 bytes)'"
	a=$("$JFSADM" gc --delete "$U" 2> a.err | grep '^scanned')
	check "$E: delSlices: gc --delete releases the expired entry" \
		sh -c "echo '$a' | grep -q ' 1 delslices (4 bytes)' && test ! -e '$OBJ/88_0_4'"
	check "$E: delSlices released: juicefs gc finds nothing to do" \
		sh -c "'$JUICEFS' gc '$U' 2>&1 | grep -q ' 0 compacted (0 bytes), 0 leaked'"

	# ---- --compact: a chunk of two records becomes one slice ----
	second_on
	printf 'XY' > "$OBJ/60_0_2"
	"$JFSADM" gc --compact "$U" > a.out 2> a.err
	check "$E: gc --compact: one chunk compacted" grep -q "^Compacted 1 chunks" a.out
	check "$E: gc --compact: the chunk is one record now" test "$(records)" = 1
	jfsck "$U"
	check "$E: after --compact: juicefs fsck clean" test "$(cat j.rc)" = 0
	check "$E: after --compact: gc counts as juicefs gc" test "$(agc "$U")" = "$(jgc "$U")"
	jfsck "$U"
	check "$E: at the end: juicefs fsck clean" test "$(cat j.rc)" = 0
}

# ---- Redis ----
R=redis://127.0.0.1:$port
rc() { redis-cli -p "$port" -n 2 "$@"; }
corrupt_on() { rc RPUSH c2_0 "0123456789" > /dev/null; }
corrupt_off() { rc RPOP c2_0 > /dev/null; }
# the attr's nlink is bytes 47..50 of JuiceFS's record
nlink_set() {
	rc --raw GET "i$1" | head -c -1 | python3 -c '
import sys
b = bytearray(sys.stdin.buffer.read()); b[47:51] = int(sys.argv[1]).to_bytes(4, "big")
sys.stdout.buffer.write(b)' "$2" | rc -x SET "i$1" > /dev/null
}
dirstat_set() { rc HSET dirUsedSpace "$1" "$2" > /dev/null; }
volstat() { rc GET "$1"; }
volstat_set() { rc SET usedSpace "$1" > /dev/null; rc SET totalInodes "$2" > /dev/null; }
orphan_on() { rec_hex 77 4 | xxd -r -p | rc -x RPUSH c50_0 > /dev/null; }
# a second record over bytes 1..2 of /small, slice 60
second_on() { printf '00000001%016x%08x00000000%08x' 60 2 2 | xxd -r -p | rc -x RPUSH c2_0 > /dev/null; }
records() { rc LLEN c2_0; }
delayed_on() { printf '%016x%08x' 88 4 | xxd -r -p | rc -x HSET delSlices "90_$1" > /dev/null; }
orphan_left() { echo "test \"\$(redis-cli -p $port -n 2 EXISTS c50_0)\" = 1"; }
make_volume "$R/2" "$R/1" "$tmp/rbucket"
check "redis: the volume (juicefs format + load)" test $? -eq 0
[ -n "${ONLY_SQLITE:-}" ] || run_engine redis "$R/2" "$tmp/rbucket"

# ---- SQLite ----
S=sqlite3://$tmp/s.db
sq() { sqlite3 "$tmp/s.db" "$@"; }
# (|| makes TEXT of a blob: cast back, and cut the blob by bytes)
corrupt_on() {
	sq "UPDATE jfs_chunk SET slices = CAST(slices || x'00112233445566778899' AS BLOB) WHERE inode=2"
}
corrupt_off() { sq "UPDATE jfs_chunk SET slices = substr(CAST(slices AS BLOB), 1, 24) WHERE inode=2"; }
nlink_set() { sq "UPDATE jfs_node SET nlink=$2 WHERE inode=$1"; }
dirstat_set() { sq "UPDATE jfs_dir_stats SET used_space=$2 WHERE inode=$1"; }
volstat() { sq "SELECT value FROM jfs_counter WHERE name='$1'"; }
volstat_set() {
	sq "UPDATE jfs_counter SET value=$1 WHERE name='usedSpace'"
	sq "UPDATE jfs_counter SET value=$2 WHERE name='totalInodes'"
}
orphan_on() {
	sq "INSERT INTO jfs_chunk (inode, indx, slices) VALUES (50, 0, x'$(rec_hex 77 4)')"
	sq "INSERT INTO jfs_chunk_ref (chunkid, size, refs) VALUES (77, 4, 1)"
}
second_on() {
	sq "UPDATE jfs_chunk SET slices = CAST(slices || x'$(printf '00000001%016x%08x00000000%08x' 60 2 2)' AS BLOB) WHERE inode=2"
	sq "INSERT INTO jfs_chunk_ref (chunkid, size, refs) VALUES (60, 2, 1)"
}
records() { sq "SELECT length(CAST(slices AS BLOB)) / 24 FROM jfs_chunk WHERE inode=2"; }
delayed_on() {
	sq "INSERT INTO jfs_delslices (chunkid, deleted, slices) VALUES (90, $1, x'$(printf '%016x%08x' 88 4)')"
	sq "INSERT INTO jfs_chunk_ref (chunkid, size, refs) VALUES (88, 4, 1)"
}
orphan_left() { echo "test \"\$(sqlite3 $tmp/s.db 'SELECT count(*) FROM jfs_chunk WHERE inode=50')\" = 1"; }
make_volume "$S" "sqlite3://$tmp/fmt.db" "$tmp/sbucket"
check "sqlite: the volume (juicefs format + load)" test $? -eq 0
run_engine sqlite "$S" "$tmp/sbucket"

# ---- bad input: one line, exit 1 ----
dead=$(free_port)
for cmd in fsck gc; do
	"$JFSADM" $cmd "redis://127.0.0.1:$dead/1" > out 2> err
	check "$cmd, unreachable redis: exit 1, one line" \
		sh -c "test $? -eq 1 && grep -q '127.0.0.1:$dead' err && test \$(wc -l < err) = 1"
	"$JFSADM" $cmd "$R/9" > out 2> err
	check "$cmd, unformatted database: exit 1, one line" \
		sh -c "test $? -eq 1 && one_line() { :; }; test \$(wc -l < err) = 1 && grep -q 'not formatted' err"
done
"$JFSADM" fsck --path /nope "$R/2" > out 2> err
check "fsck --path missing: exit 1, one line" \
	sh -c "test $? -eq 1 && test \$(wc -l < err) = 1 && grep -q '/nope' err"

# ---- usage: exit 2 ----
"$JFSADM" fsck > out 2> err
check "fsck without META-URL: exit 2" test $? -eq 2
"$JFSADM" fsck --bogus "$R/2" > out 2> err
check "fsck --bogus: exit 2" test $? -eq 2
"$JFSADM" fsck --repair "$R/2" > out 2> err
check "fsck --repair without --path: exit 2" test $? -eq 2
"$JFSADM" fsck --path rel "$R/2" > out 2> err
check "fsck --path relative: exit 2" test $? -eq 2
"$JFSADM" gc --threads 0 "$R/2" > out 2> err
check "gc --threads 0: exit 2" test $? -eq 2
"$JFSADM" gc "$R/2" extra > out 2> err
check "gc with 2 arguments: exit 2" test $? -eq 2
"$JFSADM" fsck --help > out 2> err
check "fsck --help: every option, with defaults" sh -c "test $? -eq 0 && grep -q -- '--sync-dir-stat' out && grep -q -- '--repair' out && grep -q default out"
"$JFSADM" gc --help > out 2> err
check "gc --help: every option, with defaults" sh -c "test $? -eq 0 && grep -q -- '--threads N' out && grep -q 'default: 10' out"
"$JFSADM" gc "$R/2" > out 2> err
check "gc off a terminal: no progress line" test ! -s err

# on a terminal (script(1) gives one): the progress line, unless --quiet
script -qec "'$JFSADM' fsck '$R/2'" /dev/null > tty.out 2>&1
check "fsck on a terminal: a progress line with a rate" grep -q 'Scanned slices: [0-9]* [0-9.]*/s' tty.out
script -qec "'$JFSADM' fsck -q '$R/2'" /dev/null > tty.out 2>&1
check "fsck --quiet on a terminal: no progress line" sh -c "! grep -q 'Scanned slices' tty.out"

echo "t-fsck: $fails failed"
[ "$fails" -eq 0 ]
