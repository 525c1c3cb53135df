#!/usr/bin/env bash
# The README's quick start, as a newcomer runs it: tools/quickstart.sh on
# this host.  A container cannot load modules, so it runs the flow in the
# test VM, twice in that fresh machine (the second run must find
# everything in place and change nothing), on the embedded default:
# SQLite metadata and the local object store, no server to set up.
# Prints "PASS title" / "FAIL title" lines; exits non-zero on a failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2

fails=0
ok() { echo "PASS quickstart: $1"; }
not_ok() { echo "FAIL quickstart: $1"; fails=$((fails + 1)); }
has() { # TITLE PATTERN: the output has a line matching PATTERN
	if grep -qE -- "$2" <<<"$out"; then ok "$1"; else not_ok "$1 (no line like '$2')"; fi
}

rc=0
out=$(JFS_FORCE_VM=1 tools/quickstart.sh 2>&1) || rc=$?
echo "$out" | sed 's/^/    | /'
if ((rc == 0)); then ok "tools/quickstart.sh exits 0"; else not_ok "tools/quickstart.sh exits 0 (got $rc)"; fi
has "says the host cannot load modules and uses the VM" "cannot load modules"
has "the first run formats an embedded volume, objects under /var/lib/jfs/" \
	"formatted volume 'myjfs' .*with data in file '/var/lib/jfs/'"
has "the first run mounts it at /mnt/jfs" "mounted sqlite3:///var/lib/jfs/myjfs.db at /mnt/jfs"
has "the second run finds the volume formatted" "volume at sqlite3:///var/lib/jfs/myjfs.db already formatted"
has "the second run finds it mounted" "/mnt/jfs already mounted"
has "the volume works: the file written reads back" "read back /mnt/jfs/hello.txt: hello from jfs"
has "jfsadm status shows the mount" "/mnt/jfs"
has "it says where things are and how to undo it" "to undo: umount /mnt/jfs"
exit $((fails > 0))
