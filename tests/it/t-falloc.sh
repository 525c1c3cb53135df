#!/bin/bash
# fallocate modes, clones and O_DIRECT.  jfs stores no blocks for either: punched and
# zeroed ranges are zero records, an allocation moves the length, and a
# clone (cp --reflink=always, FICLONERANGE, copy_file_range) references the
# source's slices with sliceRef bumped as juicefs clone does.  Checked from
# a second mount, against the bytes, the bucket and Redis.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

A=/mnt/fla
B=/mnt/flb
D=$A/falloc
E=$B/falloc
objects() { find "$JFS_IT_BUCKET$JFS_IT_VOL/chunks" -type f 2>/dev/null | wc -l; }
settle() { sleep 1.2; }
hexdump_at() { od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }

t_begin "falloc: setup"
expect_ok "mount $A" -- mount_vol $A
expect_ok "mount $B" -- mount_vol $B
if ! is_jfs_mount $A || ! is_jfs_mount $B; then t_summary; exit 1; fi
mkdir -p $D

t_begin "falloc: fallocate modes"
head -c 1048576 /dev/urandom >$D/f
sha_before=$(sha $D/f)
ok "fallocate -l 3MiB (allocate: the size grows)" -- fallocate -l 3MiB $D/f
settle
expect_eq "size 3 MiB on the other mount" 3145728 "$(stat -c %s $E/f)"
expect_eq "the old bytes are kept" "$sha_before" "$(head -c 1048576 $E/f | sha256sum | cut -d' ' -f1)"
expect_eq "the new part reads as zeros" 0 "$(tail -c 2097152 $E/f | tr -d '\0' | wc -c)"
ok "fallocate --keep-size past the end" -- fallocate -n -o 3MiB -l 1MiB $D/f
expect_eq "keep-size: the size stays" 3145728 "$(stat -c %s $D/f)"
ok "punch a hole at 100000+50000" -- fallocate -p -o 100000 -l 50000 $D/f
settle
expect_eq "the hole reads as zeros through the other mount" 0 \
	"$(dd if=$E/f bs=1 skip=100000 count=50000 status=none | tr -d '\0' | wc -c)"
expect_eq "the bytes around it are kept" \
	"$(head -c 100000 $D/f | sha256sum)" "$(head -c 100000 $E/f | sha256sum)"
expect_eq "the size is kept" 3145728 "$(stat -c %s $E/f)"
ok "zero range 200000+10 (with a page cached on this mount)" -- eval \
	"cat $D/f >/dev/null && fallocate -z -o 200000 -l 10 $D/f"
expect_eq "this mount reads the zeros at once" 00000000000000000000 "$(hexdump_at $D/f 200000 10)"
settle
expect_eq "and the other mount" 00000000000000000000 "$(hexdump_at $E/f 200000 10)"
ok "zero range past the end grows the file" -- fallocate -z -o 3MiB -l 4096 $D/f
expect_eq "size 3 MiB + 4 KiB" 3149824 "$(stat -c %s $D/f)"
err "collapse range is not supported" "" -- fallocate -c -o 0 -l 4096 $D/f
ino=$(stat -c %i $D/f)
expect_eq "redis: zero records in the chunk (id 0)" 1 \
	"$(($(rcli llen "c${ino}_0") >= 3))"

t_begin "falloc: clones"
head -c 9000000 /dev/urandom >$D/src
sync
n0=$(objects)
ok "cp --reflink=always" -- cp --reflink=always $D/src $D/clone
n1=$(objects)
settle
expect_eq "the clone reads the same through the other mount" "$(sha $D/src)" "$(sha $E/clone)"
if [[ ${JFS_IT_STORAGE:-file} == file ]]; then
	expect_eq "no object was written for it" "$n0" "$n1"
fi
sino=$(stat -c %i $D/src)
refs=$(rcli hgetall sliceRef | paste - - | awk '$2 >= 1' | wc -l)
expect_eq "redis: the source's slices got a sliceRef" 1 "$((refs >= 1))"
printf 'CLONEWRITE' | dd of=$D/clone bs=1 seek=5000 conv=notrunc status=none
sync
settle
expect_eq "writing the clone leaves the source alone" "$(sha $D/src)" "$(sha $E/src)"
expect_eq "the clone has the write" CLONEWRITE "$(dd if=$E/clone bs=1 skip=5000 count=10 status=none)"
src_sha=$(sha $D/src)
clone_tail=$(tail -c 100000 $D/clone | sha256sum)
ok "rm the source" -- rm $D/src
sync
settle
expect_eq "the clone still reads (its blocks were not freed)" "$clone_tail" \
	"$(tail -c 100000 $E/clone | sha256sum)"
