#!/bin/bash
# Permission checks: the kernel decides on cached attributes (owner, group,
# supplementary groups, mode bits, sticky and setgid directories, chown
# rules, root's capability overrides) before any request reaches jfsd.
# Each case is checked from a second mount too, so the attributes that
# decide it are the ones stored in the metadata, not a local leftover.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/pa
N=/mnt/pb
D=$M/perm
E=$N/perm

# uid 1000 in groups 1000 and 2000; uid 1001 in group 1001 only
u1() { setpriv --reuid 1000 --regid 1000 --groups 2000 "$@"; }
u2() { setpriv --reuid 1001 --regid 1001 --clear-groups "$@"; }

t_begin "perm: setup"
expect_ok "mount $M" -- mount_vol $M
# The second mount keeps no attribute cache: what it sees is what the
# metadata holds right now, not what it looked up under a second ago.
expect_ok "mount $N" -- mount_vol $N attr_timeout=0,entry_timeout=0
if ! is_jfs_mount $M || ! is_jfs_mount $N; then t_summary; exit 1; fi
mkdir -p $D
chmod 0755 $D

t_begin "perm: mode bits"
printf 'secret' >$D/rootfile
chmod 0600 $D/rootfile
err "a user cannot read root's 0600 file" "Permission denied" -- u1 cat $E/rootfile
err "nor write it" "Permission denied" -- u1 sh -c "echo x >>$E/rootfile"
err "nor create in root's 0755 dir" "Permission denied" -- u1 touch $E/new
err "nor unlink there" "Permission denied" -- u1 rm -f $E/rootfile
chmod 0000 $D/rootfile
expect_eq "root reads a 0000 file (CAP_DAC_OVERRIDE)" secret "$(cat $E/rootfile)"
err "root without CAP_DAC_OVERRIDE/READ_SEARCH cannot" "Permission denied" -- \
	setpriv --inh-caps=-all --bounding-set=-dac_override,-dac_read_search cat $E/rootfile
printf '#!/bin/sh\necho ran\n' >$D/script
chmod 0644 $D/script
err "no x bit: exec refused even for root" "Permission denied" -- $E/script

t_begin "perm: groups"
printf 'grp' >$D/g
chown 0:2000 $D/g
chmod 0640 $D/g
expect_eq "a member of the file's group (supplementary) reads it" grp "$(u1 cat $E/g 2>&1)"
err "a non-member cannot" "Permission denied" -- u2 cat $E/g
mkdir $D/gdir
chown 0:2000 $D/gdir
chmod 0770 $D/gdir
ok "a supplementary group member creates in a 0770 group dir" -- u1 touch $E/gdir/mine
err "a non-member cannot" "Permission denied" -- u2 touch $E/gdir/theirs

t_begin "perm: chown and chmod rules"
u1 touch $E/gdir/own
err "a user cannot give a file away" "Operation not permitted" -- u1 chown 1001 $D/gdir/own
ok "but can chgrp it to a group it is in" -- u1 chgrp 2000 $D/gdir/own
err "not to a group it is not in" "Operation not permitted" -- u1 chgrp 1001 $D/gdir/own
err "nor chmod another user's file" "Operation not permitted" -- u2 chmod 0777 $D/g
ok "root gives it away" -- chown 1001:1001 $D/gdir/own
expect_eq "the other mount sees the new owner" "1001:1001" "$(stat -c %u:%g $E/gdir/own)"
chown 1000:1000 $D/gdir/own
chmod 06755 $D/gdir/own
u1 sh -c "echo data >>$D/gdir/own"
expect_eq "a write by the owner clears setuid (and setgid with group x)" 755 \
	"$(stat -c %a $E/gdir/own)"
chown 1000:0 $D/gdir/own
ok "the owner chmods its file" -- u1 chmod 2755 $D/gdir/own
expect_eq "but setgid is dropped when the owner is not in the file's group" 755 \
	"$(stat -c %a $E/gdir/own)"

t_begin "perm: sticky directory"
mkdir $D/sticky
chmod 1777 $D/sticky
u1 touch $D/sticky/u1file
ok "others create in a sticky dir" -- u2 touch $E/sticky/u2file
err "but cannot remove another user's file" "Operation not permitted" -- u2 rm -f $E/sticky/u1file
err "nor rename it" "Operation not permitted" -- u2 mv $E/sticky/u1file $E/sticky/stolen
ok "the owner can" -- u1 rm -f $E/sticky/u1file
ok "root can" -- rm -f $E/sticky/u2file

t_begin "perm: setgid directory"
mkdir $D/sgid
chown 0:2000 $D/sgid
chmod 2777 $D/sgid
u2 touch $D/sgid/f
u2 mkdir $D/sgid/sub
expect_eq "a new file takes the dir's group" 2000 "$(stat -c %g $E/sgid/f)"
expect_eq "a new subdir takes the group and keeps setgid" "2000 2" \
	"$(stat -c '%g %a' $E/sgid/sub | sed 's/ \(.\).*/ \1/')"

t_begin "perm: chattr flags"
# lsattr's letters without the dashes: s (skip-trash), i, a
flags() { lsattr -d "$1" 2>&1 | awk '{print $1}' | tr -d -; }
printf 'keep' >$D/imm
chown 1000:1000 $D/imm
ok "root sets +i" -- chattr +i $D/imm
expect_eq "the other mount lists it" i "$(flags $E/imm)"
err "an immutable file cannot be written" "Operation not permitted" -- sh -c "echo x >>$E/imm"
err "nor removed" "Operation not permitted" -- rm -f $E/imm
err "nor chmod'ed" "Operation not permitted" -- chmod 0600 $E/imm
err "nor renamed" "Operation not permitted" -- mv $E/imm $E/imm2
err "its owner cannot clear +i" "Operation not permitted" -- u1 chattr -i $E/imm
err "root without CAP_LINUX_IMMUTABLE cannot either" "Operation not permitted" -- \
	setpriv --inh-caps=-all --bounding-set=-linux_immutable chattr -i $E/imm
ok "root clears it" -- chattr -i $E/imm
ok "and the file takes writes again" -- sh -c "echo x >>$E/imm"
printf 'a' >$D/app
ok "root sets +a" -- chattr +a $D/app
ok "an append-only file takes appends" -- sh -c "printf b >>$E/app"
err "but no overwrite" "Operation not permitted" -- sh -c "printf c >$E/app"
err "nor truncate" "Operation not permitted" -- truncate -s 0 $E/app
expect_eq "it holds what was appended" ab "$(cat $D/app)"
ok "root clears +a" -- chattr -a $E/app
err "a flag jfs has not (+A) is refused" "Operation not supported" -- chattr +A $D/app
mkdir $D/skiptrash
chown 1000:1000 $D/skiptrash
err "its owner may not set +s (skip-trash is root's)" "Operation not permitted" -- \
	u1 chattr +s $D/skiptrash
ok "root sets +s on a dir" -- chattr +s $D/skiptrash
u1 touch $D/skiptrash/f
expect_eq "a new file inside inherits it (JuiceFS doMknod)" s "$(flags $E/skiptrash/f)"
if (($(trash_days) > 0)); then
	i=$(stat -c %i $D/skiptrash/f)
	rm -f $D/skiptrash/f
	expect_eq "and its removal skips the trash" 0 \
		"$(ls $M/.trash/*/ 2>/dev/null | grep -c -- "-$i-f\$")"
fi

t_begin "perm: cleanup"
ok "rm the tree" -- rm -rf $D
ok "umount $M" -- umount_vol $M
ok "umount $N" -- umount_vol $N
t_summary
