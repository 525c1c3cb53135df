#!/bin/bash
# Extended attributes through the real stack: setfattr/getfattr round trips
# in the user., trusted. and security. namespaces, binary and 64 KiB values,
# XATTR_CREATE/XATTR_REPLACE, listxattr (and what an unprivileged caller may
# list), removexattr, ENODATA/ERANGE/E2BIG, dirs, symlinks and fifos, two
# mounts, remount, read-only mounts, the x{ino} hash in redis (JuiceFS's
# layout) and its deletion with the inode, and security.capability being
# stripped by a write (S_NOSEC kept in step, also across mounts).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/xa
M2=/mnt/xb
RO=/mnt/xro
D=$M/xattr # everything this suite makes lives here
D2=$M2/xattr

remount() { umount_vol $M && mount_vol $M; }
gx() { getfattr --absolute-names --only-values "$@" 2>&1; }     # value bytes
hex() { getfattr --absolute-names -e hex "$@" 2>&1 | sed -n 2p; } # name=0x...
ino() { stat -c %i "$1"; }
# getxattr_count: GETXATTR requests the newest mount has sent so far
getxattr_count() {
	"$JFSADM" status --json | python3 -c '
import json, sys
ms = json.load(sys.stdin)["Mounts"]
m = max(ms, key=lambda m: m["MountId"])
print(sum(o["Count"] for o in m["Ops"] if o["Op"] == "getxattr"))'
}

t_begin "xattr: mount"
command -v setfattr >/dev/null || { t_fail "setfattr missing: tools/install-deps.sh installs attr"; t_summary; exit 1; }
expect_ok "mount $JFS_IT_URL" -- mount_vol $M
((T_OK)) || { t_summary; exit 1; }
rm -rf "$D" 2>/dev/null
ok "mkdir suite dir" -- mkdir $D

t_begin "xattr: round trips"
touch $D/f
ok "setfattr user." -- setfattr -n user.color -v blue $D/f
ok "setfattr trusted." -- setfattr -n trusted.level -v 7 $D/f
ok "setfattr security." -- setfattr -n security.label -v secret $D/f
expect_eq "getfattr user." blue "$(gx -n user.color $D/f)"
expect_eq "getfattr trusted." 7 "$(gx -n trusted.level $D/f)"
expect_eq "getfattr security." secret "$(gx -n security.label $D/f)"
expect_eq "getfattr -d -m - lists all three" \
	"security.label=\"secret\" trusted.level=\"7\" user.color=\"blue\"" \
	"$(getfattr --absolute-names -d -m - $D/f | grep "=" | sort | tr '\n' ' ' | sed 's/ $//')"
ok "overwrite" -- setfattr -n user.color -v green $D/f
expect_eq "new value" green "$(gx -n user.color $D/f)"
err "absent name: ENODATA" "No such attribute" -- getfattr -n user.missing $D/f
ok "setfattr -x" -- setfattr -x user.color $D/f
err "removed name: ENODATA" "No such attribute" -- getfattr -n user.color $D/f
err "removing it again: ENODATA" "No such attribute" -- setfattr -x user.color $D/f
ok "an empty value" -- setfattr -n user.empty $D/f
expect_eq "reads back empty" "" "$(gx -n user.empty $D/f)"
ok "a binary value with NUL bytes" -- setfattr -n user.bin -v 0x6100620000ff $D/f
expect_eq "reads back byte for byte" "user.bin=0x6100620000ff" "$(hex -n user.bin $D/f)"
i=$(ino $D/f)
expect_eq "redis: x{ino} holds the raw bytes (JuiceFS layout)" '"a\x00b\x00\x00\xff"' \
	"$(rcli --no-raw hget "x$i" user.bin)"
expect_eq "redis: one field per name" "security.label trusted.level user.bin user.empty" \
	"$(rcli hkeys "x$i" | sort | tr '\n' ' ' | sed 's/ $//')"
rcli hset "x$i" user.fromjuicefs 'set by another client' >/dev/null
expect_eq "a value another client put in x{ino} reads back" "set by another client" \
	"$(gx -n user.fromjuicefs $D/f)"
