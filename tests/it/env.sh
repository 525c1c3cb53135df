# shellcheck shell=bash
# shellcheck disable=SC2034 # JFSD/JFSADM/JFSK are for the suites
# Shared helpers for the integration suites (tests/it/t-*.sh). Source it after
# tests/lib.sh. The suites run inside the test VM (tests/vm/run.sh) against the
# real stack that tests/it/guest.sh brings up: a guest-local redis-server,
# jfsk.ko, jfsd -d and one formatted volume. Each suite mounts what it needs
# and unmounts it again, so suites do not depend on each other's order.
#
#   JFS_IT_REDIS_PORT  redis port of the shared volume (default 6379)
#   JFS_IT_DB          its database number (default 1)
#   JFS_IT_URL         its META-URL (derived)
#   JFS_IT_VOL         its volume name (default itvol)
#   JFS_IT_BUCKET      its file-store bucket dir (default /tmp/jfsdata/)
#   JFS_IT_JFSD_LOG    jfsd's log (default /vmout/jfsd.log)

: "${JFS_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${JFS_IT_REDIS_PORT:=6379}"
: "${JFS_IT_DB:=1}"
: "${JFS_IT_URL:=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$JFS_IT_DB}"
: "${JFS_IT_VOL:=itvol}"
: "${JFS_IT_BUCKET:=/tmp/jfsdata/}"
: "${JFS_IT_JFSD_LOG:=/vmout/jfsd.log}"
export JFS_TOP JFS_IT_REDIS_PORT JFS_IT_DB JFS_IT_URL JFS_IT_VOL JFS_IT_BUCKET \
	JFS_IT_JFSD_LOG

JFSD=$JFS_TOP/helper/jfsd
JFSADM=$JFS_TOP/tools/jfsadm
JFSK=$JFS_TOP/kmod/jfsk.ko

it_log() { echo "it: $*" >&2; }

# rcli [redis-cli args...]: redis-cli on the shared volume's server and db.
rcli() { redis-cli -p "$JFS_IT_REDIS_PORT" -n "$JFS_IT_DB" "$@"; }

# start_redis PORT [extra redis-server args...]: loopback, no persistence,
# data in /tmp; waits until it answers PING (fails after ~10 s).
start_redis() {
	local port=$1 i
	shift
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize yes --dir /tmp --logfile "/tmp/redis-$port.log" \
		--pidfile "/tmp/redis-$port.pid" "$@" >/dev/null || return
	for ((i = 0; i < 100; i++)); do
		# NOAUTH: up, but started with --requirepass
		redis-cli -p "$port" ping 2>&1 | grep -qE 'PONG|NOAUTH' && return 0
		sleep 0.1
	done
	it_log "redis on port $port did not come up"
	return 1
}

stop_redis() { # PORT
	local pid
	pid=$(cat "/tmp/redis-$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	return 0
}

jfsd_pid() { pgrep -x jfsd | head -n1; }

# start_jfsd: one jfsd serving every mount, detached once attached to /dev/jfs.
start_jfsd() {
	[[ -n $(jfsd_pid) ]] && return 0
	"$JFSD" -d -l "$JFS_IT_JFSD_LOG"
}

# stop_jfsd: SIGTERM, wait for it to exit (fails after ~10 s).
stop_jfsd() {
	local pid i
	pid=$(jfsd_pid)
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" || return
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	it_log "jfsd $pid ignored SIGTERM for 10 s"
	return 1
}

restart_jfsd() { stop_jfsd && start_jfsd; }

# mount_vol MNT [MOUNT-OPTIONS [URL]]: mounts the shared volume (or URL).
mount_vol() {
	local mnt=$1 opts=${2:-} url=${3:-$JFS_IT_URL}
	mkdir -p "$mnt"
	if [[ -n $opts ]]; then
		mount -t jfs -o "$opts" "$url" "$mnt"
	else
		mount -t jfs "$url" "$mnt"
	fi
}

# umount_vol MNT: unmounts if mounted; succeeds if nothing is mounted there.
umount_vol() {
	mountpoint -q "$1" || return 0
	umount "$1"
}

# umount_all_jfs: every jfs mount in the guest, innermost first.
umount_all_jfs() {
	local m rc=0
	for m in $(awk '$3 == "jfs" || $3 == "juicefs" { print $2 }' /proc/mounts | sort -r); do
		umount "$m" || umount -l "$m" || rc=1
	done
	return $rc
}

# is_jfs_mount MNT: true if MNT is a jfs mount right now.
is_jfs_mount() {
	awk -v m="$1" '$2 == m && ($3 == "jfs" || $3 == "juicefs") { f = 1 } END { exit !f }' /proc/mounts
}

# dmesg_mark / dmesg_since MARK: the kernel log lines printed after the mark.
dmesg_mark() { dmesg | wc -l; }
dmesg_since() { dmesg | tail -n +"$(($1 + 1))"; }

# sha FILE: just the SHA-256 hex digest.
sha() { sha256sum "$1" | cut -d' ' -f1; }

# now_ms: monotonic-ish wall clock in milliseconds.
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# ---- faster checks -------------------------------------------------------
# Under TCG every exec costs ~0.2 s. lib.sh forks tr(1) to build each result
# name and mktemp/timeout/rm around every expect_ok, so a check costs 0.5 to
# 1.5 s. This pure-bash _t_oneline replaces lib.sh's (same output), and ok/err
# below record the same PASS/FAIL lines as expect_ok/expect_err but run the
# command directly: no time limit, so use expect_ok/expect_err for a command
# that may hang in user space (a stuck syscall cannot be killed anyway; the VM
# watchdog reports it).
_t_oneline() {
	local s="$*"
	s=${s//$'\n'/ }
	printf '%s' "${s//$'\t'/ }"
}

IT_TMP=$(mktemp -d /tmp/it.XXXXXX)

ok() { # DESCRIPTION -- CMD...
	local desc=$1 rc=0
	shift
	[[ ${1:-} == -- ]] && shift
	"$@" </dev/null >"$IT_TMP/out" 2>"$IT_TMP/err" || rc=$?
	if ((rc == 0)); then
		_t_record_pass "$(_t_name "$desc")"
	else
		_t_record_fail "$(_t_name "$desc")" "exit status $rc: $*"
		_t_show "$IT_TMP/out" "$IT_TMP/err"
	fi
	return 0
}

err() { # DESCRIPTION STDERR_SUBSTRING -- CMD...
	local desc=$1 want=$2 rc=0
	shift 2
	[[ ${1:-} == -- ]] && shift
	"$@" </dev/null >"$IT_TMP/out" 2>"$IT_TMP/err" || rc=$?
	if ((rc == 0)); then
		_t_record_fail "$(_t_name "$desc")" "succeeded, expected failure with '$want': $*"
		_t_show "$IT_TMP/out" "$IT_TMP/err"
	elif [[ $(<"$IT_TMP/err") == *"$want"* ]]; then
		_t_record_pass "$(_t_name "$desc")"
	else
		_t_record_fail "$(_t_name "$desc")" "failed ($rc) but stderr lacks '$want': $*"
		_t_show "$IT_TMP/out" "$IT_TMP/err"
	fi
	return 0
}

# check DESCRIPTION CONDITION-MESSAGE: records a pass if the last command
# succeeded, else a failure with the message.  e.g.
#   ((n > 0)); check "n is positive" "n=$n"
check() {
	local rc=$?
	if ((rc == 0)); then _t_record_pass "$(_t_name "$1")"; else
		_t_record_fail "$(_t_name "$1")" "${2:-failed}"; fi
	return 0
}
