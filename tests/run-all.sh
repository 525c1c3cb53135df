#!/usr/bin/env bash
# Runs every test and ends with one line "N passed, N failed" (tests/summarize.sh).
#
#   tests/run-all.sh            (what `make test` runs, after `make`)
#
# 1. host: `make -C lib units`, each tests/unit/test_* binary, and
#    tests/cli/t-jfsadm.sh, t-dump.sh, t-fsck.sh, t-systemd.sh, t-dkms.sh; their "PASS x"/"FAIL x"
#    lines become results.
# 2. VM: for each kernel in $JFS_TEST_KVERS (default: every /lib/modules/V
#    with /boot/vmlinuz-V and a build dir, oldest first): `make module KVER=V`
#    (into kmod/, so the newest kernel's build, `make`'s default, is what is
#    left there), then each VM suite in its own VM via tests/vm/run.sh -k V.
# 3. tests/summarize.sh over every results file: prints the failures and the
#    final line; exits non-zero on any failure or if nothing ran.
#
# Environment:
#   JFS_TEST_KVERS     kernels to test, space-separated
#   JFS_TEST_SUITES    VM suites (default: tests/it/guest.sh
#                      tests/sqlite/guest.sh tests/s3/guest.sh
#                      tests/kfuzz/t-badreply.sh tests/cli/t-status-vm.sh
#                      tests/sys/t-install.sh tests/peers/interop.sh
#                      tests/peers/interop-sqlite.sh tests/peers/backup.sh,
#                      those that exist; a
#                      suite whose peer is missing prints SKIP and counts 0)
#   JFS_TEST_SKIP_HOST=1 / JFS_TEST_SKIP_VM=1   skip a part
#   JFS_TEST_OUT       output dir (default: new /tmp/jfs-test.XXXXXX): one
#                      *.results file per part, VM output dirs per kernel,
#                      build logs, timing.log
#   JFS_TEST_VM_TIMEOUT  per-VM limit in seconds (default 1200)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
TOP=$PWD

OUT=${JFS_TEST_OUT:-$(mktemp -d /tmp/jfs-test.XXXXXX)}
mkdir -p "$OUT" || exit 2
TIMING=$OUT/timing.log
: >"$TIMING"
RESULTS=()
T_START=$SECONDS

say() { echo "run-all: $*"; }

# Records a duration line: LABEL START_SECONDS
timed() { printf '%-40s %5d s\n' "$1" $((SECONDS - $2)) | tee -a "$TIMING"; }

# to_results PREFIX FILE < output: keeps "PASS x"/"FAIL x" lines, named
# "PREFIX x", appended to FILE; prints how many it kept.
to_results() {
	local prefix=$1 file=$2 n=0 line
	while IFS= read -r line; do
		case $line in
		"PASS "* | "FAIL "*)
			echo "${line%% *} $prefix${line#* }" >>"$file"
			n=$((n + 1))
			;;
		esac
	done
	echo "$n"
}

