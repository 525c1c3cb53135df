#!/bin/bash
# Runs inside the test VM: the real `juicefs` client (tests/peers/env.sh) on
# its own, to show the peer works in the guest and to pin down the output
# the interop suite parses.
#
#   tests/vm/run.sh -t 900 -o /tmp/peer-smoke -- tests/peers/smoke.sh
#
# Redis (db 5) + MinIO (bucket jfssmoke) on loopback; `juicefs format`,
# `juicefs mount -d` (FUSE), a write/read through it, `juicefs umount`; then
# `juicefs fsck` (whole volume and --path / -r) and `juicefs gc` (no
# --delete) on a clean volume, after an object is planted (gc: 1 leaked) and
# after one is deleted (fsck: 1 lost, exit 1). Every juicefs output goes to
# /vmout/juicefs-smoke.log; wall times to /vmout/timing.log and stdout.
# Skips (exit 0, one SKIP line) only when the juicefs binary is missing.
set -u
cd "$(dirname "$0")/../.." || exit 1
# its own bucket, so gc sees only this volume's objects
export JFS_IT_S3_URL=http://127.0.0.1:${JFS_IT_S3_PORT:-9000}/jfssmoke
. tests/lib.sh
. tests/it/env.sh
. tests/peers/env.sh

[[ ${JFS_VM:-} == 1 ]] || { echo "smoke.sh: runs inside the test VM only" >&2; exit 2; }

T_NAME=peer-smoke
META=redis://127.0.0.1:$JFS_IT_REDIS_PORT/5
VOL=pvol
MNT=/mnt/jv
LOG=/vmout/juicefs-smoke.log

if ! juicefs_available; then
	echo "SKIP peer-smoke: the juicefs peer is not installed (tests/peers/install-juicefs.sh)"
	exit 0
fi

# jrun OUTVAR RCVAR ARGS...: runs juicefs (no colours, 300 s limit), output
# (stdout+stderr) into OUTVAR, exit status into RCVAR, both logged
jrun() {
	local -n _out=$1 _rc=$2
	shift 2
	_rc=0
	echo "=== $(date +%T.%N | cut -c1-12) starting juicefs $*" >>"$LOG"
	_out=$(timeout -k 10 300 "$JFS_JUICEFS" --no-color "$@" 2>&1) || _rc=$?
	printf '=== juicefs %s (exit %d)\n%s\n' "$*" "$_rc" "$_out" >>"$LOG"
}

# timed WHAT CMD...: runs CMD, prints and logs its wall time
timed() {
	local _what=$1 _t0 _rc=0	# not "rc": CMD may set the caller's
	shift
	_t0=$(now_ms)
	"$@" || _rc=$?
	printf '%-28s %6.1f s\n' "$_what" "$((($(now_ms) - _t0) / 100))e-1" | tee -a /vmout/timing.log
	return $_rc
}

# s3 METHOD KEY [FILE]: one signed request to the bucket
s3() {
	local m=$1 key=$2 f=${3:-}
	curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u "$JFS_IT_S3_USER:$JFS_IT_S3_PASS" \
		-X "$m" ${f:+-T "$f"} "$JFS_IT_S3_URL/$key"
}

# gc_field NAME OUTPUT: the count before NAME in gc's summary line
# ("scanned N objects, N valid, ..., N leaked (B bytes), ..., N skipped (B bytes)")
gc_field() {
	grep -o 'scanned [0-9]* objects.*' <<<"$2" | tail -n1 | grep -oE "[0-9]+ $1" | cut -d' ' -f1
}

juicefs_mount() {
	mkdir -p "$MNT"
	echo "=== $(date +%T.%N | cut -c1-12) starting juicefs mount" >>"$LOG"
	"$JFS_JUICEFS" --no-color mount -d --no-usage-report --no-syslog --backup-meta 0 \
		--cache-dir /tmp/jvcache --log /vmout/juicefs-mount.log "$META" "$MNT" >>"$LOG" 2>&1
}