head -c 300000 /dev/urandom >$D/p
python3 - "$D/p" "$D/q" <<'PY' >"$IT_TMP/cfr" 2>&1
import os, sys
src = os.open(sys.argv[1], os.O_RDONLY)
dst = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
# aligned: a metadata clone; then an unaligned one (the VFS copies those)
a = os.copy_file_range(src, dst, 131072, 0, 0)
b = os.copy_file_range(src, dst, 1000, 200001, 131072)
print(a, b)
PY
expect_eq "copy_file_range: aligned and unaligned pieces" "131072 1000" "$(cat $IT_TMP/cfr)"
settle
expect_eq "the copied bytes read back through the other mount" \
	"$(head -c 131072 $D/p | sha256sum) $(dd if=$D/p bs=1 skip=200001 count=1000 status=none | sha256sum)" \
	"$(head -c 131072 $E/q | sha256sum) $(dd if=$E/q bs=1 skip=131072 count=1000 status=none | sha256sum)"
if command -v xfs_io >/dev/null; then
	ok "FICLONERANGE of a middle range" -- xfs_io -c "reflink $D/p 65536 4096 8192" $D/q
	expect_eq "it reads as the source's range" "$(dd if=$D/p bs=4096 skip=16 count=2 status=none | sha256sum)" \
		"$(dd if=$D/q bs=4096 skip=1 count=2 status=none | sha256sum)"
fi
err "dedupe is not supported" "" -- python3 -c "
import fcntl, os, struct, sys
s = os.open('$D/p', os.O_RDONLY); d = os.open('$D/q', os.O_RDWR)
args = struct.pack('QQHHI', 0, 4096, 1, 0, 0) + struct.pack('qQqiI', d, 0, 0, 0, 0)
buf = bytearray(args)
fcntl.ioctl(s, 0xC0189436, buf)
st = struct.unpack('qQqiI', bytes(buf[24:]))[3]
sys.exit(1 if st != 0 else 0)"

t_begin "falloc: O_DIRECT"
head -c 9437184 /dev/urandom >$IT_TMP/rand
ok "dd oflag=direct, 1 MiB blocks" -- dd if=$IT_TMP/rand of=$D/direct bs=1M oflag=direct status=none
expect_eq "dd iflag=direct reads it back" "$(sha $IT_TMP/rand)" \
	"$(dd if=$D/direct bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)"
settle
expect_eq "the other mount reads the same (buffered)" "$(sha $IT_TMP/rand)" "$(sha $E/direct)"
cat $D/direct >/dev/null	# cache it on this mount
printf 'DIRECTDATA' >$IT_TMP/patch
ok "an unaligned O_DIRECT overwrite" -- dd if=$IT_TMP/patch of=$D/direct bs=10 seek=100001 \
	oflag=direct,seek_bytes conv=notrunc status=none
expect_eq "a buffered read on the same mount sees it (cache dropped)" DIRECTDATA \
	"$(dd if=$D/direct bs=1 skip=100001 count=10 status=none)"
printf 'BUFFERED' | dd of=$D/direct bs=1 seek=5000 conv=notrunc status=none
expect_eq "an O_DIRECT read sees this mount's unwritten (dirty) data" BUFFERED \
	"$(dd if=$D/direct bs=4096 iflag=direct count=2 status=none | dd bs=1 skip=5000 count=8 status=none)"
ok "O_DIRECT append" -- eval "printf 'TAIL' | dd of=$D/direct oflag=direct,append conv=notrunc status=none"
expect_eq "the file grew by 4 bytes, the tail is there" "9437188 TAIL" \
	"$(stat -c %s $D/direct) $(tail -c 4 $D/direct)"

t_begin "falloc: cleanup"
ok "rm the tree" -- rm -rf $D
ok "umount $A" -- umount_vol $A
ok "umount $B" -- umount_vol $B
t_summary
