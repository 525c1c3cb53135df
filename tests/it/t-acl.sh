#!/bin/bash
# POSIX ACLs on a volume formatted with --enable-acl (JuiceFS's EnableACL):
# setfacl/getfacl round trips seen from a second mount, the kernel's
# permission checks using them (named users, the mask, chmod moving the
# mask), default ACLs inherited by new files and dirs, the umask applied by
# jfsd, non-root denials, and the rules stored in Redis exactly as JuiceFS
# 1.2 stores them (the `acl` hash, the ids in the 80-byte attr).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

ADB=7
AURL=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$ADB
A=/mnt/acla
B=/mnt/aclb
D=$A/acl
E=$B/acl
arcli() { redis-cli -p "$JFS_IT_REDIS_PORT" -n $ADB "$@"; }
hexval() { arcli --raw "$@" | head -c -1 | od -An -tx1 | tr -d ' \n'; }
u1() { setpriv --reuid 1000 --regid 1000 --clear-groups "$@"; }
u2() { setpriv --reuid 1001 --regid 1001 --clear-groups "$@"; }
ino() { stat -c %i "$1"; }
# the other mount trusts its cached attrs and ACLs for attr_timeout (1 s)
settle() { sleep 1.2; }
facl() { getfacl -n --absolute-names --omit-header "$1" 2>&1 | grep -v '^$' | tr '\n' ' ' | sed 's/ $//'; }

t_begin "acl: setup"
command -v setfacl >/dev/null || { t_fail "setfacl missing: tools/install-deps.sh installs acl"; t_summary; exit 1; }
arcli flushdb >/dev/null
ok "jfsadm format --enable-acl" -- "$JFSADM" format $(format_args) --enable-acl "$AURL" aclvol
expect_eq "the setting has EnableACL and MinClientVersion 1.2.0-A" "True 1.2.0-A" \
	"$(arcli get setting | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["EnableACL"], d["MinClientVersion"])')"
expect_ok "mount $A" -- mount_vol $A "" "$AURL"
expect_ok "mount $B" -- mount_vol $B "" "$AURL"
if ! is_jfs_mount $A || ! is_jfs_mount $B; then t_summary; exit 1; fi
mkdir -p $D
chmod 0755 $D

t_begin "acl: access ACL"
printf 'secret' >$D/f
chmod 0640 $D/f
err "before: uid 1000 cannot read a 0640 root file" "Permission denied" -- u1 cat $E/f
ok "setfacl -m u:1000:r" -- setfacl -m u:1000:r $D/f
settle
expect_eq "getfacl through the other mount" \
	"user::rw- user:1000:r-- group::r-- mask::r-- other::---" "$(facl $E/f)"
expect_eq "ls -l shows the +" "-rw-r-----+" "$(stat -c %A $E/f)+"
expect_eq "uid 1000 reads it now (other mount)" secret "$(u1 cat $E/f 2>&1)"
err "uid 1001 still cannot" "Permission denied" -- u2 cat $E/f
i=$(ino $D/f)
id=$(python3 - "$(hexval get "i$i")" <<'PY'
import sys
b = bytes.fromhex(sys.argv[1])
print(len(b), int.from_bytes(b[71:75], "big"), int.from_bytes(b[75:79], "big"))
PY
)
read -r alen aid did <<<"$id"
expect_eq "the attr is the 80-byte form with an access ACL id, no default" "80 x 0" \
	"$alen $([[ $aid -gt 0 ]] && echo x || echo "$aid") $did"
# JuiceFS's rule: u16 owner, group, mask, other; u32 n, (u32 uid, u16 perm)...; u32 n
expect_eq "redis: the acl rule, byte for byte" \
	"0006000400040000""00000001""000003e8""0004""00000000" "$(hexval hget acl "$aid")"
expect_eq "redis: aclMaxId counts the rules" 1 "$(($(arcli get aclMaxId) >= aid))"
: >$D/g
chmod 0640 $D/g
setfacl -m u:1000:r $D/g
i2=$(ino $D/g)
expect_eq "an identical rule on another file shares the id" "$aid" \
	"$(python3 -c 'import sys; b=bytes.fromhex(sys.argv[1]); print(int.from_bytes(b[71:75],"big"))' "$(hexval get "i$i2")")"

