#!/bin/bash
# Runs in the VM (JFS_VM_MEM=8192 tests/vm/run.sh -t 3600 -- tests/bench/s3.sh):
# a measurement, not a timed test.  On MinIO in the same guest: sequential
# write and read MiB/s of a 1 GiB file, 4 KiB random-read IOPS with a cold
# and a warm block cache, next to the same runs on tmpfs.  Emulation makes
# absolute numbers meaningless: compare the ratios taken in one run.
#   JFS_BENCH_MB (1024), JFS_BENCH_COMPRESS (none), JFS_BENCH_SECS (20)
set -eu
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/it/env.sh
MB=${JFS_BENCH_MB:-1024}
SECS=${JFS_BENCH_SECS:-20}
export JFS_IT_REDIS_PORT=6394 JFS_IT_STORAGE=minio JFS_IT_COMPRESS=${JFS_BENCH_COMPRESS:-none}
export JFS_IT_URL=redis://127.0.0.1:6394/1 JFS_IT_JFSD_LOG=/vmout/jfsd-bench.log
# a cache that holds the whole file: a sequential scan through a smaller
# LRU cache misses every block
export JFS_IT_JFSD_ARGS="--cache-dir /tmp/jfscache --cache-size $((MB * 2))"
M=/mnt/bench
R=/tmp/ref

start_redis 6394
start_minio
grep -qw jfsk /proc/modules || insmod kmod/jfsk.ko
start_jfsd
mapfile -t fmt <<<"$(format_args)"
tools/jfsadm format "${fmt[@]}" "$JFS_IT_URL" bench >/dev/null
mkdir -p $M $R
mount -t jfs "$JFS_IT_URL" $M

secs() { # CMD... -> wall seconds
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
mbps() { awk -v s="$1" -v mb="$MB" 'BEGIN { printf "%.1f", mb / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
seqw() { dd if=/tmp/src of="$1" bs=4M conv=fsync status=none; }
seqr() { dd if="$1" of=/dev/null bs=4M status=none; }
iops() { # FILE -> 4 KiB random-read IOPS for SECS seconds
	fio --name=rr --filename="$1" --rw=randread --bs=4k --ioengine=psync \
		--time_based --runtime="$SECS" --output-format=terse --terse-version=3 \
		--readonly 2>/dev/null | awk -F';' '{ printf "%.0f", $8 }'
}
fresh() { # empty jfsd cache, cold page cache
	umount $M
	stop_jfsd
	rm -rf "$JFS_IT_CACHE_DIR"
	start_jfsd
	mount -t jfs "$JFS_IT_URL" $M
}
remount() { umount $M; mount -t jfs "$JFS_IT_URL" $M; }

# incompressible source data, made once, untimed
head -c $((MB * 1048576)) /dev/urandom >/tmp/src
w_ref=$(secs seqw $R/f)
echo 3 >/proc/sys/vm/drop_caches
r_ref=$(secs seqr $R/f)
echo 3 >/proc/sys/vm/drop_caches
i_ref=$(iops $R/f)
rm -f $R/f

w_jfs=$(secs seqw $M/f)
fresh
r_cold=$(secs seqr $M/f)
remount
r_warm=$(secs seqr $M/f)
fresh
i_cold=$(iops $M/f)
remount
i_warm=$(iops $M/f)

echo "== jfs on MinIO (compression $JFS_IT_COMPRESS) vs tmpfs, $MB MiB file, one VM run"
printf '%-34s %10s %10s %7s\n' "" jfs tmpfs ratio
printf '%-34s %10s %10s %7s\n' "seq write + fsync (MiB/s)" "$(mbps "$w_jfs")" "$(mbps "$w_ref")" "$(ratio "$w_ref" "$w_jfs")"
printf '%-34s %10s %10s %7s\n' "seq read, cold cache (MiB/s)" "$(mbps "$r_cold")" "$(mbps "$r_ref")" "$(ratio "$r_ref" "$r_cold")"
printf '%-34s %10s %10s %7s\n' "seq read, block cache (MiB/s)" "$(mbps "$r_warm")" "$(mbps "$r_ref")" "$(ratio "$r_ref" "$r_warm")"
printf '%-34s %10s %10s %7s\n' "4 KiB random read, cold (IOPS)" "$i_cold" "$i_ref" "$(ratio "$i_cold" "$i_ref")"
printf '%-34s %10s %10s %7s\n' "4 KiB random read, cached (IOPS)" "$i_warm" "$i_ref" "$(ratio "$i_warm" "$i_ref")"
echo "S3 requests: PUT $(s3_requests putobject), GET $(s3_requests getobject)"
umount $M
