#!/bin/bash
# jfs vs the real juicefs (FUSE) vs tmpfs, from one VM run: a measurement,
# not a timed test.  Both clients on one redis-server (their own dbs),
# both with file stores and block caches on the guest's tmpfs, so only the
# client differs; under emulation only the ratios mean anything.
#
#   JFS_VM_MEM=6144 tests/vm/run.sh -t 5400 -o /tmp/bench -- tests/bench/vs-juicefs.sh
#
# Prints one table (markdown) on stdout and in /vmout/vs-juicefs.md.  The
# data rows run once with default caches (1 s attr/entry on both; cache
# timeouts do not touch the data path); the metadata rows run with the
# defaults and again with both clients tuned to 3600 s caches.
#   JFS_BENCH_MB (128)   size of the first sequential runs
#   JFS_BENCH_MB2 (256)  total size of the 1- and 4-job runs
#   JFS_BENCH_SECS (5)   length of each fio random-read run
#   JFS_BENCH_N (300)    files per metadata-rate run
#   JFS_BENCH_BIG (10000) entries of the big `ls -l`
#   JFS_BENCH_RMB (64)   size of the random-read file
# "CPU s/GiB" is all CPU time the guest spent (user + system of every
# process: dd, jfsd or juicefs, the kernel) per GiB moved, from /proc/stat.
# "cmds/op" is Redis commands (INFO commandstats) per operation.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/it/env.sh
. tests/peers/env.sh

[[ ${JFS_VM:-} == 1 ]] || { echo "vs-juicefs.sh: runs inside the test VM only" >&2; exit 2; }
juicefs_available || exit 1

MB=${JFS_BENCH_MB:-128}
MB2=${JFS_BENCH_MB2:-256}
SECS=${JFS_BENCH_SECS:-5}
N=${JFS_BENCH_N:-300}
BIG=${JFS_BENCH_BIG:-10000}
RMB=${JFS_BENCH_RMB:-64}
PORT=6395
J=/mnt/bj	# jfs
F=/mnt/bf	# juicefs
T=/tmp/bt	# tmpfs (the guest's /tmp is tmpfs)
JURL=redis://127.0.0.1:$PORT/1
FURL=redis://127.0.0.1:$PORT/2
OUT=/vmout/vs-juicefs.md

start_redis $PORT || exit 1
grep -qw jfsk /proc/modules || insmod kmod/jfsk.ko || exit 1
JFS_IT_JFSD_LOG=/vmout/jfsd-bench.log JFS_IT_JFSD_ARGS="--cache-dir /tmp/jfscache" start_jfsd ||
	exit 1
tools/jfsadm format --bucket /tmp/bj-data/ "$JURL" bench-jfs >/dev/null || exit 1
jc format --storage file --bucket /tmp/bf-data/ "$FURL" bench-juicefs >/vmout/juicefs-format.log 2>&1 || exit 1
mkdir -p $J $F $T

JFS_LONG=attr_timeout=3600,entry_timeout=3600
JFS_MOUNTED=
mount_j() { mount -t jfs ${1:+-o "$1"} "$JURL" $J && JFS_MOUNTED=${1:-default}; }
# juicefs_mount with extra options: the 3600 s caches
mount_f() {
	if [[ -n ${1:-} ]]; then
		mkdir -p /tmp/jjcache-bf
		jc mount -d --no-usage-report --no-syslog --backup-meta 0 \
			--cache-dir /tmp/jjcache-bf --log /vmout/juicefs-bench.log \
			--attr-cache 3600 --entry-cache 3600 --dir-entry-cache 3600 \
			"$FURL" $F >>/vmout/juicefs.log 2>&1
	else
		juicefs_mount "$FURL" $F /vmout/juicefs-bench.log
	fi
}
# remount FS [long]: a cold page cache, dcache and attribute cache
remount() {
	case $1 in
	jfs) umount $J && mount_j "${2:+$JFS_LONG}" ;;
	juicefs) umount $F && mount_f "${2:-}" ;;
	tmpfs) sync; echo 3 >/proc/sys/vm/drop_caches ;;
	esac
}
dir_of() { case $1 in jfs) echo $J ;; juicefs) echo $F ;; tmpfs) echo $T ;; esac; }
mount_j && mount_f || exit 1

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# busy CPU ticks of the whole guest so far
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
cpu_secs() { awk -v a="$1" -v b="$(cpu_ticks)" -v hz="$(getconf CLK_TCK)" \
	'BEGIN { printf "%.2f", (b - a) / hz }'; }