c0=$(stat -c %Z $D/f)
sleep 1.1
setfattr -n user.later -v 1 $D/f
remount
expect_eq "as JuiceFS: setting an xattr leaves ctime alone" "$c0" "$(stat -c %Z $D/f)"
expect_eq "values survive a remount" "7 secret 1" \
	"$(gx -n trusted.level $D/f) $(gx -n security.label $D/f) $(gx -n user.later $D/f)"
expect_eq "the binary one too" "user.bin=0x6100620000ff" "$(hex -n user.bin $D/f)"

t_begin "xattr: flags, sizes, errors"
touch $D/g
py_out=$(python3 - "$D/g" <<'PY'
import ctypes, errno, os, sys
f = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
def name(n):  # errorcode says ENOTSUP for EOPNOTSUPP (the same number)
    return "EOPNOTSUPP" if n == errno.EOPNOTSUPP else errno.errorcode[n]
def e(fn):
    try:
        fn()
        return "ok"
    except OSError as x:
        return name(x.errno)
def c(r):
    return str(r) if r >= 0 else name(ctypes.get_errno())
print("create_new", e(lambda: os.setxattr(f, "user.k", b"1", os.XATTR_CREATE)))
print("create_existing", e(lambda: os.setxattr(f, "user.k", b"2", os.XATTR_CREATE)))
print("replace_absent", e(lambda: os.setxattr(f, "user.nope", b"3", os.XATTR_REPLACE)))
print("replace_existing", e(lambda: os.setxattr(f, "user.k", b"4", os.XATTR_REPLACE)))
print("value_after", os.getxattr(f, "user.k").decode())
print("absent_after", e(lambda: os.getxattr(f, "user.nope")))
big = os.urandom(65536)
print("set_64k", e(lambda: os.setxattr(f, "user.big", big)))
print("get_64k", "same" if os.getxattr(f, "user.big") == big else "differs")
print("set_64k_plus_1", e(lambda: os.setxattr(f, "user.big2", big + b"x")))
print("size_query", c(libc.getxattr(f.encode(), b"user.big", None, 0)))
buf = ctypes.create_string_buffer(70000)
print("get_small_buffer", c(libc.getxattr(f.encode(), b"user.big", buf, 100)))
print("get_exact_buffer", c(libc.getxattr(f.encode(), b"user.big", buf, 65536)))
want = sum(len(n) + 1 for n in os.listxattr(f))
print("list_size_query", "right" if libc.listxattr(f.encode(), None, 0) == want else "wrong")
print("list_small_buffer", c(libc.listxattr(f.encode(), buf, 3)))
print("list_names", ",".join(sorted(os.listxattr(f))))
print("name_255", e(lambda: os.setxattr(f, "user." + "n" * 250, b"v")))
print("name_256", e(lambda: os.setxattr(f, "user." + "n" * 251, b"v")))
print("remove_absent", e(lambda: os.removexattr(f, "user.absent")))
print("posix_acl", e(lambda: os.getxattr(f, "system.posix_acl_access")))
print("other_namespace", e(lambda: os.setxattr(f, "foo.bar", b"1")))
PY
)
r() { awk -v k="$1" '$1 == k { print $2 }' <<<"$py_out"; }
expect_eq "XATTR_CREATE of a new name" ok "$(r create_new)"
expect_eq "XATTR_CREATE of an existing name: EEXIST" EEXIST "$(r create_existing)"
expect_eq "XATTR_REPLACE of an absent name: ENODATA" ENODATA "$(r replace_absent)"
expect_eq "XATTR_REPLACE of an existing name" ok "$(r replace_existing)"
expect_eq "only the successful sets took effect" 4 "$(r value_after)"
expect_eq "the failed XATTR_REPLACE created nothing" ENODATA "$(r absent_after)"
expect_eq "a 64 KiB value" ok "$(r set_64k)"
expect_eq "the 64 KiB value reads back intact" same "$(r get_64k)"
expect_eq "64 KiB + 1: E2BIG" E2BIG "$(r set_64k_plus_1)"
expect_eq "size-0 getxattr gives the length" 65536 "$(r size_query)"
expect_eq "getxattr into a small buffer: ERANGE" ERANGE "$(r get_small_buffer)"
expect_eq "getxattr into an exact buffer" 65536 "$(r get_exact_buffer)"
expect_eq "size-0 listxattr gives the length" right "$(r list_size_query)"
expect_eq "listxattr into a small buffer: ERANGE" ERANGE "$(r list_small_buffer)"
expect_eq "listxattr names" "user.big,user.k" "$(r list_names)"
expect_eq "255-byte name" ok "$(r name_255)"
expect_eq "256-byte name: ERANGE" ERANGE "$(r name_256)"
expect_eq "removexattr of an absent name: ENODATA" ENODATA "$(r remove_absent)"
expect_eq "no POSIX ACLs: EOPNOTSUPP" EOPNOTSUPP "$(r posix_acl)"
expect_eq "an unknown namespace: EOPNOTSUPP" EOPNOTSUPP "$(r other_namespace)"
expect_eq "redis: the 64 KiB value is stored whole" 65536 "$(rcli hstrlen x"$(ino $D/g)" user.big)"

