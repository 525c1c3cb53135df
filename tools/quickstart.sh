#!/usr/bin/env bash
# One command from a fresh Debian 12 host to a mounted jfs volume:
# installs the packages, builds, installs the module and tools, starts
# jfsd, formats an embedded volume (SQLite metadata in one file, data in a
# local directory: no server to set up) once and mounts it at /mnt/jfs.
# Running it again is harmless: each step checks first.  With
# JFS_META_URL=redis://... it starts a local redis-server too.
#
# On a host whose kernel cannot load modules (a container), the same flow
# runs inside the test VM and shows the volume working there.
#
# usage (as root): tools/quickstart.sh          (env: JFS_META_URL, JFS_MOUNTPOINT)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VOLUME=${JFS_VOLUME:-myjfs}
META_URL=${JFS_META_URL:-sqlite3:///var/lib/jfs/$VOLUME.db}
MNT=${JFS_MOUNTPOINT:-/mnt/jfs}
BUCKET=${JFS_BUCKET:-/var/lib/jfs/}
LOG=${JFS_LOG:-/var/log/jfsd.log}

say() { printf 'quickstart: %s\n' "$*"; }

can_load_modules() {
	[[ -d /lib/modules/$(uname -r)/build ]] &&
		[[ $(cat /proc/sys/kernel/modules_disabled 2>/dev/null) == 0 ]] &&
		[[ -z ${JFS_FORCE_VM:-} ]]
}

start_redis() {
	if redis-cli -u "redis://127.0.0.1:6379" ping >/dev/null 2>&1; then
		say "redis-server already running on 127.0.0.1:6379"
	elif [[ -d /run/systemd/system ]]; then
		systemctl start redis-server
		say "started redis-server (systemctl start redis-server)"
	else
		redis-server --port 6379 --bind 127.0.0.1 --daemonize yes \
			--dir /tmp >/dev/null
		say "started redis-server on 127.0.0.1:6379"
	fi
}

# The whole flow on a kernel that can load our module.
setup() {
	local kver=$1

	if [[ -n ${IN_VM:-} ]]; then
		# Under emulation a full depmod -a takes minutes (it unpacks
		# every module): index just ours in this throw-away VM.
		make -s install KVER="$kver" DESTDIR=/ >/dev/null
		depmod "$kver" "/lib/modules/$kver/updates/jfsk.ko"
	else
		make -s install KVER="$kver" >/dev/null
	fi
	say "installed jfsd, jfsadm, mount.jfs and jfsk.ko for $kver (make install)"
	grep -qw jfsk /proc/modules || modprobe jfsk
	say "module loaded: $(grep -w jfsk /proc/modules | cut -d' ' -f1)"
	if [[ $META_URL == redis://* ]]; then
		start_redis
	else
		mkdir -p "${BUCKET}"
	fi
	if pgrep -x jfsd >/dev/null; then
		say "jfsd already running"
	else
		jfsd -d -l "$LOG"
		say "started jfsd (log: $LOG)"
	fi
	if jfsadm status "$META_URL" >/dev/null 2>&1; then
		say "volume at $META_URL already formatted"
	else
		jfsadm format --bucket "$BUCKET" "$META_URL" "$VOLUME"
	fi
	mkdir -p "$MNT"
	if mountpoint -q "$MNT"; then
		say "$MNT already mounted"
	else
		mount -t jfs "$META_URL" "$MNT"
		say "mounted $META_URL at $MNT"
	fi
}

undo_hint() {
	local meta undo
	if [[ $META_URL == sqlite3://* ]]; then
		meta="${META_URL#sqlite3://} (SQLite metadata)"
		undo="rm -f ${META_URL#sqlite3://}*"
	else
		meta="Redis db ${META_URL##*/} (metadata)"
		undo="redis-cli -n ${META_URL##*/} flushdb"
	fi
	cat <<EOF
quickstart: done: volume '$VOLUME' mounted at $MNT.
quickstart: data: ${BUCKET}${VOLUME}/ (objects); metadata: $meta; jfsd log: $LOG
quickstart: to undo: umount $MNT; pkill jfsd; rmmod jfsk; $undo; rm -rf ${BUCKET}${VOLUME}
EOF
}

# Inside the VM: the same flow, then show it working.
# The VM is new each time, so the second run here is what a second run
# on a real host meets: everything already in place.
if [[ ${1:-} == --in-vm ]]; then
	IN_VM=1
	say "--- first run"
	setup "$(uname -r)"
	echo "hello from jfs" >"$MNT/hello.txt"
	say "wrote $MNT/hello.txt: $(cat "$MNT/hello.txt")"
	say "--- second run (nothing to redo)"
	setup "$(uname -r)"
	say "read back $MNT/hello.txt: $(cat "$MNT/hello.txt")"
	ls -l "$MNT"
	df -h "$MNT"
	jfsadm status
	undo_hint
	umount "$MNT"
	exit 0
fi

if ((EUID != 0)); then
	echo "quickstart: run as root" >&2
	exit 1
fi
bash tools/install-deps.sh
make -s
if can_load_modules; then
	setup "$(uname -r)"
	undo_hint
else
	kver=$(ls -1 /lib/modules | sort -V | while read -r v; do
		[[ -d /lib/modules/$v/build && -e /boot/vmlinuz-$v ]] && echo "$v"
	done | tail -n 1)
	say "this kernel ($(uname -r)) cannot load modules (a container?):"
	say "running the same flow inside a test VM booting $kver"
	make -s module KVER="$kver"
	tests/vm/run.sh -k "$kver" -t 600 -- "$PWD/tools/quickstart.sh" --in-vm
fi