redis_calls() { redis-cli -p $PORT info commandstats |
	awk -F'[:=,]' '/^cmdstat_/ && $1 !~ /cmdstat_(info|ping)$/ { s += $3 } END { print s + 0 }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
fio_iops() { fio --output-format=terse --terse-version=3 "$@" 2>/dev/null |
	awk -F';' '{ printf "%.0f", $8 }'; }

ROWS=()
# row NAME UNIT HIGHER_IS_BETTER JFS JUICEFS TMPFS: one line of the table;
# the ratios say how many times better jfs is (>1 = jfs wins).
row() {
	local name=$1 unit=$2 hib=$3 j=$4 f=$5 t=$6 rf rt
	if [[ $hib == 1 ]]; then
		rf=$(ratio "$j" "$f") rt=$( [[ $t == - ]] && echo - || ratio "$j" "$t")
	else
		rf=$(ratio "$f" "$j") rt=$( [[ $t == - ]] && echo - || ratio "$t" "$j")
	fi
	ROWS+=("| $name | $j | $f | $t | $unit | $rf | $rt |")
	echo "bench: $name: jfs $j, juicefs $f, tmpfs $t $unit (vs juicefs $rf, vs tmpfs $rt)" >&2
}

# --- data path ------------------------------------------------------------
# seq FS MiB JOBS: sequential write (+fsync) then cold read of MiB in total,
# split over JOBS files; sets W R (seconds) and WC RC (CPU s per GiB)
seq_run() {
	local d c0 t0 i
	d=$(dir_of "$1")/seq$3
	mkdir -p "$d"
	sync
	c0=$(cpu_ticks) t0=$(now)
	for ((i = 0; i < $3; i++)); do
		dd if=/dev/zero of="$d/f$i" bs=1M count=$(($2 / $3)) conv=fsync status=none &
	done
	wait
	W=$(elapsed "$t0") WC=$(awk -v c="$(cpu_secs "$c0")" -v mb="$2" 'BEGIN { printf "%.1f", c * 1024 / mb }')
	remount "$1"
	c0=$(cpu_ticks) t0=$(now)
	for ((i = 0; i < $3; i++)); do
		dd if="$d/f$i" of=/dev/null bs=1M status=none &
	done
	wait
	R=$(elapsed "$t0") RC=$(awk -v c="$(cpu_secs "$c0")" -v mb="$2" 'BEGIN { printf "%.1f", c * 1024 / mb }')
	rm -rf "$d"
}
seq_rows() { # MiB JOBS
	local fs w=() r=() wc=() rc=()
	for fs in jfs juicefs tmpfs; do
		seq_run $fs "$1" "$2"
		w+=("$W") r+=("$R") wc+=("$WC") rc+=("$RC")
	done
	row "sequential write $1 MiB + fsync, $2 job(s)" s 0 "${w[@]}"
	row "sequential read $1 MiB cold, $2 job(s)" s 0 "${r[@]}"
	row "CPU s/GiB, that write" "CPU s" 0 "${wc[@]}"
	row "CPU s/GiB, that read" "CPU s" 0 "${rc[@]}"
}
seq_rows "$MB" 1
seq_rows "$MB2" 1
seq_rows "$MB2" 4

# 4 KiB random reads: page-cached (fio told not to drop the cache, which
# it does by default), cold (file store only), and from the block cache
# (the page cache dropped, the client's block cache warm).
rand_rows() {
	local fs d pc=() cold=() bc=()
	for fs in jfs juicefs tmpfs; do
		d=$(dir_of $fs)
		dd if=/dev/urandom of="$d/rand" bs=1M count=$RMB conv=fsync status=none
		remount $fs
		cold+=("$(fio_iops --name=c --filename="$d/rand" --rw=randread --bs=4k \
			--ioengine=psync --size=${RMB}m --runtime="$SECS" --time_based)")
		bc+=("$(fio_iops --name=b --filename="$d/rand" --rw=randread --bs=4k \
			--ioengine=psync --size=${RMB}m --runtime="$SECS" --time_based)")
		cat "$d/rand" >/dev/null
		pc+=("$(fio_iops --name=p --filename="$d/rand" --rw=randread --bs=4k \
			--ioengine=psync --invalidate=0 --size=${RMB}m --runtime="$SECS" --time_based)")
		rm -f "$d/rand"
	done
	row "4 KiB random read, page-cached (fio psync)" IOPS 1 "${pc[@]}"
	row "4 KiB random read, cold" IOPS 1 "${cold[@]}"
	row "4 KiB random read, from the block cache" IOPS 1 "${bc[@]}"
}
rand_rows

# --- trees ----------------------------------------------------------------
# the first 1,860 files of /usr/include: a source tree, the same on every run
SRC=/tmp/bench-src.tar
(cd /usr/include && find . -type f | LC_ALL=C sort | head -n 1860 |
	tar -cf $SRC -T -) || exit 1
tree_rows() {
	local fs d t0 u=() b=() x=()
	for fs in jfs juicefs tmpfs; do
		d=$(dir_of $fs)/tree
		mkdir -p "$d"
		t0=$(now)
		tar -xf $SRC -C "$d" && sync
		u+=("$(elapsed "$t0")")
		remount $fs
		t0=$(now)
		tar -cf - -C "$d" . | cat >/dev/null
		b+=("$(elapsed "$t0")")
		remount $fs
		t0=$(now)
		rm -rf "$d"
		x+=("$(elapsed "$t0")")
	done
	row "untar 1,860-file tree ($(du -sm $SRC | cut -f1) MiB) + sync" s 0 "${u[@]}"
	row "read that tree back cold" s 0 "${b[@]}"
	row "rm -rf that tree cold" s 0 "${x[@]}"
}
tree_rows

# the untar again with blocks staged locally and uploaded in the background
# (jfs -o writeback, juicefs --writeback); no tmpfs column
staged_left() { find /tmp/jfscache/*/rawstaging /tmp/jjcache-bf/*/rawstaging -type f 2>/dev/null | wc -l; }
writeback_rows() {
	local fs d t0 u=() i
	umount $J && mount_j writeback || exit 1
	umount $F && juicefs_mount "$FURL" $F /vmout/juicefs-bench.log --writeback || exit 1
	for fs in jfs juicefs; do
		d=$(dir_of $fs)/tree-wb
		mkdir -p "$d"
		t0=$(now)
		tar -xf $SRC -C "$d" && sync
		u+=("$(elapsed "$t0")")
	done
	row "untar that tree + sync, writeback" s 0 "${u[@]}" -
	# let both finish uploading before the next rows measure anything
	for ((i = 0; i < 300 && $(staged_left) > 0; i++)); do sleep 1; done
	rm -rf $J/tree-wb $F/tree-wb
	umount $J && mount_j && umount $F && mount_f || exit 1
}
writeback_rows

# --- metadata -------------------------------------------------------------
# python: one process, so the rate is the file system's, not fork's
pyops() { # OP DIR N -> ops/s
	python3 - "$@" <<'EOF'
import os, sys, time, threading
op, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = [os.path.join(d, "e%d" % i) for i in range(n)]
def create(ns):
	for p in ns: os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644))