t_begin "xattr: dirs, symlinks, special files"
mkdir $D/dir
ok "user. on a dir" -- setfattr -n user.d -v dirval $D/dir
expect_eq "reads back" dirval "$(gx -n user.d $D/dir)"
ln -s f $D/sl
ok "trusted. on a symlink itself (-h)" -- setfattr -h -n trusted.s -v linkval $D/sl
expect_eq "reads back with -h" linkval "$(gx -h -n trusted.s $D/sl)"
err "the target does not have it" "No such attribute" -- getfattr -n trusted.s $D/f
expect_eq "listed on the link" "trusted.s" "$(getfattr --absolute-names -h -m - $D/sl | grep -v '^#' | grep .)"
err "user. on a symlink: EPERM (VFS rule)" "Operation not permitted" -- setfattr -h -n user.s -v 1 $D/sl
mkfifo $D/fifo
ok "trusted. on a fifo" -- setfattr -n trusted.p -v pipe $D/fifo
expect_eq "reads back" pipe "$(gx -n trusted.p $D/fifo)"
ok "cp --preserve=xattr copies them" -- cp --preserve=xattr $D/f $D/fcopy
expect_eq "the copy has the values" "secret 7" "$(gx -n security.label $D/fcopy) $(gx -n trusted.level $D/fcopy)"

t_begin "xattr: two mounts"
expect_ok "mount $M2" -- mount_vol $M2
ok "set on one mount" -- setfattr -n user.shared -v one $D/f
expect_eq "visible on the other at once" one "$(gx -n user.shared $D2/f)"
ok "changed on the other" -- setfattr -n user.shared -v two $D2/f
expect_eq "the first sees the change" two "$(gx -n user.shared $D/f)"
ok "removed on the other" -- setfattr -x user.shared $D2/f
err "gone on the first" "No such attribute" -- getfattr -n user.shared $D/f

t_begin "xattr: security.capability and S_NOSEC"
# cap_net_raw+ep, VFS_CAP_REVISION_2 (20 bytes)
CAP=0x0100000200200000000000000000000000000000
printf 'a' >$D/capfile
printf 'b' >>$D/capfile # a write without security.capability: S_NOSEC now
ok "setfattr security.capability" -- setfattr -n security.capability -v $CAP $D/capfile
expect_eq "reads back" "security.capability=$CAP" "$(hex -n security.capability $D/capfile)"
printf 'c' >>$D/capfile
err "a write strips it at once (S_NOSEC was dropped)" "No such attribute" -- \
	getfattr -n security.capability $D/capfile
expect_eq "redis: gone from x{ino} too" 0 "$(rcli hexists x"$(ino $D/capfile)" security.capability)"
printf 'd' >>$D/capfile # S_NOSEC again on the first mount
ok "another mount sets it" -- setfattr -n security.capability -v $CAP $D2/capfile
sleep 1.2 # the first mount trusts "no security xattr" for attr_timeout only
printf 'e' >>$D/capfile
err "a later write on the first mount strips it" "No such attribute" -- \
	getfattr -n security.capability $D2/capfile
expect_eq "the file has all five writes" abcde "$(<$D2/capfile)"
umount_vol $M2
# The VFS asks for security.capability before writes until an inode is S_NOSEC.
remount
printf 'x' >$D/old
remount
n0=$(getxattr_count)
python3 - "$D" <<'PY'
import os, sys
d = sys.argv[1]
for name, mode in (("old", "ab"), ("new", "wb")):
    with open(os.path.join(d, name), mode, buffering=0) as f:
        for _ in range(200):
            f.write(b"y")