teardown() {
	t_begin "peer-smoke teardown"
	if mountpoint -q "$MNT"; then
		"$JFS_JUICEFS" umount "$MNT" >>"$LOG" 2>&1 || umount -l "$MNT"
	fi
	stop_minio -TERM
	redis-cli -p "$JFS_IT_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

t_begin "peer-smoke setup"
out='' rc=0
timed "juicefs version (cold)" jrun out rc version
echo "peer: $out"
expect_eq "juicefs version" "juicefs version 1.4.2" "${out%%+*}"
expect_ok "redis-server" -- start_redis "$JFS_IT_REDIS_PORT"
expect_ok "MinIO" -- timed "MinIO start" start_minio
((T_FAILED == 0)) || { teardown; t_summary; exit 1; }
timed "juicefs format" jrun out rc format --storage minio --bucket "$JFS_IT_S3_URL" \
	--access-key "$JFS_IT_S3_USER" --secret-key "$JFS_IT_S3_PASS" "$META" "$VOL"
expect_eq "juicefs format: exit 0" 0 "$rc"

t_begin "peer-smoke mount"
echo "before modprobe: /dev/fuse $(stat -c '%F %t:%T' /dev/fuse 2>&1);" \
	"fuse in /proc/filesystems: $(grep -cw fuse /proc/filesystems)"
expect_ok "modprobe fuse" -- modprobe fuse
echo "after modprobe: /dev/fuse $(stat -c '%F %t:%T' /dev/fuse 2>&1);" \
	"fusermount3: $(command -v fusermount3 || echo none); fusermount: $(command -v fusermount || echo none)"
expect_ok "/dev/fuse is a character device (devtmpfs made it)" -- test -c /dev/fuse
expect_ok "juicefs mount -d" -- timed "juicefs mount -d" juicefs_mount
((T_OK)) || { teardown; t_summary; exit 1; }
expect_eq "mounted as fuse.juicefs" fuse.juicefs "$(findmnt -no FSTYPE "$MNT")"
echo "mount options: $(findmnt -no OPTIONS "$MNT")"
echo "memory while mounted: $(free -m | awk '$1 == "Mem:" { print $3 " MiB used, " $7 " MiB available" }');" \
	"RSS (KiB): $(ps -o rss=,comm= -C juicefs,minio,redis-server | awk '{ printf "%s %s ", $2, $1 }')"

ok "write a small and a 5 MB file" -- eval "mkdir -p $MNT/smoke && printf 'hello peer\n' >$MNT/smoke/small &&
	head -c 5000000 /dev/urandom >/tmp/big && cp /tmp/big $MNT/smoke/big && printf lost >$MNT/lost && sync"
expect_eq "read the small file back" "hello peer" "$(cat $MNT/smoke/small)"
expect_eq "read the big file back" "$(sha /tmp/big)" "$(sha $MNT/smoke/big)"
expect_ok "juicefs umount" -- timed "juicefs umount" "$JFS_JUICEFS" umount "$MNT"
! mountpoint -q "$MNT"
check "nothing mounted at $MNT"

t_begin "peer-smoke fsck and gc, clean volume"
timed "juicefs fsck" jrun out rc fsck "$META"
echo "$out"
expect_eq "fsck: exit 0" 0 "$rc"
expect_eq "fsck: no lost objects" 0 "$(grep -c 'lost' <<<"$out")"
timed "juicefs fsck --path / -r" jrun out rc fsck "$META" --path / -r
echo "$out"
expect_eq "fsck --path / -r: exit 0" 0 "$rc"
timed "juicefs gc" jrun out rc gc "$META"
echo "$out"
expect_eq "gc: exit 0" 0 "$rc"
n=$(gc_field skipped "$out")
((n > 0))
check "gc: objects newer than 1 hour are skipped by default ($n skipped)" "$n skipped"
JFS_GC_SKIPPEDTIME=0 timed "JFS_GC_SKIPPEDTIME=0 juicefs gc" jrun out rc gc "$META"
echo "$out"
expect_eq "gc (JFS_GC_SKIPPEDTIME=0): exit 0" 0 "$rc"
expect_eq "gc (JFS_GC_SKIPPEDTIME=0): 0 leaked, 0 skipped" "0 0" \
	"$(gc_field leaked "$out") $(gc_field skipped "$out")"

t_begin "peer-smoke gc finds a planted object"
printf 'leak!' >/tmp/leak
# chunks/{id/1000000}/{id/1000}/{id}_{block index}_{block size}: a slice id
# no file uses
ok "plant $VOL/chunks/0/999/999999_0_5" -- s3 PUT "$VOL/chunks/0/999/999999_0_5" /tmp/leak
JFS_GC_SKIPPEDTIME=0 jrun out rc gc "$META"
echo "$out"
expect_eq "gc: exit 0 (leaks are not an error without --delete)" 0 "$rc"
expect_eq "gc: 1 leaked (5 bytes)" "1 leaked (5 bytes)" \
	"$(grep -o 'scanned [0-9]* objects.*' <<<"$out" | grep -oE '[0-9]+ leaked \([0-9]+ bytes\)')"
expect_eq "gc: asks for --delete" 1 \
	"$(grep -cF "Please add \`--delete\` to clean leaked objects" <<<"$out")"
jrun out rc fsck "$META"
expect_eq "fsck does not mind an unused object" 0 "$rc"

t_begin "peer-smoke fsck finds a lost object"
lost=$(python3 tests/it/s3check.py list "$VOL/chunks/" | awk '$2 == 4 { print $1 }')
expect_eq "one 4-byte object (/lost)" 1 "$(grep -c . <<<"$lost")"
ok "delete $lost" -- s3 DELETE "$lost"
jrun out rc fsck "$META"
echo "$out"
expect_eq "fsck: exit 1" 1 "$rc"
expect_eq "fsck: 1 objects are lost, 1 broken file" 1 \
	"$(grep -c '1 objects are lost (4 bytes), 1 broken files:' <<<"$out")"
expect_eq "fsck: names the broken file" 1 "$(grep -cE '^ +[0-9]+: /lost( |$)' <<<"$out")"
jrun out rc fsck "$META" --path / -r
echo "$out"
expect_eq "fsck --path / -r: exit 1" 1 "$rc"
expect_eq "fsck --path / -r: 1 objects are lost" 1 "$(grep -c '1 objects are lost' <<<"$out")"

t_begin "peer-smoke tools"
jrun out rc rmr --help
expect_eq "juicefs rmr exists" 0 "$rc"
jrun out rc restore --help
expect_eq "juicefs restore exists" 0 "$rc"
jrun out rc mount --help
grep -E -- '--(attr|entry|dir-entry|negative-entry|open)-cache ' <<<"$out"
expect_eq "mount cache timeouts default to 1 s (attr, entry, dir-entry), open cache off" \
	'"1.0s" "1.0s" "1.0s" "0s"' \
	"$(for o in attr entry dir-entry open; do grep -E -- "--$o-cache " <<<"$out" |
		grep -oE '\(default: "[^"]*"\)' | grep -oE '"[^"]*"'; done | tr '\n' ' ' | sed 's/ $//')"

teardown
t_summary
