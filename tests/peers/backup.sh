#!/bin/bash
# Runs inside the test VM: jfsd's automatic metadata backup (--backup-meta)
# next to the real `juicefs` client's, on one volume (Redis, file store).
#
#   JFS_VM_MEM=4096 tests/vm/run.sh -t 900 -o /tmp/out -- tests/peers/backup.sh
#
# Both clients are given a 20 s interval through juicefs's own test knob
# SKIP_BACKUP_META_CHECK=true (their minimum is 5 minutes).
# 1. jfs alone: exactly one backup per interval (4 in 75 s, 20-25 s apart),
#    named as juicefs names them, lastBackup stamped; the rotation deletes
#    a seeded backup older than 2 years and keeps a foreign object.
# 2. juicefs alone until it made a backup, then jfs and juicefs together
#    for 3 intervals, then jfs alone: never two backups in one interval,
#    every one made by exactly one of the two clients, both made some.
# 3. A backup jfsd made loads with `jfsadm load` and with `juicefs load`
#    into empty databases, and both hold the tree of the backup.
# Skips (exit 0, one SKIP line) only when the juicefs binary is missing.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh
. tests/peers/env.sh

[[ ${JFS_VM:-} == 1 ]] || { echo "backup.sh: runs inside the test VM only" >&2; exit 2; }

T_NAME=backup
DB=14
URL=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$DB
BUCKET=/tmp/bk-bucket
VOL=bvol
META=$BUCKET/$VOL/meta
J=/mnt/b-jfs
F=/mnt/b-juicefs
I=20
export SKIP_BACKUP_META_CHECK=true
# jfsd itself makes no backups (env.sh: --backup-meta 0): the mount option asks
export JFS_IT_JFSD_ARGS="--cache-dir /tmp/jfscache --cache-size 1024"

if ! juicefs_available; then
	echo "SKIP backup: the juicefs peer is not installed (tests/peers/install-juicefs.sh)"
	exit 0
fi

bcli() { redis-cli -p "$JFS_IT_REDIS_PORT" -n "$DB" "$@"; }

# the backups in the bucket, oldest first
backups() { (cd "$META" && ls dump-*.json.gz 2>/dev/null | LC_ALL=C sort); }

