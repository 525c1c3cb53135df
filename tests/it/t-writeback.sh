#!/bin/bash
# Writeback (-o writeback, JuiceFS's --writeback) on a volume of its own
# (Redis db 9, file store in /tmp/wb-bucket, trash off):
# 1. -o writeback: closed files' blocks go through the staging dir
#    ({cache}/{UUID}/rawstaging) and reach the store in the background;
#    staging empties, fsck is clean, the uploaded blocks moved into the
#    block cache, and the files read back from the store with the block
#    cache emptied.
# 2. -o writeback,upload-delay=1h holds the uploads: after close the blocks
#    are staged and not in the store (fsck reports them lost), read back
#    from staging with the page cache dropped; a file deleted while staged
#    leaves no staged file and no object.
# 3. kill -9 jfsd with blocks staged; the mount says ENOTCONN and is
#    unmounted; a new jfsd (--writeback, its default for mounts) and a
#    mount -o nowriteback find the staged blocks and upload them: staging empties, every block is in the store (fsck clean,
#    object count), and every file reads back by SHA-256 with the page
#    cache dropped and the block cache emptied.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/wb
DB=9
URL=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$DB
BUCKET=/tmp/wb-bucket/
VOL=wbvol
C=$JFS_IT_CACHE_DIR
MiB=1048576
S=$IT_TMP/wb	# the files' models, same names
mkdir -p $S

wcli() { redis-cli -p "$JFS_IT_REDIS_PORT" -n "$DB" "$@"; }
staged() { find "$STAGE" -type f 2>/dev/null | wc -l; }
objects() { find "$BUCKET$VOL/chunks" -type f 2>/dev/null | wc -l; }
cached() { find "$C/$UUID/raw" -type f 2>/dev/null | wc -l; }
drop_caches() { sync && echo 3 >/proc/sys/vm/drop_caches; }

# wait_staged_empty SECS: until no staged file is left
wait_staged_empty() {
	local i
	for ((i = 0; i < $1; i++)); do
		(($(staged) == 0)) && return 0
		sleep 1
	done
	return 1
}

# same_files DESC NAME...: each $M/NAME has the bytes of $S/NAME
# (no command substitution in check's arguments: it would reset $?)
same_files() {
	local desc=$1 n bad=''
	shift
	for n in "$@"; do
		[[ $(sha "$M/$n" 2>/dev/null) == "$(sha "$S/$n")" ]] || bad+=" $n"
	done
	[[ -z $bad ]]
	check "$desc ($#: $*)" "differ:$bad"
}

# write_files NAME:SIZE...: random contents, a model each, written with cp
write_files() {
	local a n
	for a in "$@"; do
		n=${a%%:*}
		head -c "${a#*:}" /dev/urandom >"$S/$n"
		cp "$S/$n" "$M/$n" || return
	done
}

t_begin "writeback: setup"
# compressed as the shared volume is: uploads from staging compress too
ok "jfsadm format (trash off, $JFS_IT_COMPRESS) $URL $VOL" -- "$JFSADM" format \
	--bucket "$BUCKET" --trash-days 0 --compress "$JFS_IT_COMPRESS" "$URL" "$VOL"
UUID=$(wcli get setting | python3 -c 'import json, sys; print(json.load(sys.stdin)["UUID"])')
STAGE=$C/$UUID/rawstaging
mark=$(dmesg_mark)
err "a bad upload-delay: the mount fails" "" -- mount_vol $M writeback,upload-delay=2x "$URL"
ok "jfsd said why (kernel log)" -- eval 'dmesg_since $mark | grep -qF "upload-delay takes a duration"'

t_begin "writeback: uploaded in the background"
log0=$(wc -l <"$JFS_IT_JFSD_LOG")
ok "mount -o writeback" -- mount_vol $M writeback "$URL"
is_jfs_mount $M || { t_summary; exit 1; }
ok "/proc/mounts shows writeback" -- grep -q " $M jfs .*,writeback" /proc/mounts
A=(a1:1 a2:5000 a3:$((MiB + 3)) a4:$((10 * MiB)))
ok "write 3 small files and a 10 MiB one, closed" -- write_files "${A[@]}"
names_a=("${A[@]%%:*}")
ok "staging empties" -- wait_staged_empty 60
# the stager logs it at its next tick, up to a second after the last upload
for _ in $(seq 20); do
	n=$(tail -n +$((log0 + 1)) "$JFS_IT_JFSD_LOG" |
		sed -n "s/.*volume '$VOL': every staged block is uploaded (\([0-9]*\) so far).*/\1/p" | tail -n1)
	((${n:-0} >= 6)) && break
	sleep 0.5
