#!/bin/bash
# The local block cache of jfsd: a second read of a file is served from it
# without a single GET reaching the server (counted by MinIO itself); a
# corrupted cache file is detected, refetched and the read is still right;
# the cache never holds more than --cache-size.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/s3c
C=$JFS_IT_CACHE_DIR

cache_bytes() { find "$C" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }

t_begin "s3 cache: second read"
ok "jfsd with an empty cache" -- eval 'stop_jfsd && rm -rf "$C" && start_jfsd'
ok "mount" -- mount_vol $M
is_jfs_mount $M || { t_summary; exit 1; }
head -c $((12 * 1048576 + 4321)) /dev/urandom >/tmp/c-f
ok "write 12 MiB" -- cp /tmp/c-f $M/f
ok "umount" -- umount_vol $M
ok "jfsd with an empty cache again" -- eval 'stop_jfsd && rm -rf "$C" && start_jfsd'
ok "mount" -- mount_vol $M
g0=$(s3_requests getobject)
expect_eq "first read is right" "$(sha /tmp/c-f)" "$(sha $M/f)"
g1=$(s3_requests getobject)
((g1 - g0 >= 4))
check "first read went to S3 ($((g1 - g0)) GETs)"
ok "umount (drops the page cache)" -- umount_vol $M
ok "mount" -- mount_vol $M
expect_eq "second read is right" "$(sha /tmp/c-f)" "$(sha $M/f)"
g2=$(s3_requests getobject)
expect_eq "second read: no GET reached S3" "$g1" "$g2"

t_begin "s3 cache: corruption"
ok "umount" -- umount_vol $M
mapfile -t files < <(find "$C" -path '*/raw/chunks/*' -type f -size +1M | sort)
((${#files[@]} >= 3))
check "whole blocks are in the cache (${#files[@]} files)"
# flip one byte in the middle of one block's data, truncate another (torn)
f1=${files[0]}
b=$(od -An -tu1 -j 1000000 -N1 "$f1" | tr -d ' ')
printf "$(printf '\\%03o' $(((b + 1) % 256)))" | dd of="$f1" bs=1 seek=1000000 conv=notrunc status=none
truncate -s 2000000 "${files[1]}"
ok "mount" -- mount_vol $M
g0=$(s3_requests getobject)
expect_eq "read with a damaged cache is right" "$(sha /tmp/c-f)" "$(sha $M/f)"
g1=$(s3_requests getobject)
expect_eq "exactly the two damaged blocks were refetched" 2 $((g1 - g0))
ok "umount" -- umount_vol $M
ok "mount" -- mount_vol $M
g0=$(s3_requests getobject)
expect_eq "and read again from the repaired cache" "$(sha /tmp/c-f)" "$(sha $M/f)"
expect_eq "no GET after the repair" "$g0" "$(s3_requests getobject)"
ok "umount" -- umount_vol $M

t_begin "s3 cache: size limit"
save=$JFS_IT_JFSD_ARGS
export JFS_IT_JFSD_ARGS="--cache-dir $C --cache-size 9"
ok "jfsd with --cache-size 9 (MiB)" -- eval 'stop_jfsd && rm -rf "$C" && start_jfsd'
ok "mount" -- mount_vol $M
head -c $((24 * 1048576)) /dev/urandom >/tmp/c-g
ok "write 24 MiB" -- cp /tmp/c-g $M/g
n=$(cache_bytes)
((n <= 9 * 1048576))
check "cache holds $n bytes <= 9 MiB after the write"
ok "umount" -- umount_vol $M
ok "mount" -- mount_vol $M
expect_eq "24 MiB reads back through a 9 MiB cache" "$(sha /tmp/c-g)" "$(sha $M/g)"
n=$(cache_bytes)
((n <= 9 * 1048576 && n > 4 * 1048576))
check "cache holds $n bytes, within 9 MiB and in use"
ok "remove the files" -- rm $M/f $M/g
ok "umount" -- umount_vol $M
export JFS_IT_JFSD_ARGS=$save
ok "jfsd back to the default cache" -- restart_jfsd
rm -f /tmp/c-f /tmp/c-g
t_summary
