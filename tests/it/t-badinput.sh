#!/bin/bash
# Bad input must fail cleanly: non-zero exit, one clear error line, nothing
# changed. Malformed META-URL, unreachable redis, unformatted database, no
# jfsd running, reformat with another volume name; and a password in the
# META-URL never shows in /proc/mounts, mount(8), dmesg or jfsd's log.
#
# Mount errors: raw `mount -t jfs` prints util-linux's generic two lines, so
# the reason is checked in the kernel log. The mount.jfs helper
# (JFS_IT_MOUNT_HELPER, default tools/mount.jfs if built) is then run the
# way mount(8) runs it, `mount.jfs SPEC DIR [-o OPTS]`, and must fail too,
# with exactly one line on stderr.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

X=/mnt/bad
DEAD=redis://127.0.0.1:1/1 # nothing listens on port 1
EMPTY_DB=9
PW_PORT=6380
: "${JFS_IT_MOUNT_HELPER:=}"
[[ -z $JFS_IT_MOUNT_HELPER && -x $JFS_TOP/tools/mount.jfs ]] && JFS_IT_MOUNT_HELPER=$JFS_TOP/tools/mount.jfs
mkdir -p $X

# one_line DESC FILE [PREFIX]: FILE holds exactly one non-empty line.
one_line() {
	local n
	n=$(grep -c . "$2")
	[[ $n == 1 && ( -z ${3:-} || $(<"$2") == "$3"* ) ]]
	check "$1" "want one line${3:+ starting '$3'}, got $n: $(head -c 300 "$2")"
}

# mount_fails DESC DMESG_ERE URL [OPTS]: mount must fail, within
# $LIMIT_MS, with a kernel log line matching DMESG_ERE, mounting nothing.
LIMIT_MS=10000
mount_fails() {
	local desc=$1 pat=$2 url=$3 opts=${4:-} mark rc=0 t0 t1 new
	mark=$(dmesg_mark)
	t0=$(now_ms)
	timeout -k 5 60 mount -t jfs ${opts:+-o "$opts"} "$url" $X \
		</dev/null >$IT_TMP/out 2>$IT_TMP/err || rc=$?
	t1=$(now_ms)
	((rc != 0)); check "$desc: mount exits non-zero" "exit status 0"
	((rc != 124)); check "$desc: mount does not hang" "timed out after 60 s"
	((t1 - t0 < LIMIT_MS)); check "$desc: fails within $((LIMIT_MS / 1000)) s" "took $((t1 - t0)) ms"
	new=$(dmesg_since "$mark")
	grep -qiE "$pat" <<<"$new"
	check "$desc: kernel log says why (/$pat/)" "kernel log: $(tr '\n' '|' <<<"$new")"
	! is_jfs_mount $X; check "$desc: nothing mounted" "$X is mounted"
	umount_vol $X 2>/dev/null
	[[ -n $JFS_IT_MOUNT_HELPER ]] || return 0
	rc=0
	timeout -k 5 60 "$JFS_IT_MOUNT_HELPER" "$url" $X ${opts:+-o "$opts"} \
		</dev/null >$IT_TMP/out 2>$IT_TMP/err || rc=$?
	((rc != 0 && rc != 124)); check "$desc: mount.jfs exits non-zero" "exit status $rc"
	one_line "$desc: mount.jfs prints one error line" $IT_TMP/err
	! is_jfs_mount $X; check "$desc: mount.jfs mounted nothing" "$X is mounted"
	umount_vol $X 2>/dev/null
	return 0
}

# jfsadm_fails DESC -- ARGS...: non-zero, one "jfsadm: " stderr line, no stdout.
jfsadm_fails() {
	local desc=$1 rc=0
	shift
	[[ $1 == -- ]] && shift
	timeout -k 5 60 "$JFSADM" "$@" </dev/null >$IT_TMP/out 2>$IT_TMP/err || rc=$?
	((rc != 0 && rc != 124)); check "$desc: exits non-zero" "exit status $rc"
	one_line "$desc: one error line" $IT_TMP/err "jfsadm: "
	[[ ! -s $IT_TMP/out ]]; check "$desc: prints nothing on stdout" "stdout: $(head -c 200 $IT_TMP/out)"
}

sessions0=$(rcli zcard allSessions)
setting0=$(rcli get setting)