done
((${n:-0} >= 6))
check "jfsd staged and uploaded every block (log: ${n:-none}, >= 6)" "no or too few"
na=$(objects)
((na >= 6))
check "the blocks are in the store ($na objects)"
ok "jfsadm fsck: every block there" -- "$JFSADM" fsck -q "$URL"
nc=$(cached)
((nc >= na))
check "the uploaded blocks moved into the block cache ($nc files)"
ok "umount" -- umount_vol $M
ok "empty the block cache" -- rm -rf "$C/$UUID/raw"
ok "mount (no writeback)" -- mount_vol $M "" "$URL"
same_files "the files read back from the store" "${names_a[@]}"

t_begin "writeback: held uploads, read from staging"
ok "umount" -- umount_vol $M
ok "mount -o writeback,upload-delay=1h" -- mount_vol $M writeback,upload-delay=1h "$URL"
ok "/proc/mounts shows writeback,upload-delay=1h" -- \
	grep -q " $M jfs .*,writeback,upload-delay=1h" /proc/mounts
ok "write a file to delete" -- write_files del:70000
n=$(staged)
((n == 1))
check "its block is staged ($n file)"
ok "delete it" -- rm $M/del
ok "its staged file went with its slice" -- wait_staged_empty 20
expect_eq "and nothing was uploaded" "$na" "$(objects)"
B=(b1:1 b2:4097 b3:$((3 * MiB)) b4:$((10 * MiB + 12345)) b5:300)
ok "write 4 small files and a 10 MiB one, closed" -- write_files "${B[@]}"
names_b=("${B[@]%%:*}")
nb=$(staged)
((nb >= 7))
check "their blocks are staged ($nb files, >= 7)"
expect_eq "none is in the store" "$na" "$(objects)"
err "jfsadm fsck: the staged blocks are not in the store yet" "" -- "$JFSADM" fsck -q "$URL"
ok "drop the page cache" -- drop_caches
same_files "the files read back from staging" "${names_b[@]}"

t_begin "writeback: kill -9 jfsd with blocks staged"
pid=$(jfsd_pid)
ok "kill -9 jfsd ($pid)" -- kill -9 "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
expect_eq "staged blocks outlive jfsd" "$nb" "$(staged)"
err "the mount says ENOTCONN" "not connected" -- stat $M/b1
ok "umount the dead mount" -- umount_vol $M
log0=$(wc -l <"$JFS_IT_JFSD_LOG")
# jfsd's own default on, the mount's option off: the found blocks go up anyway
ok "start jfsd --writeback" -- eval 'JFS_IT_JFSD_ARGS="$JFS_IT_JFSD_ARGS --writeback" start_jfsd'
ok "mount again -o nowriteback" -- mount_vol $M nowriteback "$URL"
ok "/proc/mounts shows nowriteback" -- grep -q " $M jfs .*,nowriteback" /proc/mounts
ok "jfsd: this mount does not stage" -- eval "tail -n +$((log0 + 1)) \"\$JFS_IT_JFSD_LOG\" |
	grep \"mounted volume '$VOL'\" | tail -n1 | grep -vq writeback"
ok "jfsd found the staged blocks" -- eval "tail -n +$((log0 + 1)) \"\$JFS_IT_JFSD_LOG\" |
	grep -q \"volume '$VOL': found $nb staged blocks\""
ok "staging empties" -- wait_staged_empty 60
expect_eq "every staged block is in the store" "$((na + nb))" "$(objects)"
ok "jfsadm fsck: every block there" -- "$JFSADM" fsck -q "$URL"
ok "umount" -- umount_vol $M
ok "empty the block cache" -- rm -rf "$C/$UUID/raw"
ok "mount (jfsd's default: writeback)" -- mount_vol $M "" "$URL"
ok "jfsd: this mount stages" -- eval "grep \"mounted volume '$VOL'\" \"\$JFS_IT_JFSD_LOG\" |
	tail -n1 | grep -q ', writeback)'"
ok "drop the page cache" -- drop_caches
same_files "every file reads back from the store" "${names_a[@]}" "${names_b[@]}"

t_begin "writeback: teardown"
ok "umount" -- umount_vol $M
ok "jfsd back to its default options" -- restart_jfsd
wcli flushdb >/dev/null
rm -rf "$BUCKET" "${C:?}/$UUID"
t_summary
