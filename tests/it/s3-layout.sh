#!/bin/bash
# The objects a volume leaves in S3 follow JuiceFS's layout: NAME/juicefs_uuid
# holds the UUID, blocks are NAME/chunks/{id/1e6}/{id/1e3}/{id}_{i}_{bsize}
# where bsize is the UNCOMPRESSED length, every committed slice has all its
# blocks, and with lz4/zstd compressible data is stored smaller than its key
# says. Run by tests/s3/guest.sh once per compression.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/s3l
BS=4194304
S3C=tests/it/s3check.py

t_begin "s3 layout: write"
ok "mount" -- mount_vol $M
is_jfs_mount $M || { t_summary; exit 1; }
# 10 MiB + 123 of text (compressible) and 5 MiB of random bytes
yes "jfs block layout line $JFS_IT_COMPRESS" | head -c $((10 * 1048576 + 123)) >/tmp/l-text
head -c $((5 * 1048576)) /dev/urandom >/tmp/l-rand
python3 $S3C list "$JFS_IT_VOL/chunks/" | sort >/tmp/l-before
ok "write text file" -- cp /tmp/l-text $M/text
ok "write random file" -- cp /tmp/l-rand $M/rand
ok "umount" -- umount_vol $M

t_begin "s3 layout: objects"
uuid=$(rcli get setting | python3 -c 'import json,sys; print(json.load(sys.stdin)["UUID"])')
python3 $S3C list "$JFS_IT_VOL/" >/tmp/l-objs 2>/tmp/l-err
check "list the bucket (ListObjectsV2)" "$(cat /tmp/l-err)"
expect_eq "juicefs_uuid object holds the UUID" "$uuid" \
	"$(curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u "$JFS_IT_S3_USER:$JFS_IT_S3_PASS" \
		"$JFS_IT_S3_URL/$JFS_IT_VOL/juicefs_uuid")"
bad=$(awk -v v="$JFS_IT_VOL" '$1 != v "/juicefs_uuid" && $1 !~ "^" v "/chunks/[0-9]+/[0-9]+/[0-9]+_[0-9]+_[0-9]+$"' /tmp/l-objs)
[[ -z $bad ]]
check "every object is juicefs_uuid or a JuiceFS block key" "unexpected: $bad"
# {id/1e6}/{id/1e3}/{id}: the directories follow from the id
bad=$(awk -F/ '$2 == "chunks" { split($5, p, "_"); if ($3 != int(p[1] / 1000000) || $4 != int(p[1] / 1000)) print $0 }' /tmp/l-objs)
[[ -z $bad ]]
check "block directories are id/1e6 and id/1e3" "$bad"
# the objects this suite made: earlier suites' deleted files may still be
# in the trash (TrashDays 1), their objects with them
sort /tmp/l-objs | comm -13 /tmp/l-before - >/tmp/l-new
# the key's sizes add up to what was written (each write makes new slices)
total=$(awk -F'[_ ]' '/\/chunks\// { s += $(NF - 1) } END { print s + 0 }' /tmp/l-new)
expect_eq "uncompressed sizes in the keys add up to the data" $((10 * 1048576 + 123 + 5 * 1048576)) "$total"
big=$(awk -F'[_ ]' -v bs=$BS '/\/chunks\// && $(NF - 1) > bs' /tmp/l-new)
[[ -z $big ]]
check "no block is larger than the block size" "$big"
stored=$(awk '/\/chunks\// { s += $2 } END { print s + 0 }' /tmp/l-new)
case $JFS_IT_COMPRESS in
none)
	bad=$(awk -F'[_ ]' '/\/chunks\// && $(NF - 1) != $NF' /tmp/l-new)
	[[ -z $bad ]]
	check "uncompressed: object size = size in the key" "$bad"
	;;
*)
	((stored < total * 3 / 4))
	check "$JFS_IT_COMPRESS: stored $stored bytes for $total (text compresses)" "stored $stored"
	;;
esac
# writeback hands jfsd whole blocks: a sequential file is stored as full
# 4 MiB blocks and one short last block, never as pieces
python3 $S3C list "$JFS_IT_VOL/chunks/" | sort >/tmp/l-after
sizes=$(comm -13 /tmp/l-before /tmp/l-after | awk -F'[_ ]' '{ print $(NF - 1) }' | sort -n | tr '\n' ' ')
expect_eq "new objects are whole blocks (10 MiB+123 and 5 MiB files)" \
	"1048576 2097275 4194304 4194304 4194304 " "$sizes"
missing=$(python3 $S3C missing "$JFS_IT_URL" 2>&1)
[[ -z $missing ]]
check "every block of every committed slice is in the bucket" "$missing"

t_begin "s3 layout: read back"
# an empty block cache: the blocks must come from S3 and decode
ok "jfsd restarts with an empty cache" -- eval 'stop_jfsd && rm -rf "$JFS_IT_CACHE_DIR" && start_jfsd'
g0=$(s3_requests getobject)
ok "mount again" -- mount_vol $M
expect_eq "text file reads back" "$(sha /tmp/l-text)" "$(sha $M/text)"
expect_eq "random file reads back" "$(sha /tmp/l-rand)" "$(sha $M/rand)"
g1=$(s3_requests getobject)
((g1 - g0 >= 5))
check "the reads were served by S3 (GETs $g0 -> $g1)"
ok "remove both" -- rm $M/text $M/rand
ok "umount" -- umount_vol $M
rm -f /tmp/l-text /tmp/l-rand
t_summary
