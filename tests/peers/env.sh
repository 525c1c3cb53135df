# shellcheck shell=bash
# The juicefs peer for the interop suite (installed by install-juicefs.sh).
: "${JFS_JUICEFS:=/var/cache/jfs-peers/juicefs-1.4.2/juicefs}"
export JFS_JUICEFS

# juicefs_available: 0 if the peer runs, else says why and returns 1.
juicefs_available() {
	if [[ ! -x $JFS_JUICEFS ]]; then
		echo "no juicefs binary at $JFS_JUICEFS (run tests/peers/install-juicefs.sh)" >&2
		return 1
	fi
	if ! "$JFS_JUICEFS" version >/dev/null 2>&1; then
		echo "$JFS_JUICEFS does not run" >&2
		return 1
	fi
}
