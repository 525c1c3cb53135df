#!/usr/bin/env bash
# The systemd units pass `systemd-analyze verify` (with ExecStart pointed
# at the jfsd just built, since verify checks that executables exist), and
# say what the design needs: Type=notify, restart on failure, ordered
# before remote-fs; the mount example requires jfsd.service and _netdev.
# Prints "PASS title" / "FAIL title" lines; exits non-zero on a failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2

fails=0
ok() { echo "PASS $1"; }
not_ok() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { # TITLE CMD...
	local t=$1
	shift
	if "$@"; then ok "$t"; else not_ok "$t"; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=/usr/sbin/jfsd|ExecStart=$PWD/daemon/jfsd|" \
	tools/systemd/jfsd.service >"$tmp/jfsd.service"
cp tools/systemd/mnt-jfs.mount.example "$tmp/mnt-jfs.mount"
if systemd-analyze verify "$tmp/jfsd.service" "$tmp/mnt-jfs.mount" >"$tmp/out" 2>&1 &&
	! grep -q . "$tmp/out"; then
	ok "systemd-analyze verify: jfsd.service and the mount example are clean"
else
	not_ok "systemd-analyze verify: jfsd.service and the mount example are clean"
	cat "$tmp/out"
fi
# a broken unit must fail the same check, or the check proves nothing
printf '[Service]\nType=notify\nExecStart=/nonexistent/jfsd\n' >"$tmp/bad.service"
check "systemd-analyze verify rejects a unit whose binary is missing" \
	bash -c "! systemd-analyze verify '$tmp/bad.service' >/dev/null 2>&1"

u=tools/systemd/jfsd.service
check "jfsd.service: Type=notify (jfsd sends READY=1)" grep -qx 'Type=notify' $u
check "jfsd.service: restarts on failure" grep -qx 'Restart=on-failure' $u
check "jfsd.service: starts before remote file systems" grep -qE '^Before=.*remote-fs' $u
check "jfsd.service: wanted by remote-fs.target" grep -qx 'WantedBy=remote-fs.target' $u
m=tools/systemd/mnt-jfs.mount.example
check "mount example: requires jfsd.service" grep -qx 'Requires=jfsd.service' $m
check "mount example: _netdev" grep -qE '^Options=.*_netdev' $m
check "fstab example: _netdev,x-systemd.requires=jfsd.service" \
	grep -q 'jfs  _netdev,x-systemd.requires=jfsd.service' $m
check "modules-load.d: loads jfsk" bash -c "grep -v '^#' tools/systemd/jfsk.conf | grep -qx jfsk"
exit $((fails > 0))