PY
n1=$(getxattr_count)
((n1 - n0 <= 1))
check "400 writes to two files asked for security.capability at most once" "$((n1 - n0)) GETXATTRs"

# Attributes carry a "no xattrs" hint (JFS_ATTR_NOXATTR): while they are
# trusted the kernel answers getxattr itself, so 'ls -l' costs no request
# per entry.  Only the file that has an xattr is asked.
mkdir $D/many
for i in $(seq 20); do : >$D/many/f$i; done
setfattr -n user.one -v 1 $D/many/f1
remount
ls -l $D/many >/dev/null
n0=$(getxattr_count)
getfattr --absolute-names -n user.nothing $D/many/f* >/dev/null 2>&1
n1=$(getxattr_count)
expect_eq "20 getxattrs after a listing: only the file with xattrs asks jfsd" 1 "$((n1 - n0))"
expect_eq "the hint does not hide a real xattr" 1 "$(gx -n user.one $D/many/f1)"
setfattr -n user.late -v 2 $D/many/f3
expect_eq "an xattr set right after a 'none' hint reads back" 2 "$(gx -n user.late $D/many/f3)"

t_begin "xattr: permissions"
touch $D/own $D/roots
chown 1000:1000 $D/own
as_user() { setpriv --reuid 1000 --regid 1000 --clear-groups "$@"; }
ok "a user sets user. on its own file" -- as_user setfattr -n user.mine -v 1 $D/own
expect_eq "and reads it" 1 "$(as_user getfattr --absolute-names --only-values -n user.mine $D/own 2>&1)"
err "but not trusted." "Operation not permitted" -- as_user setfattr -n trusted.no -v 1 $D/own
err "nor user. on root's 0644 file" "Permission denied" -- as_user setfattr -n user.no -v 1 $D/roots
setfattr -n trusted.hidden -v 1 $D/own
expect_eq "a user's listing leaves out trusted. names" "user.mine" \
	"$(as_user getfattr --absolute-names -m - $D/own 2>&1 | grep -v '^#' | grep .)"
expect_eq "root's listing has them" "trusted.hidden user.mine" \
	"$(getfattr --absolute-names -m - $D/own | grep -v '^#' | grep . | sort | tr '\n' ' ' | sed 's/ $//')"
err "nobody sets xattrs on .trash" "Operation not permitted" -- setfattr -n user.t -v 1 $M/.trash
expect_eq ".trash lists none" "" "$(getfattr --absolute-names -d -m - $M/.trash 2>&1)"

t_begin "xattr: read-only mount"
expect_ok "mount -o ro" -- mount_vol $RO ro
expect_eq "values readable" "7" "$(gx -n trusted.level $RO/xattr/f)"
err "setfattr: EROFS" "Read-only file system" -- setfattr -n user.ro -v 1 $RO/xattr/f
err "setfattr -x: EROFS" "Read-only file system" -- setfattr -x trusted.level $RO/xattr/f
umount_vol $RO

t_begin "xattr: deleted with the inode"
printf 'gone' >$D/del
setfattr -n user.del -v 1 $D/del
i=$(ino $D/del)
expect_eq "redis: x{ino} exists" 1 "$(rcli exists "x$i")"
rm $D/del
if (($(trash_days) > 0)); then
	# JuiceFS's trash keeps the inode, and so its xattrs, until it is purged
	t=$(ls -d $M/.trash/*/"$(ino $D)-$i-del")
	expect_eq "in the trash, x{ino} stays" "user.del 1" "$(rcli hgetall "x$i" | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "and reads through the trash" 1 "$(gx -n user.del "$t")"
	ok "delete it from the trash" -- rm "$t"
fi
expect_eq "redis: x{ino} deleted" 0 "$(rcli exists "x$i")"
mkdir $D/ddir
setfattr -n user.d -v 1 $D/ddir
i=$(ino $D/ddir)
rmdir $D/ddir
if (($(trash_days) > 0)); then
	t=$(ls -d $M/.trash/*/"$(ino $D)-$i-ddir")
	ok "delete the dir from the trash" -- rmdir "$t"
fi
expect_eq "redis: a dir's x{ino} deleted" 0 "$(rcli exists "x$i")"

t_begin "xattr: cleanup"
ok "rm -rf the suite dir" -- rm -rf $D
ok "umount" -- umount_vol $M
t_summary
