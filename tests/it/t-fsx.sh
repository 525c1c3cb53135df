#!/bin/bash
# The fsx-style verifier (tests/fsx/jfsx.c) on jfs: random writes, reads,
# truncates, mapped writes and reads, punch hole and zero range
# (fallocate), clone range (FICLONERANGE), copy_file_range, fsync, reopen,
# every read checked against an in-memory model.  First on one mount, then
# the same file through two mounts, alternating at each reopen (close-to-
# open between clients).  JFS_FSX_OPS sets the number of operations per
# run (default 2000: ~30 ms per op under TCG, so CI stays short; longer
# runs by hand); JFS_FSX_SKIP ops to leave out (e.g. "punch,zero,clone");
# JFS_FSX_ARGS more jfsx options (e.g. "-l 1048576 -o 65536" for the long
# runs: smaller files and ops, so more operations per minute);
# JFS_FSX_PROGRESS=N logs a progress line every N ops to
# /vmout/fsx-progress.log while it runs.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

A=/mnt/fa
B=/mnt/fb
OPS=${JFS_FSX_OPS:-2000}
SKIP=${JFS_FSX_SKIP-}
FSX=/tmp/jfsx

t_begin "fsx: setup"
expect_ok "build jfsx" -- cc -std=gnu11 -O2 -Wall -Werror -o $FSX tests/fsx/jfsx.c
expect_ok "mount $A" -- mount_vol $A
expect_ok "mount $B" -- mount_vol $B
if ! is_jfs_mount $A || ! is_jfs_mount $B; then t_summary; exit 1; fi
mkdir -p $A/fsx

run_fsx() { # NAME ARGS...
	local name=$1 t0 out rc=0
	shift
	t0=$(now_ms)
	# shellcheck disable=SC2086 # JFS_FSX_ARGS is a list of options
	if [[ -n ${JFS_FSX_PROGRESS:-} ]]; then
		echo "fsx $name: $OPS ops" >>/vmout/fsx-progress.log
		out=$("$FSX" -N "$OPS" ${SKIP:+-x "$SKIP"} -P "$JFS_FSX_PROGRESS" ${JFS_FSX_ARGS:-} "$@" \
			2> >(tee -a /vmout/fsx-progress.log)) || rc=$?
	else
		out=$("$FSX" -N "$OPS" ${SKIP:+-x "$SKIP"} ${JFS_FSX_ARGS:-} "$@" 2>&1) || rc=$?
	fi
	echo "$out" | tail -n 40
	echo "fsx $name: $(( $(now_ms) - t0 )) ms" | tee -a /vmout/timing.log
	expect_eq "$name: $OPS ops, 0 mismatches" "0 $OPS" \
		"$rc $(sed -n 's/^jfsx: \([0-9]*\) ops, 0 mismatches.*/\1/p' <<<"$out")"
}

# JFS_FSX_ONLY=one|two runs just one of the two modes (long runs in parallel)
if [[ ${JFS_FSX_ONLY:-two} == one || -z ${JFS_FSX_ONLY:-} ]]; then
	t_begin "fsx: one client"
	run_fsx "one mount, seed 1" -S 1 $A/fsx/one
fi
if [[ ${JFS_FSX_ONLY:-one} == two || -z ${JFS_FSX_ONLY:-} ]]; then
	t_begin "fsx: two clients"
	run_fsx "two mounts alternating, seed 2" -S 2 $A/fsx/two $B/fsx/two
fi

t_begin "fsx: cleanup"
ok "rm the files" -- rm -rf $A/fsx
ok "umount $A" -- umount_vol $A
ok "umount $B" -- umount_vol $B
t_summary
