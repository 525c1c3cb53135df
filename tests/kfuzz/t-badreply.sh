#!/bin/bash
# Runs in the VM: the kernel must survive every malformed reply that
# fakejfsd sends, failing only the affected syscall.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

FAKE=${JFS_FAKEJFSD:-/tmp/fakejfsd}
# rebuilt when older than its source or the protocol (a stale one from an
# earlier checkout would speak an older protocol)
[[ -x $FAKE && $FAKE -nt tests/kfuzz/fakejfsd.c && $FAKE -nt uapi/jfs.h ]] ||
	cc -std=gnu11 -I. -o "$FAKE" tests/kfuzz/fakejfsd.c
grep -qw jfsk /proc/modules || insmod kmod/jfsk.ko
MNT=/mnt/fake
mkdir -p $MNT
fake_pid=

start_fake() {
	local i

	"$FAKE" "$1" >/tmp/fake.out 2>>/vmout/fakejfsd.log &
	fake_pid=$!
	for ((i = 0; i < 200; i++)); do
		grep -q ready /tmp/fake.out 2>/dev/null && return
		sleep 0.1
	done
}

stop_fake() {
	mountpoint -q $MNT && umount $MNT
	kill "$fake_pid" 2>/dev/null
	wait "$fake_pid" 2>/dev/null
}

t_begin "no jfsd attached"
expect_err "mount fails at once without jfsd" "not connected" -- \
	timeout 10 mount -t jfs redis://127.0.0.1:1/1 $MNT

t_begin "handshake"
expect_ok "a protocol major mismatch is refused with EPROTO" -- "$FAKE" handshake-major

t_begin "malformed MOUNT replies"
for m in mount-wrong-opcode mount-short mount-long mount-positive-errno \
	mount-huge-errno mount-root-ino mount-root-mode mount-block-size \
	mount-unknown-unique; do
	start_fake $m
	expect_err "$m: mount fails" "" -- timeout 20 mount -t jfs redis://x/1 $MNT
	stop_fake
done

t_begin "a bad length field is rejected, the good reply still lands"
start_fake mount-bad-len-field
expect_ok "mount succeeds" -- timeout 20 mount -t jfs redis://x/1 $MNT
stop_fake

t_begin "malformed replies on a mounted fs"
for m in lookup-bad-mode lookup-zero-ino lookup-bad-nsec lookup-huge-size \
	lookup-short lookup-kernel-errno; do
	start_fake $m
	expect_ok "$m: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
	expect_err "$m: stat fails with EIO" "Input/output error" -- stat $MNT/file
	stop_fake
done
# getdents returns what was emitted before a bad record: only "a" shows
start_fake readdir-offset-backwards
expect_ok "readdir-offset-backwards: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_eq "readdir-offset-backwards: the bad record is dropped" "a" "$(ls $MNT 2>&1)"
stop_fake
for m in readdir-slash readdir-zero-namelen readdir-truncated readdir-oversize; do
	start_fake $m
	expect_ok "$m: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
	expect_err "$m: ls fails with EIO" "Input/output error" -- ls $MNT
	stop_fake
done
start_fake ok
expect_ok "a sane readdir lists its entry" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_eq "ls shows the one entry" "ok" "$(ls $MNT 2>&1)"
stop_fake
start_fake read-too-long
expect_ok "read-too-long: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_err "read-too-long: cat fails with EIO" "Input/output error" -- cat $MNT/file
stop_fake
start_fake open-type-change
expect_ok "open-type-change: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_err "open-type-change: open fails with EIO" "Input/output error" -- cat $MNT/file
stop_fake
# open(O_CREAT) of a new name is one CREATE: its reply is checked like OPEN's
start_fake ok
expect_ok "create: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_ok "create: a sane CREATE reply opens the new file" -- sh -c ": > $MNT/new"
stop_fake
for m in create-dir-handle create-zero-ino create-short; do
	start_fake $m
	expect_ok "$m: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
	expect_err "$m: open(O_CREAT) fails with EIO" "Input/output error" -- sh -c ": > $MNT/new"
	stop_fake
done
# jfsd may write notifications (unique 0): the bad ones are refused whole
start_fake notify
expect_ok "notify: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_ok "notify: a file is cached" -- stat $MNT/file
before=$(grep -c "notification" /vmout/fakejfsd.log 2>/dev/null)
expect_ok "notify: statfs after good and malformed notifications" -- stat -f $MNT
expect_eq "notify: each gave the errno it should" "${before:-0}" \
	"$(grep -c "notification" /vmout/fakejfsd.log 2>/dev/null)"
expect_ok "notify: the forgotten file is asked for again" -- stat $MNT/file
stop_fake
start_fake ok
expect_ok "xattrs: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_err "xattrs: a sane ENODATA reply" "No such attribute" -- getfattr -n user.x $MNT/file
expect_eq "xattrs: a sane empty list" "" "$(getfattr -d -m - $MNT/file 2>&1)"
stop_fake
start_fake old-minor
expect_ok "old-minor: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_err "old-minor: a jfsd without the xattr ops: EOPNOTSUPP" "Operation not supported" -- \
	getfattr -n user.x $MNT/file
stop_fake
for m in getxattr-size-lies getxattr-too-big; do
	start_fake $m
	expect_ok "$m: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
	expect_err "$m: getfattr fails with EIO" "Input/output error" -- getfattr -n user.x $MNT/file
	stop_fake
done
for m in listxattr-no-nul listxattr-bad-prefix; do
	start_fake $m
	expect_ok "$m: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
	expect_err "$m: listing fails with EIO" "Input/output error" -- getfattr -d -m - $MNT/file
	stop_fake
done
cc -std=gnu11 -O2 -Wall -o /tmp/lockctl tests/locks/lockctl.c
start_fake ok
expect_ok "locks: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_eq "locks: a sane F_GETLK reply" "g unlocked" "$(/tmp/lockctl $MNT/file g:w:0:0 2>&1)"
stop_fake
for m in getlk-bad-type getlk-bad-range getlk-short; do
	start_fake $m
	expect_ok "$m: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
	expect_eq "$m: F_GETLK fails with EIO" "g:w:0:0 EIO" \
		"$(/tmp/lockctl $MNT/file g:w:0:0 2>&1 | cut -d' ' -f1,2)"
	stop_fake
done
start_fake statfs-bfree
expect_ok "statfs-bfree: mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
expect_err "statfs-bfree: df fails" "Input/output error" -- stat -f $MNT
stop_fake

t_begin "helper death"
start_fake ok
expect_ok "mount" -- timeout 20 mount -t jfs redis://x/1 $MNT
kill "$fake_pid"; wait "$fake_pid" 2>/dev/null
expect_err "ops fail with ENOTCONN once the helper is gone" "not connected" -- stat $MNT/other
expect_ok "umount still works" -- umount $MNT
expect_ok "module unloads: no leaked references" -- rmmod jfsk
t_summary