# host_test FILE NAME CMD...: runs a host test program, keeps its results.
host_test() {
	local file=$1 name=$2 log rc=0 n
	shift 2
	log=$OUT/host-${name//\//-}.log
	"$@" </dev/null >"$log" 2>&1 || rc=$?
	n=$(to_results "$name: " "$file" <"$log")
	echo "  $name: $(grep -c '^PASS ' "$log") passed, $(grep -c '^FAIL ' "$log") failed (exit $rc)"
	if ((rc != 0)) && ! grep -q '^FAIL ' "$log"; then
		echo "FAIL $name: exited with status $rc and no FAIL line (see $log)" >>"$file"
		tail -n 20 "$log" | sed 's/^/    /'
	elif ((n == 0)); then
		echo "FAIL $name: printed no PASS/FAIL line (see $log)" >>"$file"
	fi
	grep '^FAIL ' "$log" | sed 's/^/    /'
}

# ---- 1. host ---------------------------------------------------------------
if [[ ${JFS_TEST_SKIP_HOST:-} != 1 ]]; then
	t0=$SECONDS
	f=$OUT/host.results
	: >"$f"
	RESULTS+=("$f")
	say "host: unit tests"
	if make -s -C lib units >"$OUT/host-build.log" 2>&1; then
		for t in tests/unit/test_*; do
			[[ -f $t && -x $t && $t != *.* ]] || continue
			host_test "$f" "unit/${t##*/}" "$t"
		done
	else
		echo "FAIL unit: make -C lib units failed (see $OUT/host-build.log)" >>"$f"
		tail -n 30 "$OUT/host-build.log"
	fi
	say "host: jfsadm CLI tests"
	host_test "$f" cli/t-jfsadm tests/cli/t-jfsadm.sh
	say "host: jfsadm dump and load against juicefs"
	host_test "$f" cli/t-dump tests/cli/t-dump.sh
	say "host: jfsadm fsck and gc against juicefs"
	host_test "$f" cli/t-fsck tests/cli/t-fsck.sh
	say "host: systemd units and DKMS packaging"
	host_test "$f" cli/t-systemd tests/cli/t-systemd.sh
	host_test "$f" cli/t-dkms tests/cli/t-dkms.sh
	say "host: the README's quick start (in a VM: this host cannot load modules)"
	host_test "$f" cli/t-quickstart tests/cli/t-quickstart.sh
	# KUnit needs a kernel with CONFIG_KUNIT: a UML build from
	# linux-source-6.1, cached outside the repo (cold ~4 min, warm ~7 s).
	say "host: KUnit (UML)"
	host_test "$f" kunit tests/kunit/run.sh
	say "host: checkpatch --strict"
	if out=$(tools/checkpatch.sh 2>&1) && ! grep -qE '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK)' <<<"$out"; then
		echo "PASS checkpatch: kmod/ and uapi/ are checkpatch --strict clean" >>"$f"
	else
		echo "FAIL checkpatch: complaints in kmod/ or uapi/ (tools/checkpatch.sh)" >>"$f"
		grep -E '^[^ ]+:[0-9]+: ' <<<"$out" | head -20 | sed 's/^/    /'
	fi
	timed "host (unit + cli + kunit + checkpatch)" "$t0"
fi

# ---- 2. VM suites, per kernel -------------------------------------------
default_kvers() {
	local d v
	for d in /lib/modules/*; do
		v=${d##*/}
		[[ -f /boot/vmlinuz-$v && -d $d/build ]] && echo "$v"
	done | sort -V
}