fns = {
	"create": create,
	"unlink": lambda ns: [os.unlink(p) for p in ns],
	"mkdir": lambda ns: [os.mkdir(p) for p in ns],
	"rmdir": lambda ns: [os.rmdir(p) for p in ns],
	"stat": lambda ns: [os.stat(p) for p in ns],
	"stat10": lambda ns: [os.stat(p) for r in range(10) for p in ns],
}
t0 = time.time()
if op == "create16":
	ts = [threading.Thread(target=create, args=(names[i::16],)) for i in range(16)]
	[t.start() for t in ts]
	[t.join() for t in ts]
	k = n
else:
	fns[op](names)
	k = n * (10 if op == "stat10" else 1)
print("%.0f" % (k / (time.time() - t0)))
EOF
}
# rate of OP on FS (dir $d/m), and Redis commands per op into CPO
op_rate() { # FS OP COUNT
	local c0
	c0=$(redis_calls)
	RATE=$(pyops "$2" "$(dir_of "$1")/m" "$3")
	CPO=$(awk -v a="$c0" -v b="$(redis_calls)" -v n="$3" 'BEGIN { printf "%.1f", (b - a) / n }')
}
meta_rows() { # "" or long
	local fs d tag=${1:+, 3600 s caches} cr=() ul=() mk=() rm_=() sc=() ls_=() sw=() c16=()
	local ccr=() csc=() t0 i
	[[ -n ${1:-} ]] && { remount jfs long; remount juicefs long; }
	for fs in jfs juicefs tmpfs; do
		d=$(dir_of $fs)/m
		mkdir -p "$d"
		op_rate $fs create "$N"
		cr+=("$RATE") ccr+=("$CPO")
		op_rate $fs unlink "$N"
		ul+=("$RATE")
		op_rate $fs mkdir "$N"
		mk+=("$RATE")
		op_rate $fs rmdir "$N"
		rm_+=("$RATE")
		pyops create "$d" 400 >/dev/null
		remount $fs "${1:-}"
		op_rate $fs stat 400
		sc+=("$RATE") csc+=("$CPO")
		sw+=("$(pyops stat10 "$d" 400)")
		remount $fs "${1:-}"
		t0=$(now)
		ls -l "$d" >/dev/null
		ls_+=("$(rate 400 "$(elapsed "$t0")")")
		rm -rf "$d"
		mkdir -p "$d"
		c16+=("$(pyops create16 "$d" "$N")")
		rm -rf "$d"
	done
	ccr[2]=- csc[2]=-
	row "create$tag" ops/s 1 "${cr[@]}"
	row "unlink$tag" ops/s 1 "${ul[@]}"
	row "mkdir$tag" ops/s 1 "${mk[@]}"
	row "rmdir$tag" ops/s 1 "${rm_[@]}"
	row "create, 16 threads$tag" ops/s 1 "${c16[@]}"
	row "stat cold$tag" ops/s 1 "${sc[@]}"
	row "stat warm$tag" ops/s 1 "${sw[@]}"
	row "ls -l 400 entries cold$tag" entries/s 1 "${ls_[@]}"
	row "Redis commands per create$tag" cmds/op 0 "${ccr[@]}"
	row "Redis commands per cold stat$tag" cmds/op 0 "${csc[@]}"
}
meta_rows
meta_rows long

big_ls() {
	local fs d t0 l=()
	for fs in jfs juicefs tmpfs; do
		d=$(dir_of $fs)/big
		mkdir -p "$d"
		pyops create "$d" "$BIG" >/dev/null
		remount $fs long
		t0=$(now)
		ls -l "$d" >/dev/null
		l+=("$(rate "$BIG" "$(elapsed "$t0")")")
		rm -rf "$d"
	done
	row "ls -l $BIG entries cold, 3600 s caches" entries/s 1 "${l[@]}"
}
big_ls

{
	echo "| workload | jfs | juicefs | tmpfs | unit | jfs vs juicefs | jfs vs tmpfs |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "kernel $(uname -r), $(nproc) CPUs, $(jc version | head -n 1), jfs $(git describe --always --dirty 2>/dev/null)"
} | tee $OUT
umount $J
umount $F
exit 0
