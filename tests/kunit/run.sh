#!/usr/bin/env bash
# KUnit tests of the module's pure logic (kmod/jfs_kunit.c), run under UML.
#
#   tests/kunit/run.sh
#
# Unpacks linux-source-6.1 once into $JFS_KUNIT_CACHE (default
# /var/cache/jfs-kunit), copies kmod/ into that tree as fs/jfsk/ (and
# uapi/*.h into fs/uapi/, so "../uapi/jfs.h" resolves), hooks fs/jfsk
# into the cached tree's fs/Kconfig and fs/Makefile, and runs kunit.py for
# ARCH=um.  Nothing in the repository is modified.  Prints "PASS name" /
# "FAIL name: why" per test case; exits non-zero on any failure.
#
# Environment: JFS_KUNIT_CACHE (cache dir), JFS_KUNIT_JOBS (default: nproc).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
TOP=$PWD
CACHE=${JFS_KUNIT_CACHE:-/var/cache/jfs-kunit}
JOBS=${JFS_KUNIT_JOBS:-$(nproc)}
TARBALL=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null | tail -n 1)

fail() { echo "FAIL kunit: $*"; exit 1; }

[[ -n $TARBALL ]] || fail "install linux-source-6.1 (no /usr/src/linux-source-6.1.tar.xz)"
top=$(basename "$TARBALL" .tar.xz)
SRC=$CACHE/$top
if [[ ! -f $SRC/.jfs-unpacked ]]; then
	mkdir -p "$CACHE" || fail "cannot create $CACHE"
	rm -rf "$SRC"
	tar -xJf "$TARBALL" -C "$CACHE" || fail "cannot unpack $TARBALL"
	touch "$SRC/.jfs-unpacked"
fi

# put FILE DEST: copies only if the content differs (keeps mtimes, so a
# warm build recompiles nothing)
put() { cmp -s "$1" "$2" || cp "$1" "$2"; }
mkdir -p "$SRC/fs/jfsk" "$SRC/fs/uapi" || fail "cannot write into $SRC"
for f in kmod/*.c kmod/*.h; do
	case $f in *.mod.c | */compat_gen.h) continue ;; esac
	put "$f" "$SRC/fs/jfsk/${f##*/}"
done
for f in uapi/*.h; do
	put "$f" "$SRC/fs/uapi/${f##*/}"
done
gen=$(mktemp) || exit 2
sh kmod/compat-probe.sh "$SRC" >"$gen" || fail "compat-probe.sh failed"
put "$gen" "$SRC/fs/jfsk/compat_gen.h"
rm -f "$gen"

tmp=$(mktemp) || exit 2
cat >"$tmp" <<'KCONFIG'
# SPDX-License-Identifier: GPL-2.0
# Written by jfs tests/kunit/run.sh
config JFSK_KUNIT_TEST
	bool "KUnit tests for the jfsk module's pure logic"
	depends on KUNIT && NET
	select FS_POSIX_ACL
KCONFIG
put "$tmp" "$SRC/fs/jfsk/Kconfig"
# The test file includes super.c, dev.c and xattr.c (for their static
# helpers), so those are not built on their own.
cat >"$tmp" <<'MAKEFILE'
# SPDX-License-Identifier: GPL-2.0
# Written by jfs tests/kunit/run.sh
obj-$(CONFIG_JFSK_KUNIT_TEST) += jfsk.o
jfsk-y := jfs_kunit.o inode.o dir.o file.o addr.o notify.o netlink.o acl.o lock.o falloc.o
ccflags-y := -Werror
MAKEFILE
put "$tmp" "$SRC/fs/jfsk/Makefile"
cat >"$tmp" <<'KUNITCONFIG'
CONFIG_KUNIT=y
CONFIG_NET=y
CONFIG_JFSK_KUNIT_TEST=y
KUNITCONFIG
put "$tmp" "$CACHE/jfsk.kunitconfig"
rm -f "$tmp"
grep -q '^source "fs/jfsk/Kconfig"' "$SRC/fs/Kconfig" ||
	echo 'source "fs/jfsk/Kconfig"' >>"$SRC/fs/Kconfig"
grep -q 'CONFIG_JFSK_KUNIT_TEST' "$SRC/fs/Makefile" ||
	echo 'obj-$(CONFIG_JFSK_KUNIT_TEST) += jfsk/' >>"$SRC/fs/Makefile"

log=$CACHE/last-run.log
rc=0
(cd "$SRC" && python3 tools/testing/kunit/kunit.py run --arch=um \
	--kunitconfig="$CACHE/jfsk.kunitconfig" \
	--build_dir="$CACHE/build" --jobs="$JOBS" --timeout=300 \
	'jfsk.*') >"$log" 2>&1 || rc=$?

# kunit.py prints "[PASSED] case" / "[FAILED] case" (and the same for the
# suite, "jfsk"); a failed expectation is logged just before its [FAILED].
awk '
	{ sub(/^\[[0-9:]+\] /, "") }
	/(EXPECTATION|ASSERTION) FAILED/ && why == "" { why = $0; sub(/^ *# */, "", why); sub(/fs\/jfsk\//, "kmod/", why) }
	/^ *\[(PASSED|FAILED|CRASHED|SKIPPED|TIMED OUT)\] / {
		name = $0; sub(/^ *\[[A-Z ]+\] /, "", name)
		if (name == "jfsk") { next }
		n++
		if ($0 ~ /\[PASSED\]/) print "PASS jfsk." name
		else if ($0 ~ /\[SKIPPED\]/) print "PASS jfsk." name " (skipped)"
		else { st = $0; sub(/^ *\[/, "", st); sub(/\].*/, "", st)
			print "FAIL jfsk." name ": " tolower(st) (why != "" ? ", " why : "") }
		why = ""
	}
	END { if (!n) exit 1 }
' "$log"
parsed=$?
if ((rc != 0)); then
	grep -q '^\[[0-9:]*\] *\[FAILED\]\|\[CRASHED\]' "$log" ||
		{ tail -n 30 "$log"; echo "FAIL kunit: kunit.py exited with status $rc (see $log)"; }
	exit 1
fi
((parsed == 0)) || { tail -n 30 "$log"; fail "kunit.py ran no jfsk test case (see $log)"; }
grep -q '^\[[0-9:]*\] *\[FAILED\]' "$log" && exit 1
exit 0
