#!/bin/bash
# S3 faults: MinIO killed (SIGKILL) and restarted in the middle of a write
# and of a read: jfsd retries and the operation succeeds with the right
# bytes. An outage longer than the retries: the write fails with EIO and a
# log line naming the object, nothing half-written is committed (every
# slice in redis has all its blocks), and data committed before is intact.
# A delete during an outage is finished by the slice job once S3 is back.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/s3f
S3C=tests/it/s3check.py

# wait_requests API N: until the server has counted N requests of API (~60 s)
wait_requests() {
	local i
	for ((i = 0; i < 300; i++)); do
		(($(s3_requests "$1") >= $2)) && return 0
		sleep 0.2
	done
	return 1
}

fresh_jfsd() { stop_jfsd && rm -rf "$JFS_IT_CACHE_DIR" && start_jfsd; }

# Generous retries: a MinIO restart under emulation takes ~20-30 s.
export JFS_S3_RETRIES=20 JFS_S3_RETRY_BASE_MS=200

t_begin "s3 faults: write across a restart"
ok "jfsd with patient retries" -- fresh_jfsd
ok "mount" -- mount_vol $M
is_jfs_mount $M || { t_summary; exit 1; }
head -c $((32 * 1048576)) /dev/urandom >/tmp/f-w
p0=$(s3_requests putobject)
(dd if=/tmp/f-w of=$M/w bs=1M conv=fsync status=none; echo $? >/tmp/f-w.rc) &
wpid=$!
wait_requests putobject $((p0 + 1))
check "the write reached S3"
ok "kill -9 MinIO mid-write" -- stop_minio -9
sleep 2
ok "MinIO starts again" -- start_minio
wait $wpid
expect_eq "the write (dd + fsync) succeeded" 0 "$(cat /tmp/f-w.rc)"
ok "umount" -- umount_vol $M
ok "jfsd with an empty cache" -- fresh_jfsd
ok "mount" -- mount_vol $M
expect_eq "the file written across the restart is right" "$(sha /tmp/f-w)" "$(sha $M/w)"

t_begin "s3 faults: read across a restart"
ok "umount" -- umount_vol $M
ok "jfsd with an empty cache" -- fresh_jfsd
ok "mount" -- mount_vol $M
g0=$(s3_requests getobject)
(sha $M/w >/tmp/f-r.sha) &
rpid=$!
wait_requests getobject $((g0 + 1))
check "the read reached S3"
ok "kill -9 MinIO mid-read" -- stop_minio -9
sleep 2
ok "MinIO starts again" -- start_minio
wait $rpid
expect_eq "the read across the restart is right" "$(sha /tmp/f-w)" "$(cat /tmp/f-r.sha)"
ok "umount" -- umount_vol $M

t_begin "s3 faults: outage beyond the retries"
export JFS_S3_RETRIES=3 JFS_S3_RETRY_BASE_MS=50
ok "jfsd with 3 attempts" -- fresh_jfsd
ok "mount" -- mount_vol $M
head -c $((6 * 1048576)) /dev/urandom >/tmp/f-x
ok "stop MinIO" -- stop_minio
mark=$(wc -l <"$JFS_IT_JFSD_LOG")
err "write + fsync fails" "" -- dd if=/tmp/f-x of=$M/x bs=1M conv=fsync status=none
tail -n +"$((mark + 1))" "$JFS_IT_JFSD_LOG" >/tmp/f-log
grep -qE "$JFS_IT_VOL/chunks/[0-9]+/[0-9]+/[0-9]+_0_[0-9]+" /tmp/f-log
check "jfsd logs the object it could not store" "$(head -c 600 /tmp/f-log)"
grep -qi "attempt" /tmp/f-log
check "the log line says the retries ran out" "$(head -c 600 /tmp/f-log)"
ok "umount" -- umount_vol $M
ok "MinIO starts again" -- start_minio
missing=$(python3 $S3C missing "$JFS_IT_URL" 2>&1)
[[ -z $missing ]]
check "no committed slice lacks a block" "$missing"
ok "jfsd with an empty cache" -- fresh_jfsd
ok "mount" -- mount_vol $M
expect_eq "data committed before the outage is intact" "$(sha /tmp/f-w)" "$(sha $M/w)"
n=$(stat -c %s $M/x 2>/dev/null || echo 0)
if ((n > 0)); then
	# whatever the metadata says the file holds must read back without error
	ok "the failed file reads without error" -- cat $M/x
fi
ok "remove the files" -- rm -f $M/w $M/x
ok "umount" -- umount_vol $M

t_begin "s3 faults: a delete in an outage is finished later"
# the slice job (JuiceFS's cleanupSlices) every 2 s instead of hourly
ok "jfsd running its jobs every 2 s" -- eval \
	'stop_jfsd && JFS_IT_JFSD_ARGS="$JFS_IT_JFSD_ARGS --bg-interval 2" start_jfsd'
ok "mount" -- mount_vol $M
ok "write a file" -- dd if=/dev/urandom of=$M/d bs=1M count=3 conv=fsync status=none
ok "chattr +s: its delete is for real, not a move to the trash" -- chattr +s $M/d
before=$(python3 $S3C list "$JFS_IT_VOL/chunks/" | wc -l)
ok "stop MinIO" -- stop_minio
ok "rm works while the store is down" -- rm $M/d
ok "MinIO starts again" -- start_minio
after=$before
for ((i = 0; i < 60 && after >= before; i++)); do
	sleep 1
	after=$(python3 $S3C list "$JFS_IT_VOL/chunks/" | wc -l)
done
((after < before))
check "the slice job deleted its objects ($before -> $after)"
expect_eq "no freed slice is left in sliceRef" "" \
	"$(rcli hgetall sliceRef | paste - - | awk 'NF == 2 && $2 + 0 < 0')"
ok "umount" -- umount_vol $M
unset JFS_S3_RETRIES JFS_S3_RETRY_BASE_MS
ok "jfsd back to defaults" -- fresh_jfsd
rm -f /tmp/f-w /tmp/f-x
t_summary
