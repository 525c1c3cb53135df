#!/bin/bash
# Runs in the VM: the installed layout works the way users expect.
# `make install`, then: mount -t jfs autoloads our module, not IBM JFS;
# a clash with IBM JFS gives one clear line and fstype= is the way out;
# jfsd loads the module itself.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
KVER=$(uname -r)
URL=redis://127.0.0.1:6391/1

t_begin "make install"
# DESTDIR=/ skips make install's full depmod -a: under emulation it takes
# minutes (it decompresses every module).  Index just the modules this
# test loads instead; the VM is thrown away afterwards.
expect_ok "installs into the (overlay) root" -- make -s install KVER="$KVER" DESTDIR=/
expect_ok "index jfsk and IBM jfs" -- sh -c \
	"depmod $KVER /lib/modules/$KVER/updates/jfsk.ko /lib/modules/$KVER/kernel/fs/jfs/jfs.ko*"
expect_ok "mount.jfs is in /sbin" -- test -x /sbin/mount.jfs
expect_ok "jfsd is in /usr/sbin" -- test -x /usr/sbin/jfsd
expect_ok "jfsadm is in /usr/sbin" -- test -x /usr/sbin/jfsadm
expect_ok "the module is in updates/" -- test -f "/lib/modules/$KVER/updates/jfsk.ko"
expect_eq "fs-jfs resolves to jfsk, not IBM's jfs" "jfsk" \
	"$(modprobe -R fs-jfs 2>&1 | tail -n 1)"

t_begin "clash with IBM JFS"
if modprobe jfs 2>/dev/null && grep -qw jfs /proc/filesystems; then
	expect_err "loading ours fails while IBM JFS holds the name" "" -- modprobe jfsk
	expect_ok "dmesg names the way out (fstype=)" -- \
		sh -c "dmesg | grep -q 'already registered.*fstype=juicefs'"
	expect_ok "fstype=juicefs loads beside IBM JFS" -- modprobe jfsk fstype=juicefs
	expect_ok "/proc/filesystems lists juicefs" -- grep -qw juicefs /proc/filesystems
	expect_ok "unload ours" -- rmmod jfsk
	expect_ok "unload IBM JFS" -- rmmod jfs
else
	t_pass "IBM JFS is not available on this kernel: nothing to clash with"
fi

t_begin "jfsd loads the module"
redis-server --port 6391 --bind 127.0.0.1 --save '' --appendonly no \
	--daemonize yes --dir /tmp >/dev/null
expect_ok "module not loaded yet" -- sh -c "! grep -qw jfsk /proc/modules"
expect_ok "jfsd -d attaches (modprobes jfsk)" -- jfsd -d -l /vmout/jfsd-install.log
expect_ok "/dev/jfs exists" -- test -c /dev/jfs
expect_ok "format" -- jfsadm format --bucket /tmp/inst-data/ $URL instvol
mkdir -p /mnt/inst
expect_ok "mount -t jfs with the installed tools" -- mount -t jfs $URL /mnt/inst
expect_ok "write and read back" -- sh -c "echo hi > /mnt/inst/f && test \"\$(cat /mnt/inst/f)\" = hi"
expect_ok "umount" -- umount /mnt/inst
pkill -x jfsd
for _ in $(seq 50); do pgrep -x jfsd >/dev/null || break; sleep 0.1; done
expect_ok "jfsd exits on SIGTERM" -- sh -c "! pgrep -x jfsd"
expect_ok "module unloads" -- rmmod jfsk

t_begin "systemd"
expect_ok "jfsd.service is installed" -- test -f /lib/systemd/system/jfsd.service
expect_eq "modules-load.d loads jfsk at boot" jfsk \
	"$(grep -v '^#' /usr/lib/modules-load.d/jfsk.conf)"
# Type=notify: jfsd (in the foreground, as the unit runs it) sends
# READY=1 on $NOTIFY_SOCKET once attached, and STOPPING=1 on SIGTERM
ready=$(python3 tests/sys/notify.py /usr/sbin/jfsd 2>/tmp/notify.err)
expect_eq "jfsd tells systemd it is ready once attached" 1 \
	"$(grep -c 'READY=1' <<<"$ready")"
expect_ok "/dev/jfs is there when READY=1 arrives" -- test -c /dev/jfs
pkill -x jfsd
for _ in $(seq 50); do pgrep -x jfsd >/dev/null || break; sleep 0.1; done
expect_ok "and it stops on SIGTERM" -- sh -c "! pgrep -x jfsd"
rmmod jfsk 2>/dev/null
redis-cli -p 6391 shutdown nosave >/dev/null 2>&1
t_summary
