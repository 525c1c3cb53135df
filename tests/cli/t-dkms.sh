#!/usr/bin/env bash
# DKMS builds the module from the packaged source (make dkms-src) for
# every installed kernel with headers, in a private DKMS tree, and the
# result is a module for that kernel.
# Prints "PASS title" / "FAIL title" lines; exits non-zero on a failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2

fails=0
ok() { echo "PASS $1"; }
not_ok() { echo "FAIL $1"; fails=$((fails + 1)); }

if ! command -v dkms >/dev/null; then
	not_ok "dkms is installed (tools/install-deps.sh installs it)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
src=$tmp/src/jfsk-$ver
if make -s dkms-src DKMS_SRC="$src" >"$tmp/src.log" 2>&1; then
	ok "make dkms-src lays out the module source"
else
	not_ok "make dkms-src lays out the module source"
	cat "$tmp/src.log"
	exit 1
fi
mkdir -p "$tmp/tree"
d=(--sourcetree "$tmp/src" --dkmstree "$tmp/tree")
if dkms add -m jfsk -v "$ver" "${d[@]}" >"$tmp/add.log" 2>&1; then
	ok "dkms add jfsk/$ver"
else
	not_ok "dkms add jfsk/$ver"
	cat "$tmp/add.log"
fi
for m in /lib/modules/*/build; do
	k=$(basename "$(dirname "$m")")
	[[ -f /boot/vmlinuz-$k ]] || continue
	if dkms build -m jfsk -v "$ver" -k "$k" "${d[@]}" >"$tmp/build-$k.log" 2>&1; then
		ok "dkms build for $k"
	else
		not_ok "dkms build for $k"
		tail -n 30 "$tmp/build-$k.log"
		continue
	fi
	ko=$(find "$tmp/tree/jfsk/$ver/$k" -name 'jfsk.ko*' | head -n1)  # .ko.xz on 6.12
	vm=$(modinfo -F vermagic "$ko" 2>/dev/null)
	if [[ $vm == "$k "* ]]; then
		ok "the DKMS-built jfsk.ko is for $k"
	else
		not_ok "the DKMS-built jfsk.ko is for $k (vermagic '$vm')"
	fi
done
exit $((fails > 0))