t_begin "acl: chmod moves the mask"
ok "chmod 0600" -- chmod 0600 $D/f
settle
expect_eq "the mask follows the group bits" \
	"user::rw- user:1000:r--	#effective:--- group::r--	#effective:--- mask::--- other::---" \
	"$(facl $E/f)"
err "uid 1000 is masked out (other mount)" "Permission denied" -- u1 cat $E/f
ok "chmod 0640 again" -- chmod 0640 $D/f
settle
expect_eq "uid 1000 reads again" secret "$(u1 cat $E/f 2>&1)"

t_begin "acl: who may set"
chown 1000:1000 $D/g
ok "the owner sets an ACL on its file" -- u1 setfacl -m u:1001:rw $D/g
err "another user may not" "Operation not permitted" -- u2 setfacl -m u:1001:rwx $D/g
err "nor on root's file" "Operation not permitted" -- u1 setfacl -m u:1000:rwx $D/f
err "a default ACL on a file is refused" "" -- setfacl -d -m u:1000:r $D/f

t_begin "acl: default ACL inherited"
mkdir $D/inh
ok "setfacl -d -m u:1000:rwx,g::r-x,o::-" -- setfacl -d -m u:1000:rwx,g::r-x,o::- $D/inh
settle
expect_eq "getfacl -d through the other mount" \
	"user::rwx user:1000:rwx group::r-x mask::rwx other::---" \
	"$(getfacl -n --absolute-names --omit-header -d $E/inh | grep -v '^$' | tr '\n' ' ' | sed 's/ $//')"
(umask 077; printf 'x' >$D/inh/new; mkdir $D/inh/sub)
expect_eq "a new file gets an access ACL from it (umask ignored, mask from the mode)" \
	"user::rw- user:1000:rwx	#effective:rw- group::r-x	#effective:r-- mask::rw- other::---" \
	"$(facl $E/inh/new)"
expect_eq "uid 1000 can write the new file" 0 "$(u1 sh -c "echo y >>$E/inh/new" 2>&1; echo $?)"
expect_eq "a new subdir inherits the default ACL" \
	"user::rwx user:1000:rwx group::r-x mask::rwx other::---" \
	"$(getfacl -n --absolute-names --omit-header -d $E/inh/sub | grep -v '^$' | tr '\n' ' ' | sed 's/ $//')"
(umask 077; printf 'x' >$D/um)
expect_eq "without a default ACL the umask applies (077: 0600)" 600 "$(stat -c %a $E/um)"

t_begin "acl: removal and minimal ACLs"
ok "setfacl -b" -- setfacl -b $D/f
settle
expect_eq "no ACL left, mode kept" "user::rw- group::r-- other::--- 640" "$(facl $E/f) $(stat -c %a $E/f)"
expect_eq "the attr is back to 72 bytes" 72 \
	"$(python3 -c 'import sys; print(len(bytes.fromhex(sys.argv[1])))' "$(hexval get "i$i")")"
ok "a minimal ACL only sets the mode" -- setfacl -m u::rwx,g::r-x,o::r $D/f
settle
expect_eq "mode 0754, no ACL" "754 -rwxr-xr--" "$(stat -c '%a %A' $E/f)"
ok "setfacl -k drops the default ACL" -- setfacl -k $D/inh
settle
expect_eq "getfacl -d shows none" "" \
	"$(getfacl -n --absolute-names --omit-header -d $E/inh | grep -v '^$')"

t_begin "acl: a volume without ACLs"
err "setfacl on the shared volume: not supported" "Operation not supported" -- \
	sh -c "mkdir -p /mnt/acln && mount -t jfs $JFS_IT_URL /mnt/acln && : >/mnt/acln/noacl && setfacl -m u:1000:r /mnt/acln/noacl"
rm -f /mnt/acln/noacl
umount_vol /mnt/acln

t_begin "acl: cleanup"
ok "rm the tree" -- rm -rf $D
ok "umount $A" -- umount_vol $A
ok "umount $B" -- umount_vol $B
arcli flushdb >/dev/null
t_summary
