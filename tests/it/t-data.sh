#!/bin/bash
# File data through the real stack: sizes around page and 4 MiB block
# boundaries, sequential and random-offset overwrites, sparse holes, truncate
# up and down; then every file's SHA-256 again after umount/mount and after a
# jfsd restart (SIGTERM, start) between mounts, so the data really comes back
# from the object store and redis, not the page cache.
#
# Every jfs file has a model in /tmp (same bytes, built with the same ops on
# tmpfs); checks compare SHA-256 digests.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/data
D=$M/data
S=$IT_TMP/model # models, same names as in $D
MiB=1048576
mkdir -p $S

t_begin "data: mount"
expect_ok "mount $JFS_IT_URL" -- mount_vol $M
((T_OK)) || { t_summary; exit 1; }
rm -rf $D 2>/dev/null
ok "mkdir suite dir" -- mkdir $D

# same_sha DESC NAME: $D/NAME has the bytes of $S/NAME.
same_sha() {
	local a b
	a=$(sha256sum <"$D/$2" || echo "no $D/$2") b=$(sha256sum <"$S/$2" || echo "no $S/$2")
	expect_eq "$1" "$b" "$a"
}

t_begin "data: sizes"
sizes=(0 1 4095 4096 $((4 * MiB - 1)) $((4 * MiB + 1)))
for n in "${sizes[@]}"; do
	head -c "$n" /dev/urandom >$S/size-$n
	ok "write $n bytes (cp)" -- cp $S/size-$n $D/size-$n
done
out=$(stat -c '%n %s' "${sizes[@]/#/$D/size-}")
for n in "${sizes[@]}"; do
	expect_eq "size of the $n-byte file" "$D/size-$n $n" "$(grep "^$D/size-$n " <<<"$out")"
done
# one sha256sum for all: digests must equal the models'
want=$(cd $S && sha256sum "${sizes[@]/#/size-}")
got=$(cd $D && sha256sum "${sizes[@]/#/size-}")
for n in "${sizes[@]}"; do
	expect_eq "content of the $n-byte file (page cache)" \
		"$(grep " size-$n\$" <<<"$want")" "$(grep " size-$n\$" <<<"$got")"
done

t_begin "data: overwrites"
# Sequential: a 9 MiB file, then overwrite a range straddling the 4 MiB
# block boundary and one straddling the 8 MiB one, in place (notrunc).
head -c $((9 * MiB)) /dev/urandom >$S/seq
cp $S/seq $D/seq
head -c $((3 * MiB)) /dev/urandom >$IT_TMP/patch
for f in $S/seq $D/seq; do
	dd if=$IT_TMP/patch of=$f bs=4096 seek=$((1024 - 100)) conv=notrunc status=none
	dd if=$IT_TMP/patch of=$f bs=1 count=777 seek=$((8 * MiB - 300)) conv=notrunc status=none
done
same_sha "sequential overwrites across block boundaries" seq
# Random offsets: python3 writes both files with the same pwrite()s (some
# past EOF, some unaligned, some whole pages) and reads the jfs file back.
# (scripts go in -c: expect_ok runs commands with stdin from /dev/null)
rnd_py=$(cat <<'PY'
import os, random, sys
rng = random.Random(20240601)
size = 10 * 1024 * 1024
fds = [os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644) for p in sys.argv[1:]]
model = bytearray()
for i in range(150):
    off = rng.randrange(0, size)
    if i % 3 == 0:
        off &= ~4095
    n = rng.choice([1, 17, 4096, 5000, 65536, 300000])
    data = rng.randbytes(n)
    for fd in fds:
        os.pwrite(fd, data, off)
    if off > len(model):
        model.extend(bytes(off - len(model)))
    model[off:off + n] = data
for fd in fds:
    os.close(fd)
back = open(sys.argv[1], "rb").read()
if back != model:
    bad = next((i for i in range(min(len(back), len(model))) if back[i] != model[i]), None)
    sys.exit("mismatch: len %d vs model %d, first differing byte %s" % (len(back), len(model), bad))
PY
)
ok "random-offset pwrites (python3, reads back and compares)" -- python3 -c "$rnd_py" $D/rnd $S/rnd
same_sha "random-offset overwrites match the model" rnd
# Compaction: 250 small fsync'd overwrites of one chunk are one slice each;
# every 100th write folds the list into one slice (JuiceFS compactChunk),
# the data stays, and with trash on the old slices wait in delSlices.
dslices=$(delayed_slices)
compact_py=$(cat <<'PY'
import os, random, sys
rng = random.Random(7)
fds = [os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644) for p in sys.argv[1:]]
for i in range(250):
    data, off = rng.randbytes(rng.randrange(1, 3000)), rng.randrange(0, 1 << 20)
    for fd in fds:
        os.pwrite(fd, data, off)
        os.fsync(fd)
for fd in fds:
    os.close(fd)
if open(sys.argv[1], "rb").read() != open(sys.argv[2], "rb").read():
    sys.exit("mismatch")
PY
)
ok "250 fsync'd overwrites (python3, reads back and compares)" -- \
	python3 -c "$compact_py" $D/compact $S/compact
same_sha "compacted file matches the model" compact
n=$(chunk_records "$(stat -c %i $D/compact)" 0)
expect_ok "chunk list compacted ($n records for 250 writes)" -- test "$n" -ge 1 -a "$n" -le 100
if (($(trash_days) > 0)); then
	expect_ok "old slices kept in the trash ($(delayed_slices) entries)" -- \
		test "$(delayed_slices)" -gt "$dslices"
