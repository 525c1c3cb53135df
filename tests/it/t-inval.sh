#!/bin/bash
# Active invalidation (-o active-invalidation, Redis only): mount A trusts
# attributes and names for an hour, yet a change made through mount B (and
# through the real juicefs, when installed) shows on A within 100 ms: jfsd
# follows Redis's client-side caching messages and tells the kernel.  Mount
# C has the same hour-long caches without the option and must still show
# the old state: that is what proves the caches are really long and that A
# sees the change because of the notification.  Also: the tracking
# connection killed (A forgets everything, then follows again), the option
# refused on SQLite and on remount.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh
. tests/peers/env.sh

A=/mnt/iva
B=/mnt/ivb
C=/mnt/ivc
F=/mnt/ivf
LONG=attr_timeout=3600,entry_timeout=3600
LIMIT_MS=100

if [[ $JFS_IT_URL != redis://* ]]; then
	t_begin "inval: not on $JFS_IT_URL"
	mark=$(dmesg_mark)
	err "the option is refused on a non-Redis engine" "" -- \
		mount_vol $A active-invalidation
	dmesg_since "$mark" | grep -q "active invalidation needs Redis"
	check "with the reason in the kernel log" "$(dmesg_since "$mark" | tail -n 3)"
	t_summary
	exit
fi

# seen CHANGE-ON-B PREDICATE-ON-A: runs the change (python, paths b and a
# bound to the two dirs), then polls the predicate every 2 ms for 2 s;
# prints the milliseconds until it held, or "never"
seen() {
	python3 - "$1" "$2" "$B/iv" "$A/iv" <<'EOF'
import os, sys, time, errno
change, pred, b, a = sys.argv[1:5]
def gone(p):
	try:
		os.stat(p)
		return False
	except FileNotFoundError:
		return True
def xattr(p, k):
	try:
		return os.getxattr(p, k)
	except OSError as e:
		if e.errno == errno.ENODATA:
			return None
		raise
env = dict(os=os, a=a, b=b, gone=gone, xattr=xattr)
exec(change, env)
t0 = time.monotonic()
while time.monotonic() - t0 < 2:
	if eval(pred, env):
		print("%.0f" % ((time.monotonic() - t0) * 1000))
		sys.exit(0)
	time.sleep(0.002)
print("never")
EOF
}
# within NAME MS: MS is a number below the limit
within() {
	[[ $2 =~ ^[0-9]+$ ]] && (($2 < LIMIT_MS))
	check "$1: seen within $LIMIT_MS ms ($2 ms)" "took $2 ms"
}

t_begin "inval: mount"
ok "mount a with active-invalidation and 3600 s caches" -- mount_vol $A "active-invalidation,$LONG"
ok "mount b (the other client)" -- mount_vol $B "$LONG"
ok "mount c: 3600 s caches, no notifications" -- mount_vol $C "$LONG"
if ! is_jfs_mount $A || ! is_jfs_mount $B || ! is_jfs_mount $C; then t_summary; exit 1; fi
grep " $A " /proc/mounts | grep -q active-invalidation
check "/proc/mounts shows the option" "$(grep " $A " /proc/mounts)"
ok "remount with other cache timeouts keeps it" -- mount -o remount,attr_timeout=3000 $A
grep " $A " /proc/mounts | grep -q "attr_timeout_ms=3000000,.*active-invalidation"
check "both shown after the remount" "$(grep " $A " /proc/mounts)"
err "a remount cannot change jfsd's options" "" -- mount -o remount,backup-meta=2h $A
rm -rf $B/iv 2>/dev/null
ok "setup on b" -- sh -c "mkdir $B/iv && echo 1 >$B/iv/f && echo 2 >$B/iv/g &&
	echo 3 >$B/iv/h && echo 4 >$B/iv/old && echo 5 >$B/iv/x && mkdir $B/iv/d"
# a and c look at everything once: from now on both answer from their caches
ok "a and c cache the tree" -- python3 -c '
import os, sys
for m in sys.argv[1:]:
	for n in "f", "g", "h", "old", "x", "d":
		os.stat(m + "/iv/" + n)
	os.listdir(m + "/iv")	# READDIR: with the "no xattrs" hints' $A $C

t_begin "inval: attributes"
ms=$(seen 'os.chmod(b + "/f", 0o600)' 'os.stat(a + "/f").st_mode & 0o777 == 0o600')
within "chmod on b" "$ms"
expect_eq "c (no notifications) still has the old mode" 644 "$(stat -c %a $C/iv/f)"
ms=$(seen 'open(b + "/g", "a").write("more")' 'os.stat(a + "/g").st_size == 6')
within "append on b: the new size" "$ms"
expect_eq "and the new content on open" "2more" "$(tr -d '\n' <$A/iv/g)"
ms=$(seen 'os.setxattr(b + "/x", "user.k", b"v")' 'xattr(a + "/x", "user.k") == b"v"')
within "setxattr on b (a knew x had no xattrs)" "$ms"
err "c (no notifications) still knows of none" "No such attribute" -- getfattr -n user.k $C/iv/x

t_begin "inval: names"
ms=$(seen 'os.unlink(b + "/h")' 'gone(a + "/h")')
within "unlink on b" "$ms"
ok "c still has the name" -- stat $C/iv/h
ms=$(seen 'os.rename(b + "/old", b + "/new")' 'gone(a + "/old")')
within "rename on b: the old name goes" "$ms"
expect_eq "the new name has the content" 4 "$(<$A/iv/new)"
ino=$(stat -c %i $B/iv/f)
ms=$(seen 'os.rename(b + "/x", b + "/f")' 'os.stat(a + "/f").st_ino != '"$ino")
within "rename over a cached name on b: it points to the new inode" "$ms"
ms=$(seen 'os.rmdir(b + "/d")' 'gone(a + "/d")')
within "rmdir on b" "$ms"

t_begin "inval: the tracking connection breaks"
ok "a caches f again" -- stat $A/iv/f
# the watcher is the only pub/sub client: kill it; it comes back within a
# backoff step, and a forgot everything meanwhile
ok "kill the subscriber connection" -- rcli client kill type pubsub
sleep 0.5
ms=$(seen 'os.chmod(b + "/f", 0o640)' 'os.stat(a + "/f").st_mode & 0o777 == 0o640')
within "after the reconnect, chmod on b" "$ms"
! grep -q "not delivered" "$JFS_IT_JFSD_LOG"
check "no undelivered notification logged" "$(grep "not delivered" "$JFS_IT_JFSD_LOG" | tail -n 3)"

if juicefs_available 2>/dev/null; then
	t_begin "inval: the real juicefs as the other client"
	ok "modprobe fuse" -- modprobe fuse
	ok "juicefs mount" -- juicefs_mount "$JFS_IT_URL" $F /vmout/juicefs-inval.log
	ok "a caches f" -- stat $A/iv/f
	ms=$(python3 - "$F/iv/f" "$A/iv/f" <<'EOF'
import os, sys, time
os.chmod(sys.argv[1], 0o604)
t0 = time.monotonic()
while time.monotonic() - t0 < 2:
	if os.stat(sys.argv[2]).st_mode & 0o777 == 0o604:
		print("%.0f" % ((time.monotonic() - t0) * 1000))
		sys.exit(0)
	time.sleep(0.002)
print("never")
EOF
)
	within "chmod through juicefs" "$ms"
	ok "juicefs umount" -- umount $F
fi

t_begin "inval: not on SQLite"
db=$IT_TMP/inval.db
ok "format an SQLite volume" -- tools/jfsadm format --bucket $IT_TMP/inval-data \
	"sqlite3://$db" inval-sqlite
mark=$(dmesg_mark)
err "mount -o active-invalidation of it fails" "" -- \
	mount_vol $F active-invalidation "sqlite3://$db"
dmesg_since "$mark" | grep -q "active invalidation needs Redis"
check "with the reason in the kernel log" "$(dmesg_since "$mark" | tail -n 3)"

t_begin "inval: cleanup"
ok "rm -rf on b" -- rm -rf $B/iv
ok "umount a" -- umount_vol $A
ok "umount b" -- umount_vol $B
ok "umount c" -- umount_vol $C
t_summary
