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
#   JFS_IT_URL         its META-URL (derived; sqlite3:///PATH for the
#                      embedded engine, whose directory is made here)
#   JFS_IT_VOL         its volume name (default itvol)
#   JFS_IT_BUCKET      its file-store bucket dir (default /tmp/jfsdata/)
#   JFS_IT_JFSD_LOG    jfsd's log (default /vmout/jfsd.log)
#   JFS_IT_STORAGE     file (default) or minio: a MinIO server in the guest
#   JFS_IT_COMPRESS    none (default), lz4 or zstd
#   JFS_IT_S3_PORT     MinIO's port (default 9000); bucket jfstest
#   JFS_IT_JFSD_ARGS   extra jfsd options (cache dir/size, uploads, ...)
#   JFS_IT_TRASH_DAYS  --trash-days of the shared volume (jfsadm's default)

: "${JFS_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${JFS_IT_REDIS_PORT:=6379}"
: "${JFS_IT_DB:=1}"
: "${JFS_IT_URL:=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$JFS_IT_DB}"
: "${JFS_IT_VOL:=itvol}"
: "${JFS_IT_BUCKET:=/tmp/jfsdata/}"
: "${JFS_IT_JFSD_LOG:=/vmout/jfsd.log}"
: "${JFS_IT_STORAGE:=file}"
: "${JFS_IT_COMPRESS:=none}"
: "${JFS_IT_S3_PORT:=9000}"
: "${JFS_IT_S3_URL:=http://127.0.0.1:$JFS_IT_S3_PORT/jfstest}"
: "${JFS_IT_S3_USER:=jfsadmin}"
: "${JFS_IT_S3_PASS:=jfs-secret-0123}"
: "${JFS_IT_CACHE_DIR:=/tmp/jfscache}"
: "${JFS_IT_JFSD_ARGS:=--cache-dir $JFS_IT_CACHE_DIR --cache-size 1024}"
: "${JFS_MINIO:=/var/cache/jfs-minio/bin/minio}"
export JFS_TOP JFS_IT_REDIS_PORT JFS_IT_DB JFS_IT_URL JFS_IT_VOL JFS_IT_BUCKET \
	JFS_IT_JFSD_LOG JFS_IT_STORAGE JFS_IT_COMPRESS JFS_IT_S3_PORT JFS_IT_S3_URL \
	JFS_IT_S3_USER JFS_IT_S3_PASS JFS_IT_CACHE_DIR JFS_IT_JFSD_ARGS JFS_MINIO JFS_IT_TRASH_DAYS

JFSD=$JFS_TOP/daemon/jfsd
JFSADM=$JFS_TOP/tools/jfsadm
JFSK=$JFS_TOP/kmod/jfsk.ko

it_log() { echo "it: $*" >&2; }

# rcli [redis-cli args...]: redis-cli on the shared volume's server and db.
rcli() { redis-cli -p "$JFS_IT_REDIS_PORT" -n "$JFS_IT_DB" "$@"; }

# vol_sessions: how many client sessions the shared volume has
vol_sessions() {
	case $JFS_IT_URL in
	sqlite3://*) sqlite3 "${JFS_IT_URL#sqlite3://}" "SELECT count(*) FROM jfs_session2" ;;
	*) rcli zcard allSessions ;;
	esac
}

# vol_setting [URL]: the volume's setting JSON, from Redis or SQLite
vol_setting() {
	local url=${1:-$JFS_IT_URL}
	case $url in
	sqlite3://*) sqlite3 "${url#sqlite3://}" "SELECT value FROM jfs_setting WHERE name='format'" ;;
	*) rcli get setting ;;
	esac
}

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