fi

# skipSome: small appends after a big write are compacted without it, so
# the big slice is neither read back nor stored again
append_py=$(cat <<'PY'
import os, random, sys
rng = random.Random(8)
fds = [os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644) for p in sys.argv[1:]]
head = rng.randbytes(2 << 20)
for fd in fds:
    os.pwrite(fd, head, 0)
    os.fsync(fd)
for i in range(150):
    data = rng.randbytes(1000)
    for fd in fds:
        os.pwrite(fd, data, (2 << 20) + 1000 * i)
        os.fsync(fd)
for fd in fds:
    os.close(fd)
if open(sys.argv[1], "rb").read() != open(sys.argv[2], "rb").read():
    sys.exit("mismatch")
PY
)
ok "a 2 MiB write, then 150 fsync'd 1000-byte appends" -- \
	python3 -c "$append_py" $D/append $S/append
same_sha "the appended file matches the model" append
read -r pos len <<<"$(first_record "$(stat -c %i $D/append)" 0)"
expect_ok "the list still starts with the big write's slice (pos $pos, len $len)" -- \
	test "$pos" -eq 0 -a "$len" -ge 1048576 -a "$len" -le 2097152
n=$(chunk_records "$(stat -c %i $D/append)" 0)
expect_ok "and the appends were compacted ($n records for 150)" -- test "$n" -lt 100

t_begin "data: holes"
: >$D/sparse
: >$S/sparse
for f in $D/sparse $S/sparse; do
	printf X | dd of=$f bs=1 seek=$((10 * MiB)) conv=notrunc status=none
done
expect_eq "size after writing 1 byte at 10 MiB" $((10 * MiB + 1)) "$(stat -c %s $D/sparse)"
ok "the 10 MiB before it read as zeros" -- cmp -n $((10 * MiB)) $D/sparse /dev/zero
expect_eq "the byte itself" X "$(tail -c 1 $D/sparse)"
# A hole between two data blocks, and one inside a block.
for f in $D/sparse2 $S/sparse2; do
	printf A | dd of=$f bs=1 status=none
	printf B | dd of=$f bs=1 seek=$((9 * MiB + 12345)) conv=notrunc status=none
	printf C | dd of=$f bs=1 seek=$((5 * MiB)) conv=notrunc status=none
done
same_sha "holes between and inside blocks" sparse2

t_begin "data: truncate"
head -c $((5 * MiB)) /dev/urandom >$S/trunc
cp $S/trunc $D/trunc
for f in $D/trunc $S/trunc; do truncate -s $((4 * MiB + 3)) $f; done
expect_eq "down to 4 MiB + 3: size" $((4 * MiB + 3)) "$(stat -c %s $D/trunc)"
same_sha "down to 4 MiB + 3: content" trunc
for f in $D/trunc $S/trunc; do truncate -s $((6 * MiB)) $f; done
same_sha "up to 6 MiB: old bytes then zeros" trunc
for f in $D/trunc $S/trunc; do
	truncate -s 1000 $f
	printf Z | dd of=$f bs=1 seek=2000 conv=notrunc status=none
done
expect_eq "down to 1000, write at 2000: size" 2001 "$(stat -c %s $D/trunc)"
same_sha "bytes cut off do not come back (1000..2000 are zeros)" trunc
for f in $D/trunc0 $S/trunc0; do
	head -c 5000 $S/seq >$f
	truncate -s 0 $f
	truncate -s 4096 $f
done
same_sha "to 0 and up to 4096: all zeros" trunc0

# 64 MiB + 1 crosses the 64 MiB chunk boundary: one write, one cold read.
t_begin "data: 64 MiB + 1"
big=$((64 * MiB + 1))
head -c $big /dev/urandom >$IT_TMP/big
big_sha=$(sha256sum <$IT_TMP/big)
ok "write 64 MiB + 1 bytes" -- cp $IT_TMP/big $D/big
rm -f $IT_TMP/big

# check_all STAGE: every file (and big, if still there) against its model.
names=("${sizes[@]/#/size-}" seq rnd sparse sparse2 trunc trunc0)
check_all() {
	local stage=$1 want got n
	want=$(cd $S && sha256sum "${names[@]}")
	got=$(cd $D && sha256sum "${names[@]}" 2>&1)
	for n in "${names[@]}"; do
		expect_eq "$n after $stage" "$(grep " $n\$" <<<"$want")" "$(grep " $n\$" <<<"$got")"
	done
}

t_begin "data: umount/mount"
ok "umount" -- umount_vol $M
expect_ok "mount again" -- mount_vol $M
((T_OK)) || { t_summary; exit 1; }
expect_eq "64 MiB + 1: size" $big "$(stat -c %s $D/big)"
expect_eq "64 MiB + 1: content (cold read)" "$big_sha" "$(sha256sum <$D/big)"
ok "unlink the 64 MiB + 1 file" -- rm $D/big
check_all "umount/mount"

t_begin "data: jfsd restart"
ok "umount" -- umount_vol $M
ok "stop jfsd (SIGTERM)" -- stop_jfsd
ok "start jfsd" -- start_jfsd
expect_ok "mount again" -- mount_vol $M
((T_OK)) || { t_summary; exit 1; }
check_all "jfsd restart"

t_begin "data: cleanup"
ok "rm -rf the suite dir" -- rm -rf $D
ok "umount" -- umount_vol $M
t_summary