if [[ ${JFS_TEST_SKIP_VM:-} != 1 ]]; then
	read -r -a kvers <<<"${JFS_TEST_KVERS:-$(default_kvers | tr '\n' ' ')}"
	if [[ -n ${JFS_TEST_SUITES:-} ]]; then
		read -r -a suites <<<"$JFS_TEST_SUITES"
	else
		suites=()
		for s in tests/it/guest.sh tests/sqlite/guest.sh tests/s3/guest.sh \
			tests/kfuzz/t-badreply.sh tests/cli/t-status-vm.sh tests/sys/t-install.sh \
			tests/peers/interop.sh tests/peers/interop-sqlite.sh tests/peers/backup.sh; do
			[[ -f $s ]] && suites+=("$s")
		done
	fi
	if ((${#kvers[@]} == 0)); then
		echo "FAIL vm: no kernel with /boot/vmlinuz-V and /lib/modules/V/build" >>"$OUT/vm.results"
		RESULTS+=("$OUT/vm.results")
	fi
	last_built=
	for v in "${kvers[@]}"; do
		tk=$SECONDS
		f=$OUT/vm-$v.results
		: >"$f"
		RESULTS+=("$f")
		say "kernel $v: make module KVER=$v"
		if ! make -s module KVER="$v" >"$OUT/build-$v.log" 2>&1; then
			echo "FAIL [$v] build: make module KVER=$v failed (see $OUT/build-$v.log)" >>"$f"
			tail -n 30 "$OUT/build-$v.log"
			continue
		fi
		last_built=$v
		timed "[$v] make module" "$tk"
		for s in "${suites[@]}"; do
			# The peer suites check formats and the SQLite suite an
			# engine, not kernel paths: newest kernel only (unless
			# suites were named), to keep CI short.
			if [[ -z ${JFS_TEST_SUITES:-} && ($s == tests/peers/* || $s == tests/sqlite/*) &&
				$v != "${kvers[-1]}" ]]; then
				say "kernel $v: $s runs on ${kvers[-1]} only"
				continue
			fi
			ts=$SECONDS
			name=${s#tests/}
			name=${name%.sh}
			vmout=$OUT/vm-$v/${name//\//-}
			rm -rf "$vmout"
			mkdir -p "$vmout"
			say "kernel $v: $s (output in $vmout)"
			rc=0
			# MinIO's data, a 64 MiB test file and the it suites' volumes
			# (trash kept, writeback's own volume, the block cache) live
			# in the guest's tmpfs: half the guest's memory
			mem=2048
			[[ $s == tests/s3/* || $s == tests/peers/* || $s == tests/it/* ]] && mem=4096
			# The kernel path does not depend on the compression: the full
			# none/lz4/zstd matrix runs on the newest kernel, zstd elsewhere.
			# Likewise the fsx runs: 1000 ops per mode on the newest
			# kernel, 500 on older ones (long runs: by hand).
			comp=${JFS_S3_COMPRESS:-}
			fsxops=${JFS_FSX_OPS:-1000}
			if [[ $v != "${kvers[-1]}" ]]; then
				[[ -z $comp ]] && comp=zstd
				[[ -z ${JFS_FSX_OPS:-} ]] && fsxops=500
			fi
			JFS_FSX_OPS=$fsxops JFS_S3_COMPRESS=$comp JFS_VM_MEM=${JFS_VM_MEM:-$mem} tests/vm/run.sh -k "$v" -o "$vmout" -t "${JFS_TEST_VM_TIMEOUT:-1200}" -- "$TOP/$s" \
				>"$vmout/run.log" 2>&1 || rc=$?
			n=0
			[[ -f $vmout/results ]] && n=$(to_results "[$v] " "$f" <"$vmout/results")
			p=$(grep -c '^PASS ' "$vmout/results" 2>/dev/null)
			fl=$(grep -c '^FAIL ' "$vmout/results" 2>/dev/null)
			say "kernel $v: $s: ${p:-0} passed, ${fl:-0} failed, VM exit $rc"
			grep '^FAIL ' "$vmout/results" 2>/dev/null | sed 's/^/    /'
			# A VM that timed out, died or logged a kernel WARNING/BUG is a
			# failure even if every check it reached passed.
			if ((rc != 0)) && ! grep -q '^FAIL ' "$vmout/results" 2>/dev/null; then
				case $rc in
				124) why="VM timed out" ;;
				125) why="VM died" ;;
				*) why="exit status $rc (a kernel WARNING/BUG/Oops?)" ;;
				esac
				echo "FAIL [$v] $name: $why (see $vmout/run.log, $vmout/dmesg.txt)" >>"$f"
				sed -n '/kernel problems/,/^=====/p' "$vmout/run.log" | head -n 30 | sed 's/^/    /'
				tail -n 15 "$vmout/run.log" | sed 's/^/    /'
			elif ((n == 0)) && grep -q '^SKIP ' "$vmout/run.log"; then
				# only the interop suite may skip: its peer could not be had
				grep '^SKIP ' "$vmout/run.log" | sed "s/^/run-all: [$v] /"
			elif ((n == 0)); then
				echo "FAIL [$v] $name: no results (see $vmout/run.log)" >>"$f"
			fi
			[[ -f $vmout/timing.log ]] && sed "s/^/  [$v] /" "$vmout/timing.log" | tee -a "$TIMING"
			timed "[$v] $name (VM, incl. boot)" "$ts"
		done
		timed "[$v] total" "$tk"
	done
	# Leave kmod/ built for make's default kernel, as `make` left it.
	def=$(make -s --no-print-directory -f - print-kver <<<'include Makefile
print-kver: ; @echo $(KVER)' 2>/dev/null)
	if [[ -n $last_built && -n $def && $last_built != "$def" ]]; then
		say "rebuilding the module for $def (make's default)"
		make -s module KVER="$def" >"$OUT/build-$def.log" 2>&1 ||
			echo "FAIL build: make module KVER=$def failed" >>"$OUT/vm-$last_built.results"
	fi
fi

timed "run-all total" "$T_START"
say "output in $OUT; timings in $TIMING"
echo
tests/summarize.sh "${RESULTS[@]}"