t_begin "badinput: malformed META-URL"
mount_fails "mount not-a-url" "META-URL|url" not-a-url
mount_fails "mount redis://[bad" "META-URL|url|address|host" 'redis://[bad'
jfsadm_fails "format redis://[bad" -- format --bucket /tmp/bad-bucket/ 'redis://[bad' badvol
[[ ! -e /tmp/bad-bucket ]]; check "format redis://[bad: no bucket dir created" "/tmp/bad-bucket exists"
jfsadm_fails "status redis://[bad" -- status 'redis://[bad'

t_begin "badinput: unreachable redis"
mount_fails "mount $DEAD" "refused|connect|unreachable" $DEAD
jfsadm_fails "format $DEAD" -- format --bucket /tmp/dead-bucket/ $DEAD deadvol
[[ ! -e /tmp/dead-bucket ]]; check "format $DEAD: no bucket dir created" "/tmp/dead-bucket exists"
jfsadm_fails "status $DEAD" -- status $DEAD

t_begin "badinput: unformatted database"
empty_url=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$EMPTY_DB
expect_eq "db $EMPTY_DB is empty" 0 "$(redis-cli -p "$JFS_IT_REDIS_PORT" -n $EMPTY_DB dbsize)"
mount_fails "mount $empty_url" "not formatted" "$empty_url"
expect_eq "db $EMPTY_DB is still empty" 0 "$(redis-cli -p "$JFS_IT_REDIS_PORT" -n $EMPTY_DB dbsize)"
jfsadm_fails "status $empty_url" -- status "$empty_url"

t_begin "badinput: bad mount options"
mount_fails "mount -o attr_timeout=abc" "attr_timeout|bad value|invalid" "$JFS_IT_URL" attr_timeout=abc
mount_fails "mount -o nosuchoption" "nosuchoption|unknown" "$JFS_IT_URL" nosuchoption=1

t_begin "badinput: no jfsd"
ok "stop jfsd" -- stop_jfsd
LIMIT_MS=5000 mount_fails "mount without jfsd" "jfsd" "$JFS_IT_URL"
ok "start jfsd again" -- start_jfsd
expect_ok "a good mount works again" -- mount_vol $X
ok "umount it" -- umount_vol $X

t_begin "badinput: reformat with another name"
jfsadm_fails "format $JFS_IT_URL othername" -- format --bucket "$JFS_IT_BUCKET" "$JFS_IT_URL" othername
expect_eq "the setting is unchanged" "$setting0" "$(rcli get setting)"
expect_eq "the volume still mounts under its name" "$JFS_IT_VOL" \
	"$("$JFSADM" status "$JFS_IT_URL" 2>&1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["Setting"]["Name"])' 2>&1)"
expect_eq "no session leaked by the failed mounts" "$sessions0" "$(rcli zcard allSessions)"

t_begin "badinput: password in META-URL"
PW_URL=redis://:secretpw@127.0.0.1:$PW_PORT/1
ok "redis with --requirepass on port $PW_PORT" -- start_redis $PW_PORT --requirepass secretpw
ok "format with a password URL" -- "$JFSADM" format --bucket /tmp/jfspw/ "$PW_URL" pwvol
mark=$(dmesg_mark)
expect_ok "mount with a password URL" -- mount_vol /mnt/pw "" "$PW_URL"
expect_eq "it is listed in /proc/mounts" 1 "$(awk '$2 == "/mnt/pw"' /proc/mounts | grep -c "127.0.0.1:$PW_PORT")"
expect_eq "/proc/mounts does not show the password" 0 "$(grep -c secretpw /proc/mounts)"
expect_eq "mountinfo does not show it" 0 "$(grep -c secretpw /proc/self/mountinfo)"
expect_eq "mount(8) does not show it" 0 "$(mount | grep -c secretpw)"
ok "a file round-trips on it" -- sh -c 'echo pw > /mnt/pw/f && [ "$(cat /mnt/pw/f)" = pw ]'
ok "umount it" -- umount_vol /mnt/pw
mount_fails "mount with a wrong password" "auth|pass|denied|WRONGPASS" \
	redis://:wrongpw@127.0.0.1:$PW_PORT/1
expect_eq "the kernel log never shows a password" 0 "$(dmesg_since "$mark" | grep -cE 'secretpw|wrongpw')"
expect_eq "jfsd's log never shows a password" 0 "$(grep -cE 'secretpw|wrongpw' "$JFS_IT_JFSD_LOG")"
stop_redis $PW_PORT
t_summary