# start_jfsd: one jfsd serving every mount, detached once attached to /dev/jfs;
# no metadata backups (they would add objects) unless JFS_IT_JFSD_ARGS asks.
start_jfsd() {
	[[ -n $(jfsd_pid) ]] && return 0
	# shellcheck disable=SC2086 # a list of options
	"$JFSD" -d -l "$JFS_IT_JFSD_LOG" --backup-meta 0 $JFS_IT_JFSD_ARGS
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

# ---- MinIO: a real S3 server in the guest, data on the guest's tmpfs ----

minio_pid() { cat /tmp/minio.pid 2>/dev/null; }

# start_minio: on loopback with credentials; metrics public so tests can
# count the requests the server really saw. Waits until it is live.
start_minio() {
	local i
	[[ -x $JFS_MINIO ]] || { it_log "no MinIO binary at $JFS_MINIO (tools/install-deps.sh builds it)"; return 1; }
	mkdir -p /tmp/minio-data /tmp/minio-certs
	MINIO_ROOT_USER=$JFS_IT_S3_USER MINIO_ROOT_PASSWORD=$JFS_IT_S3_PASS \
		MINIO_PROMETHEUS_AUTH_TYPE=public MINIO_BROWSER=off MINIO_UPDATE=off \
		setsid "$JFS_MINIO" server --quiet --certs-dir /tmp/minio-certs \
		--address "127.0.0.1:$JFS_IT_S3_PORT" /tmp/minio-data \
		</dev/null >>/vmout/minio.log 2>&1 &
	echo $! >/tmp/minio.pid
	for ((i = 0; i < 600; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$JFS_IT_S3_PORT/minio/health/live" && return 0
		kill -0 "$(minio_pid)" 2>/dev/null || { it_log "MinIO exited"; return 1; }
		sleep 0.2
	done
	it_log "MinIO did not come up in 120 s"
	return 1
}

# stop_minio [-9]: stops the server (SIGKILL with -9), waits for it to go.
stop_minio() {
	local pid i
	pid=$(minio_pid)
	[[ -n $pid ]] || return 0
	kill "${1:--TERM}" "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || { rm -f /tmp/minio.pid; return 0; }
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	rm -f /tmp/minio.pid
}

# s3_requests API: requests of one S3 API (GetObject, PutObject, ...; any
# case) the server has counted since it started. The v3 metrics are live;
# the v2 ones are cached for ~10 s and would miss recent requests.
s3_requests() {
	curl -sf "http://127.0.0.1:$JFS_IT_S3_PORT/minio/metrics/v3/api/requests" |
		awk -v api="$1" '$1 ~ /^minio_api_requests_total[{]/ {
			if (match($1, /name="[^"]*"/) && tolower(substr($1, RSTART + 6, RLENGTH - 7)) == tolower(api))
				n += $2
		} END { print n + 0 }'
}

# chunk_records INO INDX: how many slice records chunk INDX of INO lists
# (SQLite's || makes TEXT of the blob, whose length() stops at a NUL)
chunk_records() {
	case $JFS_IT_URL in
	sqlite3://*) sqlite3 "${JFS_IT_URL#sqlite3://}" \
		"SELECT coalesce(sum(length(CAST(slices AS BLOB))) / 24, 0) FROM jfs_chunk WHERE inode=$1 AND indx=$2" ;;
	*) rcli llen "c$1_$2" ;;
	esac
}

# first_record INO INDX: "pos len" of a chunk's first record
first_record() {
	local hex
	case $JFS_IT_URL in
	sqlite3://*) hex=$(sqlite3 "${JFS_IT_URL#sqlite3://}" \
		"SELECT hex(substr(CAST(slices AS BLOB), 1, 24)) FROM jfs_chunk WHERE inode=$1 AND indx=$2") ;;
	*) hex=$(rcli --raw lindex "c$1_$2" 0 | head -c 24 | od -An -tx1 | tr -d ' \n') ;;
	esac
	python3 -c 'import sys; b = bytes.fromhex(sys.argv[1]); print(int.from_bytes(b[0:4], "big"), int.from_bytes(b[20:24], "big"))' "$hex"
}

# delayed_slices: entries compaction left for the trash's lifetime
delayed_slices() {
	case $JFS_IT_URL in
	sqlite3://*) sqlite3 "${JFS_IT_URL#sqlite3://}" "SELECT count(*) FROM jfs_delslices" ;;
	*) rcli hlen delSlices ;;
	esac
}

# trash_days: the shared volume's TrashDays (0 when absent).
trash_days() {
	vol_setting | python3 -c 'import json, sys; print(json.load(sys.stdin).get("TrashDays", 0))'
}

# format_args: the `jfsadm format` storage options of this setup.
format_args() {
	if [[ $JFS_IT_STORAGE == minio ]]; then
		printf '%s\n' --storage minio --bucket "$JFS_IT_S3_URL" \
			--access-key "$JFS_IT_S3_USER" --secret-key "$JFS_IT_S3_PASS" \
			--compress "$JFS_IT_COMPRESS"
	else
		printf '%s\n' --bucket "$JFS_IT_BUCKET" --compress "$JFS_IT_COMPRESS"
	fi
	# long fsx runs rewrite one file ~10^5 times: 0 frees what compaction
	# replaces at once instead of keeping it a day in the guest's tmpfs
	[[ -z ${JFS_IT_TRASH_DAYS:-} ]] || printf '%s\n' --trash-days "$JFS_IT_TRASH_DAYS"
}

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
	# a mount whose jfsd died fails stat(), so mountpoint(1) misses it
	is_jfs_mount "$1" || mountpoint -q "$1" || return 0
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
