#!/bin/busybox sh
# PID 1 of the jfs test VM (packed into the initramfs by tests/vm/run.sh).
#
# Builds a root from the host's / (9p, read-only) with a tmpfs-backed
# overlay on top so everything is writable but nothing reaches the host,
# mounts the host output dir (9p, writable) at /vmout, runs /vmout/cmd.sh
# in a chroot, then stores its exit code in /vmout/rc and the kernel log in
# /vmout/dmesg.txt and powers off.
# busybox sh, not bash: there is no libc in the initramfs.

/bin/busybox --install -s /bin
export PATH=/bin

mount -t devtmpfs devtmpfs /dev
# The kernel may have found no /dev/console before devtmpfs existed.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

say() { echo "jfs-vm: $*"; }
die() {
	say "FATAL: $*"
	# Leave the kernel log where the host can find it, if /vmout is up.
	[ -d /newroot/vmout ] && dmesg >/newroot/vmout/dmesg.txt 2>/dev/null
	sync
	poweroff -f
}

# Modules in dependency order (computed on the host from modules.dep).
while read -r m; do
	insmod "/lib/modules/$m" || say "insmod $m failed"
done </etc/modules.order

P9OPTS=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /hostroot /newroot /rw
# cache=loose: the host tree does not change under a test run, and it makes
# exec/readdir over 9p much cheaper under TCG.
mount -t 9p -o ro,$P9OPTS,cache=loose hostroot /hostroot || die "mount hostroot (9p) failed"

# Writable root: overlay(lower = host /, upper = tmpfs). Unlike tmpfs over
# /tmp etc. this keeps the content of every directory visible (a CI clone may
# live under /tmp or /root) while keeping the host pristine.
mount -t tmpfs -o mode=0755 rwroot /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/hostroot,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	die "overlay root failed"

mkdir -p /newroot/vmout
mount -t 9p -o $P9OPTS vmout /newroot/vmout || die "mount vmout (9p) failed"
[ -f /newroot/vmout/vm.env ] && . /newroot/vmout/vm.env

# Fresh mounts over the host's copies seen through 9p. proc/sys/dev are
# moved rather than re-mounted: a fresh `mount -t proc` on a 9p directory
# was seen to silently not show up.
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
# what udev/systemd would make: bash process substitution needs /dev/fd
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
mount -t tmpfs -o mode=0755 run /newroot/run && mkdir -p /newroot/run/lock # no host pid files
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
mount -t configfs configfs /newroot/sys/kernel/config 2>/dev/null

# Loopback only: tests talk to redis on 127.0.0.1.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
hostname jfs-vm

# Guest-side watchdog, a bit shorter than the host's kill timer, so a hung
# test still yields a kernel log with blocked-task stacks.
if [ -n "$JFS_VM_GUEST_TIMEOUT" ]; then
	(
		sleep "$JFS_VM_GUEST_TIMEOUT"
		say "guest timeout (${JFS_VM_GUEST_TIMEOUT}s): dumping blocked tasks"
		# proc now lives under /newroot; w = blocked tasks, l = CPU backtraces
		echo w >/newroot/proc/sysrq-trigger
		echo l >/newroot/proc/sysrq-trigger
		sleep 2
		echo 124 >/newroot/vmout/rc
		echo timeout >/newroot/vmout/timeout
		dmesg >/newroot/vmout/dmesg.txt
		sync
		poweroff -f
	) &
fi

chroot /newroot /bin/bash /vmout/cmd.sh
rc=$?
echo "$rc" >/newroot/vmout/rc
dmesg >/newroot/vmout/dmesg.txt
sync
poweroff -f