# epoch seconds of dump-YYYY-MM-DD-HHMMSS.json.gz
name_secs() {
	local s=${1#dump-}
	date -u -d "${s:0:10} ${s:11:2}:${s:13:2}:${s:15:2}" +%s
}

# gaps NAME...: the seconds between consecutive backups, space-separated
gaps() {
	local prev='' n t out=''
	for n in "$@"; do
		t=$(name_secs "$n")
		[[ -n $prev ]] && out+="$((t - prev)) "
		prev=$t
	done
	echo "$out"
}

# every gap in [lo, hi]
gaps_within() { # LO HI GAPS
	local g
	for g in $3; do
		((g >= $1 && g <= $2)) || return 1
	done
}

juicefs_umount() {
	mountpoint -q "$F" || return 0
	jc umount "$F" >>/vmout/juicefs.log 2>&1 || umount -l "$F"
}

teardown() {
	t_begin "backup teardown"
	juicefs_umount
	expect_ok "unmount jfs" -- umount_vol "$J"
	expect_ok "jfsd stops" -- stop_jfsd
	grep -qw jfsk /proc/modules && expect_ok "rmmod jfsk" -- rmmod jfsk
	redis-cli -p "$JFS_IT_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

t_begin "backup setup"
expect_ok "redis-server" -- start_redis "$JFS_IT_REDIS_PORT"
expect_ok "modprobe fuse" -- modprobe fuse
expect_ok "insmod jfsk" -- insmod "$JFSK"
expect_ok "jfsd --backup-meta 0" -- start_jfsd
ok "juicefs format --storage file $URL $VOL" -- eval \
	'jc format --storage file --bucket "$BUCKET" "$URL" "$VOL" >>/vmout/juicefs.log 2>&1'
((T_OK)) || { teardown; t_summary; exit 1; }
mkdir -p "$META"
old=dump-$(date -u -d '3 years ago' +%Y-%m-%d-%H%M%S).json.gz
: >"$META/$old"
: >"$META/notes.txt"

t_begin "backup: jfs alone, one per interval"
expect_err "a bad backup-meta: the mount fails" "" -- mount_vol "$J" backup-meta=2x "$URL"
expect_ok "jfsd said why (kernel log)" -- sh -c "dmesg | grep -qF \"backup-meta takes a duration (1h, 30m, 3600), not '2x'\""
expect_ok "mount -t jfs -o backup-meta=${I}s" -- mount_vol "$J" "backup-meta=${I}s" "$URL"
expect_ok "/proc/mounts shows backup-meta=${I}s" -- grep -q "backup-meta=${I}s" /proc/mounts
mkdir -p $J/d/sub
printf 'hello\n' >$J/d/hello
seq 1 50000 >$J/d/sub/seq
ln -s hello $J/d/sl
ln $J/d/hello $J/d/hl
sleep 75
expect_ok "umount jfs (stops the backup thread)" -- umount_vol "$J"
mapfile -t p1 < <(backups)
expect_eq "4 backups in 75 s at a 20 s interval" 4 "${#p1[@]}"
g=$(gaps "${p1[@]}")
echo "phase 1: ${p1[*]} (gaps $g)"
expect_ok "each $I-25 s after the one before ($g)" -- gaps_within "$I" 25 "$g"
last=${p1[${#p1[@]} - 1]}
expect_eq "lastBackup is the newest backup's time (RFC 3339, UTC)" \
	"$(date -u -d "@$(name_secs "$last")" +%Y-%m-%dT%H:%M:%SZ)" "$(bcli hget x1 lastBackup)"
expect_eq "jfsd logged each backup" 4 "$(grep -c "metadata backup $VOL/meta/dump-" "$JFS_IT_JFSD_LOG")"
ok "the backups are gzip" -- gzip -t "${p1[@]/#/$META/}"
ok "the rotation deleted the backup older than 2 years" -- test ! -e "$META/$old"
ok "and kept an object that is no backup" -- test -e "$META/notes.txt"

t_begin "backup: jfs and juicefs together, still one per interval"
# juicefs first, until it made one: its thread runs and its stamps count
mkdir -p "$F" /tmp/jjcache-b
ok "juicefs mount --backup-meta ${I}s" -- eval 'jc mount -d --no-usage-report --no-syslog \
	--backup-meta ${I}s --cache-dir /tmp/jjcache-b --log /vmout/juicefs-mount.log \
	"$URL" "$F" >>/vmout/juicefs.log 2>&1 || { sleep 20; mountpoint -q "$F"; }'
ok "juicefs makes a backup" -- eval 'for ((i = 0; i < 45; i++)); do
	grep -q "backup metadata succeed" /vmout/juicefs-mount.log && break; sleep 1; done
	grep -q "backup metadata succeed" /vmout/juicefs-mount.log'
# then both for 3 intervals, then jfs alone again for one
expect_ok "mount -t jfs again" -- mount_vol "$J" "backup-meta=${I}s" "$URL"
sleep 60
juicefs_umount
sleep 25
expect_ok "umount jfs" -- umount_vol "$J"
mapfile -t all < <(backups)
p2=("${all[@]:${#p1[@]}}")
g=$(gaps "$last" "${p2[@]}")
echo "phase 2: ${p2[*]} (gaps $g)"
expect_ok "at least 4 more backups" -- test "${#p2[@]}" -ge 4
expect_ok "never two in one interval: every gap >= $I s ($g)" -- gaps_within "$I" 60 "$g"
byjfs=0 byjuicefs=0 both=0
for n in "${p2[@]}"; do
	a=$(grep -c "metadata backup $VOL/meta/$n" "$JFS_IT_JFSD_LOG")
	b=$(grep -c "backup metadata succeed.*meta/$n" /vmout/juicefs-mount.log)
	((byjfs += a, byjuicefs += b))
	((a && b)) && both=$((both + 1))
done
echo "phase 2: $byjfs by jfs, $byjuicefs by juicefs"
expect_eq "each made by exactly one client" "${#p2[@]} 0" "$((byjfs + byjuicefs)) $both"
expect_ok "juicefs made some ($byjuicefs) and jfs too ($byjfs)" -- \
	test "$byjuicefs" -ge 1 -a "$byjfs" -ge 1

t_begin "backup: a jfsd backup restores with jfsadm load and juicefs load"
mine=''
for n in "${all[@]}"; do
	grep -q "metadata backup $VOL/meta/$n" "$JFS_IT_JFSD_LOG" && mine=$n
done
expect_ok "a backup made by jfsd ($mine)" -- test -n "$mine"
B=$META/$mine
ok "jfsadm load into db 12" -- eval '"$JFSADM" load "redis://127.0.0.1:$JFS_IT_REDIS_PORT/12" "$B" \
	>>/vmout/load.log 2>&1'
ok "juicefs load into db 13" -- eval 'jc load "redis://127.0.0.1:$JFS_IT_REDIS_PORT/13" "$B" \
	>>/vmout/juicefs.log 2>&1'
ok "jfsadm dump of db 12" -- eval '"$JFSADM" dump "redis://127.0.0.1:$JFS_IT_REDIS_PORT/12" \
	/tmp/bk-12.json 2>>/vmout/load.log'
ok "juicefs dump of db 13" -- eval 'jc dump "redis://127.0.0.1:$JFS_IT_REDIS_PORT/13" \
	/tmp/bk-13.json >>/vmout/juicefs.log 2>&1'
# the trees (FSTree and Trash) of both loads equal the backup's
same_fstree() {
	python3 - "$@" <<'EOF'
import gzip, json, sys
ref = json.load(gzip.open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
d = ref["FSTree"]["entries"]["d"]["entries"]
assert set(d) == {"hello", "hl", "sl", "sub"}, sorted(d)
sys.exit(0 if (ref["FSTree"], ref["Trash"]) == (got["FSTree"], got["Trash"]) else 1)
EOF
}
ok "jfsadm load holds the backup's tree" -- same_fstree "$B" /tmp/bk-12.json
ok "juicefs load holds the backup's tree" -- same_fstree "$B" /tmp/bk-13.json

teardown
t_summary
