#!/usr/bin/env bash
# One command from a fresh Debian 12 host to a mounted jfs volume:
# installs the packages, builds, installs the module and tools, starts
# redis-server and jfsd, formats a volume (once) and mounts it at
# /mnt/jfs.  Running it again is harmless: each step checks first.
#
# On a host whose kernel cannot load modules (a container), the same flow
# runs inside the test VM and shows the volume working there.
#
# usage (as root): tools/quickstart.sh          (env: JFS_META_URL, JFS_MOUNTPOINT)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

META_URL=${JFS_META_URL:-redis://127.0.0.1:6379/1}
MNT=${JFS_MOUNTPOINT:-/mnt/jfs}
VOLUME=${JFS_VOLUME:-myjfs}
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
	start_redis
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
	cat <<EOF
quickstart: done.  Data: ${BUCKET}${VOLUME}/ (objects), Redis db ${META_URL##*/} (metadata).
quickstart: to undo: umount $MNT; pkill jfsd; rmmod jfsk; redis-cli -n ${META_URL##*/} flushdb; rm -rf ${BUCKET}${VOLUME}
EOF
}

# Inside the VM: the same flow, then show it working.
if [[ ${1:-} == --in-vm ]]; then
	IN_VM=1
	setup "$(uname -r)"
	echo "hello from jfs" >"$MNT/hello.txt"
	say "wrote $MNT/hello.txt: $(cat "$MNT/hello.txt")"
	ls -l "$MNT"
	df -h "$MNT"
	jfsadm status
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
