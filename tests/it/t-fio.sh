#!/bin/bash
# Data integrity under real workloads: fio writes with verify=crc32c
# (sequential and random, several jobs at once, each job verifying what it
# wrote), the same files verified again through a second mount (close-to-
# open between clients), and dbench's file-server mix.  Sizes are small:
# under TCG every syscall is ~100x slower, and the point is correctness.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

A=/mnt/ioa
B=/mnt/iob
JOBS=${JFS_FIO_JOBS:-3}

t_begin "fio: setup"
expect_ok "mount $A" -- mount_vol $A
expect_ok "mount $B" -- mount_vol $B
if ! is_jfs_mount $A || ! is_jfs_mount $B; then t_summary; exit 1; fi
mkdir -p $A/fio $A/dbench

# fio exits non-zero and prints "verify:" errors on a bad block; the group
# status line must also show every job finished.
run_fio() { # NAME DIR ARGS...
	local name=$1 dir=$2 out rc=0 t0
	shift 2
	t0=$(now_ms)
	out=$(fio --name="$name" --directory="$dir" --ioengine=psync \
		--numjobs="$JOBS" --group_reporting --verify=crc32c \
		--verify_fatal=1 --output-format=terse --terse-version=3 "$@" 2>&1) || rc=$?
	echo "fio $name: $(( $(now_ms) - t0 )) ms" | tee -a /vmout/timing.log
	expect_eq "fio $name: exit 0, no verify errors" "0 0" \
		"$rc $(grep -ci 'verify.*\(bad\|fail\|error\)' <<<"$out")"
	(( rc == 0 )) || echo "$out" | tail -n 20
}

t_begin "fio: sequential"
run_fio seq $A/fio --rw=write --bs=64k --size=2m --end_fsync=1
t_begin "fio: random"
run_fio rand $A/fio --rw=randwrite --bs=4k --size=1m --fsync=64
t_begin "fio: random, mixed block sizes, overwrite"
run_fio mixed $A/fio --rw=randrw --bsrange=512-32k --size=1m \
	--verify_backlog=16
t_begin "fio: the other mount verifies"
# verify_only re-reads the files the 'rand' jobs wrote and checks every
# block's header and crc32c, on the second client.
run_fio rand $B/fio --rw=randwrite --bs=4k --size=1m --verify_only

t_begin "fio: a corrupted block is caught"
# The check must be able to fail: flip one byte in a file fio wrote, then
# verification on the other mount must report it.
f=$(ls $A/fio/seq.0.0 2>/dev/null)
if [[ -n $f ]]; then
	printf 'X' | dd of="$f" bs=1 seek=70000 conv=notrunc status=none
	sync
	rc=0
	out=$(fio --name=seq --directory=$B/fio --ioengine=psync --numjobs=1 \
		--verify=crc32c --rw=write --bs=64k --size=2m --verify_only 2>&1) || rc=$?
	expect_eq "fio verify_only fails on the corrupted file" "1" "$((rc != 0))"
else
	t_fail "fio left no seq.0.0 file"
fi

t_begin "dbench"
t0=$(now_ms)
rc=0
out=$(dbench -D $A/dbench -t "${JFS_DBENCH_SECS:-10}" -c /usr/share/dbench/client.txt 2 2>&1) || rc=$?
echo "dbench: $(( $(now_ms) - t0 )) ms" | tee -a /vmout/timing.log
echo "$out" | grep -E 'Throughput|Operation|ERROR|failed' | head -n 20
# (its start barrier is a SysV semaphore, which the guest may lack: harmless)
expect_eq "dbench 2 clients: exit 0, no errors" "0 0" \
	"$rc $(grep -iE 'ERROR|failed' <<<"$out" | grep -vc 'barrier semaphore')"
expect_eq "dbench reports a throughput" 1 "$(grep -c '^Throughput' <<<"$out")"

t_begin "fio: cleanup"
ok "rm the files" -- rm -rf $A/fio $A/dbench
ok "umount $A" -- umount_vol $A
ok "umount $B" -- umount_vol $B
t_summary
