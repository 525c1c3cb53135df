#!/bin/bash
# Runs inside the test VM: brings up the real stack and runs the integration
# suites against it.
#
#   tests/vm/run.sh -o /tmp/out -- tests/it/guest.sh [SUITE...]
#   tests/summarize.sh /tmp/out/results
#
# SUITE: t-namespace, t-data, ... (default: $JFS_IT_SUITES, space-separated,
# else every tests/it/t-*.sh, in order).
# Brings up: redis-server on 127.0.0.1:$JFS_IT_REDIS_PORT (no persistence,
# /tmp), insmod kmod/jfsk.ko, jfsd -d -l /vmout/jfsd.log, and a volume
# formatted at $JFS_IT_URL. On the way out: unmounts every jfs mount, stops
# jfsd, rmmods the module (must succeed: proves no leaked references) and
# writes a summary of the volume's redis keys to /vmout/redis.log.
# Per-suite wall times go to /vmout/timing.log (and stdout).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

[[ ${JFS_VM:-} == 1 ]] || { echo "guest.sh: runs inside the test VM only (tests/vm/run.sh -- $0)" >&2; exit 2; }

suites=()
# shellcheck disable=SC2086 # a space-separated list
(($#)) || set -- ${JFS_IT_SUITES:-}
if (($#)); then
	for s in "$@"; do
		s=${s##*/}
		s=${s%.sh}
		[[ -f tests/it/$s.sh ]] || { echo "guest.sh: no suite tests/it/$s.sh" >&2; exit 2; }
		suites+=("tests/it/$s.sh")
	done
else
	suites=(tests/it/t-*.sh)
fi

timing=/vmout/timing.log	# appended: tests/s3 runs this several times

teardown() {
	t_begin "it teardown"
	expect_ok "unmount every jfs mount" -- umount_all_jfs
	expect_ok "jfsd stops on SIGTERM" -- stop_jfsd
	if grep -qw jfsk /proc/modules; then
		# The module count must drop to 0 once nothing is mounted and
		# /dev/jfs is closed: a failing rmmod means a leaked reference.
		expect_ok "rmmod jfsk (no leaked references)" -- rmmod jfsk
	fi
	{
		echo "== redis db $JFS_IT_DB on port $JFS_IT_REDIS_PORT: $(rcli dbsize) keys"
		rcli --scan | sed -E 's/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -n 50
		echo "== setting"
		rcli get setting
		echo "== counters"
		for k in nextinode nextchunk nextsession usedSpace totalInodes; do
			echo "$k $(rcli get $k)"
		done
		echo "== allSessions"
		rcli zrange allSessions 0 -1 withscores
		echo "== all dbs"
		redis-cli -p "$JFS_IT_REDIS_PORT" info keyspace
	} >/vmout/redis.log 2>&1
	redis-cli -p "$JFS_IT_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
	[[ $JFS_IT_STORAGE == minio && -z ${JFS_IT_KEEP_MINIO:-} ]] && stop_minio
	return 0
}

t_begin "it setup"
expect_ok "redis-server on port $JFS_IT_REDIS_PORT" -- start_redis "$JFS_IT_REDIS_PORT"
((T_OK)) || { t_summary; exit 1; }
expect_ok "insmod kmod/jfsk.ko" -- insmod "$JFSK"
((T_OK)) || { teardown; t_summary; exit 1; }
expect_ok "jfsd -d attaches" -- start_jfsd
expect_ok "/dev/jfs exists" -- test -c /dev/jfs
if [[ $JFS_IT_STORAGE == minio && -z $(minio_pid) ]]; then
	expect_ok "MinIO on port $JFS_IT_S3_PORT" -- start_minio
fi
[[ $JFS_IT_URL == sqlite3://* ]] && mkdir -p "$(dirname "${JFS_IT_URL#sqlite3://}")"
mapfile -t fmt <<<"$(format_args)"
expect_ok "jfsadm format ($JFS_IT_STORAGE, $JFS_IT_COMPRESS) $JFS_IT_URL $JFS_IT_VOL" -- \
	"$JFSADM" format "${fmt[@]}" "$JFS_IT_URL" "$JFS_IT_VOL"
expect_eq "the volume stores its data in $JFS_IT_STORAGE, compression $JFS_IT_COMPRESS" \
	"$JFS_IT_STORAGE $JFS_IT_COMPRESS" \
	"$(vol_setting | python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["Storage"], s["Compression"])')"
if ((T_FAILED)); then
	teardown
	t_summary
	exit 1
fi

rc=0
for s in "${suites[@]}"; do
	name=${s##*/}
	name=${name%.sh}
	echo "=== $name"
	t0=$(now_ms)
	bash "$s" || rc=1
	t1=$(now_ms)
	printf '%-24s %6.1f s\n' "${JFS_T_PREFIX:-}$name" "$(((t1 - t0) / 100))e-1" | tee -a "$timing"
	# A suite that died mid-way must not leave mounts or a dead jfsd for
	# the next one.
	if [[ -n $(awk '$3 == "jfs"' /proc/mounts) ]]; then
		t_begin "$name cleanup"
		t_fail "suite left jfs mounts behind: $(awk '$3 == "jfs" { print $2 }' /proc/mounts | tr '\n' ' ')"
		umount_all_jfs
	fi
	start_jfsd
done

teardown
t_summary || rc=1
exit "$rc"
