#!/bin/bash
# Runs inside the test VM: the data suites of tests/it against a real S3
# server (MinIO, in the guest, on loopback) once per compression, then the
# S3-only suites (object layout, signatures, cache, faults).
#
#   tests/vm/run.sh -o /tmp/out -- tests/s3/guest.sh
#
# JFS_S3_COMPRESS (default "none lz4 zstd") and JFS_S3_SUITES (default
# every tests/it/s3-*.sh) narrow it down.  MinIO starts once and serves
# every round; each round formats its own volume in its own redis db.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

[[ ${JFS_VM:-} == 1 ]] || { echo "s3/guest.sh: runs inside the test VM only" >&2; exit 2; }

export JFS_IT_STORAGE=minio JFS_IT_KEEP_MINIO=1
T_NAME=s3
t_begin "s3 setup"
t0=$(now_ms)
expect_ok "MinIO starts on 127.0.0.1:$JFS_IT_S3_PORT" -- start_minio
echo "minio start: $(($(now_ms) - t0)) ms"
((T_OK)) || { t_summary; exit 1; }

rc=0
db=2
read -r -a comps <<<"${JFS_S3_COMPRESS:-none lz4 zstd}"
for comp in "${comps[@]}"; do
	echo "=== s3, compression $comp"
	# t-twomounts does not depend on the compression: with the last one only
	its="t-data s3-layout"
	[[ $comp == "${comps[-1]}" ]] && its="t-data t-twomounts s3-layout"
	# shellcheck disable=SC2086 # a list of suites
	JFS_T_PREFIX="s3/$comp " JFS_IT_COMPRESS=$comp JFS_IT_VOL="s3-$comp" JFS_IT_DB=$db \
		JFS_IT_URL="redis://127.0.0.1:$JFS_IT_REDIS_PORT/$db" \
		tests/it/guest.sh $its || rc=1
	db=$((db + 1))
done

suites=${JFS_S3_SUITES:-s3-auth s3-cache s3-faults}
echo "=== s3 suites: $suites"
# shellcheck disable=SC2086 # a list of suites
JFS_T_PREFIX="s3 " JFS_IT_COMPRESS=zstd JFS_IT_VOL=s3-main JFS_IT_DB=$db \
	JFS_IT_URL="redis://127.0.0.1:$JFS_IT_REDIS_PORT/$db" \
	tests/it/guest.sh $suites || rc=1

stop_minio
exit "$rc"
