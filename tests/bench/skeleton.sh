#!/bin/bash
# Runs in the VM (tests/vm/run.sh -- tests/bench/skeleton.sh): not a timed
# test, a measurement.  Emulation makes absolute numbers meaningless, so
# it reports ratios against tmpfs taken in the same VM run, and counts the
# requests `ls -l` of a cold 300-entry directory sends (readdir primes the
# dcache, so there should be no per-entry lookup).
set -eu
cd "$(dirname "$0")/../.."
URL=redis://127.0.0.1:6393/1
MB=${JFS_BENCH_MB:-64}
redis-server --port 6393 --bind 127.0.0.1 --save '' --appendonly no \
	--daemonize yes --dir /tmp >/dev/null
grep -qw jfsk /proc/modules || insmod kmod/jfsk.ko
daemon/jfsd -d -l /vmout/jfsd-bench.log
tools/jfsadm format --bucket /tmp/bench-data/ $URL bench >/dev/null
mkdir -p /mnt/bench /tmp/ref
mount -t jfs $URL /mnt/bench

mbps() { # SECONDS_FLOAT
	awk -v s="$1" -v mb="$MB" 'BEGIN { printf "%.1f", mb / s }'
}
timed() { # CMD... -> seconds
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
seqw() { dd if=/dev/zero of="$1" bs=1M count="$MB" conv=fsync status=none; }
seqr() { dd if="$1" of=/dev/null bs=1M status=none; }

w_ref=$(timed seqw /tmp/ref/f)
echo 3 >/proc/sys/vm/drop_caches
r_ref=$(timed seqr /tmp/ref/f)
w_jfs=$(timed seqw /mnt/bench/f)
umount /mnt/bench
mount -t jfs $URL /mnt/bench	# cold page cache
r_jfs=$(timed seqr /mnt/bench/f)
echo "sequential write $MB MiB + fsync: jfs $(mbps "$w_jfs") MiB/s, tmpfs $(mbps "$w_ref") MiB/s"
echo "sequential read  $MB MiB (cold):  jfs $(mbps "$r_jfs") MiB/s, tmpfs $(mbps "$r_ref") MiB/s"

mkdir /mnt/bench/d
for i in $(seq 300); do : >"/mnt/bench/d/f$i"; done
umount /mnt/bench
mount -t jfs $URL /mnt/bench
ops() { tools/jfsadm status --json | python3 -c '
import json, sys
m = json.load(sys.stdin)["Mounts"][0]
print(" ".join("%s=%d" % (o["Op"], o["Count"]) for o in m["Ops"]))'; }
before=$(ops)
n=$(ls -l /mnt/bench/d | grep -c '^-')
after=$(ops)
echo "ls -l of $n entries on a cold mount: before [$before] after [$after]"
umount /mnt/bench
