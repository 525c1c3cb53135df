#!/bin/bash
# Two mounts of one volume in one guest (/mnt/a, /mnt/b: two sessions of the
# one jfsd). Close-to-open: a file written and closed on one mount shows its
# new content on the next open on the other, even for a same-length overwrite
# (only mtime tells the page cache is stale). Names created or removed on one
# mount appear or vanish on the other once the 1 s entry/attr caches expire.
# A chunk written by both in turn is compacted by its list's length.
# shellcheck disable=SC2010 # ls | grep on purpose: it tests readdir
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

A=/mnt/a
B=/mnt/b
OPTS=attr_timeout=1,entry_timeout=1

t_begin "twomounts: mount"
expect_eq "no sessions before" 0 "$(vol_sessions)"
expect_ok "mount $A" -- mount_vol $A $OPTS
expect_ok "mount $B" -- mount_vol $B $OPTS
if ! is_jfs_mount $A || ! is_jfs_mount $B; then t_summary; exit 1; fi
expect_eq "two sessions" 2 "$(vol_sessions)"
expect_eq "options shown in /proc/mounts" "2" \
	"$(grep -c "attr_timeout_ms=1000,entry_timeout_ms=1000" /proc/mounts)"
rm -rf $A/tm 2>/dev/null
ok "mkdir on a" -- mkdir $A/tm
ok "b sees the dir a made" -- test -d $B/tm

t_begin "twomounts: close-to-open"
printf 'written-on-a-1' >$A/tm/f1
expect_eq "a -> b: new file's content" written-on-a-1 "$(<$B/tm/f1)"
printf 'written-on-b-2' >$B/tm/f2
expect_eq "b -> a: new file's content" written-on-b-2 "$(<$A/tm/f2)"
# Both mounts now have f1 and f2 in their page caches. Same-length in-place
# overwrites (size never changes), read back at once on the other mount.
m0=$(stat -c %y $A/tm/f1)
printf 'OVERWRITE-BY-B' | dd of=$B/tm/f1 conv=notrunc status=none
expect_eq "b overwrote a's file: a sees it on open" OVERWRITE-BY-B "$(<$A/tm/f1)"
expect_eq "size unchanged" 14 "$(stat -c %s $A/tm/f1)"
[[ $(stat -c %y $A/tm/f1) != "$m0" ]]
check "a sees the new mtime" "mtime still $m0"
printf 'OVERWRITE-BY-A' | dd of=$A/tm/f2 conv=notrunc status=none
expect_eq "a overwrote b's file: b sees it on open" OVERWRITE-BY-A "$(<$B/tm/f2)"
# Bigger than a page, overwritten in the middle of its second page.
head -c 20000 /dev/urandom >$IT_TMP/big
cp $IT_TMP/big $A/tm/big
expect_eq "a -> b: 20000-byte file" "$(sha256sum <$IT_TMP/big)" "$(sha256sum <$B/tm/big)"
head -c 100 /dev/urandom | tee $IT_TMP/patch |
	dd of=$B/tm/big bs=1 seek=5000 conv=notrunc status=none
dd if=$IT_TMP/patch of=$IT_TMP/big bs=1 seek=5000 conv=notrunc status=none
expect_eq "b patched page 2: a reads the patch" "$(sha256sum <$IT_TMP/big)" "$(sha256sum <$A/tm/big)"
# Appends change the size too.
printf 'more' >>$A/tm/f1
expect_eq "a appended: b sees the longer file" OVERWRITE-BY-Bmore "$(<$B/tm/f1)"

t_begin "twomounts: entry timeout"
err "b: no such name yet" "No such file" -- stat $B/tm/new # caches a negative entry
err "a: no such name yet" "No such file" -- stat $A/tm/gone-later
printf 'n' >$A/tm/new
printf 'g' >$B/tm/gone-later
ok "a sees b's new file" -- stat $A/tm/gone-later # a positive entry on a
sleep 1.5
ok "b sees a's new file after the entry timeout" -- stat $B/tm/new
expect_eq "with its content" n "$(<$B/tm/new)"
expect_eq "and b's readdir lists it" 1 "$(ls $B/tm | grep -cx new)"
ok "b unlinks its file" -- rm $B/tm/gone-later
sleep 1.5
err "a: the unlinked name is gone after the entry timeout" "No such file" -- stat $A/tm/gone-later
expect_eq "and a's readdir does not list it" 0 "$(ls $A/tm | grep -cx gone-later)"
ok "a renames f2 to f3" -- mv $A/tm/f2 $A/tm/f3
ok "b chmods f1" -- chmod 600 $B/tm/f1
sleep 1.5
err "b: the old name is gone" "No such file" -- stat $B/tm/f2
expect_eq "b: the new name has the content" OVERWRITE-BY-A "$(<$B/tm/f3)"
expect_eq "a: the mode changed on b after the attr timeout" 600 "$(stat -c %a $A/tm/f1)"

t_begin "twomounts: compaction counts the list, not one client's writes"
# a writes the even pages, b the odd ones, each fsync'd: 120 records, 60
# per client; the list reaching 99 records is what compacts it
alt_py=$(cat <<'PY'
import os, sys
fa = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fb = os.open(sys.argv[2], os.O_RDWR)
for i in range(120):
    fd = fa if i % 2 == 0 else fb
    os.pwrite(fd, bytes([i]) * 4096, 4096 * i)
    os.fsync(fd)
os.close(fa)
os.close(fb)
PY
)
: >$A/tm/alt
sleep 1.5
ok "120 page writes alternating between the mounts" -- \
	python3 -c "$alt_py" $A/tm/alt $B/tm/alt
n=$(chunk_records "$(stat -c %i $A/tm/alt)" 0)
expect_ok "the list was compacted ($n records)" -- test "$n" -lt 60
sleep 1.5
expect_eq "both mounts read every page" "120 120" "$(for m in $A $B; do
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
print(sum(d[4096 * i:4096 * (i + 1)] == bytes([i]) * 4096 for i in range(120)))' $m/tm/alt
done | tr '\n' ' ' | sed 's/ $//')"

t_begin "twomounts: cleanup"
ok "rm -rf on b" -- rm -rf $B/tm
sleep 1.5
err "a: the dir is gone" "No such file" -- stat $A/tm
ok "umount a" -- umount_vol $A
expect_eq "one session left" 1 "$(vol_sessions)"
ok "umount b" -- umount_vol $B
expect_eq "no sessions left" 0 "$(vol_sessions)"
t_summary
