#!/bin/bash
# Runs inside the test VM: jfs and the real `juicefs` client (FUSE) on one
# volume made by `juicefs format` with its defaults (trash 1 day, dir
# stats), Redis + MinIO on loopback, both clients mounted at once.
#
#   tests/vm/run.sh -t 1500 -o /tmp/out -- tests/peers/interop.sh
#
# 1. jfs writes a tree (small and multi-chunk files, overwrites, truncates,
#    hard links, symlinks, renames, deletes); `juicefs fsck` (objects, and
#    --path / --sync-dir-stat) finds nothing; the juicefs mount shows the
#    same tree and the same SHA-256 for every file.
# 2. The reverse: written through the juicefs mount, read through jfs.
# 3. Co-mounted: close-to-open content and unlinks seen across clients;
#    chattr +i/+a set by either client is enforced by the other.
# 4. Trash: a jfs delete shows in .trash for juicefs and comes back with mv
#    (and the other way round); an expired hour dir is purged by jfsd's
#    background job and its objects freed.
# 5. A second volume with lz4, hashed prefixes and 1 MiB blocks: files
#    written by either client read the same through the other.
# 6. A dir quota set by juicefs keeps jfs read-only (it does not keep quotas).
# 7. `juicefs gc` (no --delete, nothing skipped) finds no leaked object.
# 8. Dumps move a volume between the clients (dumpload.sh): jfsadm dump ->
#    juicefs load -> juicefs mount, and juicefs dump -> jfsadm load (Redis,
#    SQLite) -> mount -t jfs show identical trees.
# Skips (exit 0, one SKIP line) only when the juicefs binary is missing.
set -u
cd "$(dirname "$0")/../.." || exit 1
# its own bucket, so gc and the object counts see only this volume
export JFS_IT_S3_URL=http://127.0.0.1:${JFS_IT_S3_PORT:-9000}/jfsinterop
. tests/lib.sh
. tests/it/env.sh
. tests/peers/env.sh

[[ ${JFS_VM:-} == 1 ]] || { echo "interop.sh: runs inside the test VM only" >&2; exit 2; }

T_NAME=interop
DB=10
URL=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$DB
BUCKET=$JFS_IT_S3_URL
VOL=ivol
J=/mnt/i-jfs		# jfs
F=/mnt/i-juicefs	# juicefs (FUSE)
TRASH_INO=9223372032828243968
# jfsd runs its hourly jobs every few seconds here, so expiry can be seen
export JFS_IT_JFSD_ARGS="--cache-dir /tmp/jfscache --cache-size 1024 --bg-interval 3"

if ! juicefs_available; then
	echo "SKIP interop: the juicefs peer is not installed (tests/peers/install-juicefs.sh)"
	exit 0
fi

ircli() { redis-cli -p "$JFS_IT_REDIS_PORT" -n "$DB" "$@"; }

juicefs_umount() {
	mountpoint -q "$F" || return 0
	jc umount "$F" >>/vmout/juicefs.log 2>&1 || umount -l "$F"
}

# leaves the gc/fsck verdicts in the log; prints the summary line
gc_summary() {
	JFS_GC_SKIPPEDTIME=0 jc gc "$URL" 2>&1 | tee -a /vmout/juicefs.log |
		grep -o 'scanned [0-9]* objects.*' | tail -n1
}

teardown() {
	t_begin "interop teardown"
	juicefs_umount
	expect_ok "unmount jfs" -- umount_vol "$J"
	expect_ok "jfsd stops" -- stop_jfsd
	grep -qw jfsk /proc/modules && expect_ok "rmmod jfsk" -- rmmod jfsk
	stop_minio
	redis-cli -p "$JFS_IT_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

t_begin "interop setup"
echo "peer: $(jc version 2>&1)"
expect_ok "redis-server" -- start_redis "$JFS_IT_REDIS_PORT"
expect_ok "MinIO" -- start_minio
expect_ok "modprobe fuse" -- modprobe fuse
expect_ok "insmod jfsk" -- insmod "$JFSK"
expect_ok "jfsd" -- start_jfsd
((T_OK)) || { teardown; t_summary; exit 1; }
ok "juicefs format (its defaults) $URL $VOL" -- eval \
	'jc format --storage minio --bucket "$BUCKET" --access-key "$JFS_IT_S3_USER" \
	--secret-key "$JFS_IT_S3_PASS" "$URL" "$VOL" >>/vmout/juicefs.log 2>&1'
setting=$(ircli get setting)
expect_eq "the volume keeps a 1-day trash and dir stats" "1 True" \
	"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["TrashDays"], d["DirStats"])' "$setting")"
expect_ok "mount -t jfs (read-write)" -- mount_vol "$J" "" "$URL"
expect_ok "juicefs mount" -- juicefs_mount "$URL" "$F" /vmout/juicefs-mount.log
((T_OK)) || { teardown; t_summary; exit 1; }
expect_eq "jfs mounted read-write" rw "$(findmnt -no OPTIONS "$J" | cut -d, -f1)"
expect_eq "juicefs sees jfs's session" 2 "$(ircli zcard allSessions)"

t_begin "interop: jfs writes, juicefs reads"
T=$J/t
mkdir -p $T/sub/deep $T/empty
printf 'hello\n' >$T/small
head -c 100000 /dev/urandom >$T/sub/rand100k
seq 1 200000 >$T/text
# two chunks: random data at the start and across the 64 MiB boundary
ok "multi-chunk file" -- eval "head -c 1500000 /dev/urandom >$T/big &&
	dd if=/dev/urandom of=$T/big bs=512K seek=127 count=3 conv=notrunc status=none &&
	truncate -s 70M $T/big"
ok "random overwrites" -- eval "for o in 7 4095 4096 99999 1048575 67108860; do
	printf 'OVERWRITE' | dd of=$T/big bs=1 seek=\$o conv=notrunc status=none; done &&
	printf 'XY' | dd of=$T/text bs=1 seek=1000 conv=notrunc status=none"
ok "truncate down and up" -- eval "head -c 300000 /dev/urandom >$T/trunc &&
	truncate -s 123457 $T/trunc && truncate -s 200000 $T/trunc"
ok "hard links" -- eval "ln $T/small $T/sub/small-link && ln $T/small $T/sub/deep/third"
ok "symlinks" -- eval "ln -s ../small $T/sub/sl && ln -s /nowhere $T/dangling"
ok "renames" -- eval "mv $T/sub/rand100k $T/sub/deep/renamed && mv $T/sub/deep $T/deep2"
ok "deletes" -- eval "printf x >$T/del1 && rm $T/del1 && mkdir $T/deldir && rmdir $T/deldir &&
	rm $T/sub/deep2 2>/dev/null; rm $T/deep2/third"
ok "rename over an existing file" -- eval "printf old >$T/target && printf new >$T/src &&
	mv $T/src $T/target"
ok "fsync everything" -- sync
sleep 2	# dir stats are flushed every second
fsck_out=$(jc fsck "$URL" 2>&1)
rc=$?
echo "$fsck_out" >>/vmout/juicefs.log
expect_eq "juicefs fsck: exit 0" 0 "$rc"
expect_eq "juicefs fsck: no lost objects" 0 "$(grep -ci 'lost\|broken' <<<"$fsck_out")"
fsck_out=$(jc fsck "$URL" --path / --recursive --sync-dir-stat 2>&1)
rc=$?
echo "$fsck_out" >>/vmout/juicefs.log
expect_eq "juicefs fsck --path / -r --sync-dir-stat: exit 0" 0 "$rc"
expect_eq "no nlink or dir-stat complaints" "" \
	"$(grep -iE 'should be|missing|broken|repair' <<<"$fsck_out" | head -n 5)"
sleep 1.5	# juicefs's entry and attr caches
same_tree "juicefs shows the same tree, modes, links and SHA-256" "$T" "$F/t"

t_begin "interop: juicefs writes, jfs reads"
R=$F/r
ok "juicefs writes a tree" -- eval "mkdir -p $R/a/b && printf 'from juicefs\n' >$R/hello &&
	head -c 5000000 /dev/urandom >$R/a/rand5m && seq 1 100000 >$R/a/b/seq &&
	dd if=/dev/urandom of=$R/sparse bs=1M seek=65 count=1 status=none &&
	printf 'ZZ' | dd of=$R/a/rand5m bs=1 seek=4194300 conv=notrunc status=none &&
	truncate -s 777777 $R/a/b/seq && ln $R/hello $R/a/hl && ln -s a/b/seq $R/sl &&
	mv $R/a/b $R/b2 && printf gone >$R/x && rm $R/x && sync"
sleep 1.5
same_tree "jfs shows juicefs's tree identically" "$R" "$J/r"

t_begin "interop: co-mounted close-to-open"
mkdir -p $J/c
printf 'v1 from jfs' >$J/c/f
sleep 1.5
expect_eq "juicefs reads jfs's new file" "v1 from jfs" "$(cat $F/c/f)"
printf 'v2 from jfs, longer' >$J/c/f
sleep 1.5
expect_eq "juicefs reads jfs's rewrite after open" "v2 from jfs, longer" "$(cat $F/c/f)"
printf 'v3 from juicefs, longest of all' >$F/c/f
sleep 1.5
expect_eq "jfs reads juicefs's rewrite after open" "v3 from juicefs, longest of all" "$(cat $J/c/f)"
printf 'short' >$F/c/f
sleep 1.5
expect_eq "jfs sees the shorter rewrite too" short "$(cat $J/c/f)"
printf 'a' >$J/c/u1
printf 'b' >$F/c/u2
sleep 1.5
ok "both see both files" -- eval "cat $F/c/u1 $J/c/u2 >/dev/null"
rm $J/c/u1
rm $F/c/u2
sleep 2
err "an unlink on jfs is gone on juicefs" "No such file" -- stat $F/c/u1
err "an unlink on juicefs is gone on jfs" "No such file" -- stat $J/c/u2

t_begin "interop: chattr flags"
# lsattr's letters without the dashes
flags() { lsattr -d "$1" 2>&1 | awk '{print $1}' | tr -d -; }
printf 'frozen' >$J/c/imm
ok "jfs: chattr +i" -- chattr +i $J/c/imm
sleep 1.5
expect_eq "juicefs lists it immutable" i "$(flags $F/c/imm)"
err "juicefs refuses to open it for writing" "Operation not permitted" -- \
	sh -c "echo x >>$F/c/imm"
err "and to unlink it" "Operation not permitted" -- rm -f $F/c/imm
printf 'log:' >$F/c/app
ok "juicefs: chattr +a" -- chattr +a $F/c/app
sleep 1.5
expect_eq "jfs lists it append-only" a "$(flags $J/c/app)"
ok "jfs appends to it" -- sh -c "printf 1 >>$J/c/app"
err "but does not overwrite it" "Operation not permitted" -- sh -c "printf 2 >$J/c/app"
ok "juicefs clears +a" -- chattr -a $F/c/app
ok "jfs clears +i" -- chattr -i $J/c/imm
sleep 1.5
ok "juicefs writes the file again" -- sh -c "echo more >>$F/c/imm"
expect_eq "and jfs reads what both wrote" "log:1" "$(cat $J/c/app)"

t_begin "interop: trash"
mkdir -p $J/tr
printf 'keep me' >$J/tr/doc
dino=$(stat -c %i $J/tr) fino=$(stat -c %i $J/tr/doc)
rm $J/tr/doc
sleep 1.5
hour=$(ls $F/.trash | tail -n1)
expect_eq "jfs lists .trash in the root" 1 "$(ls -a $J | grep -cx .trash)"
expect_eq "juicefs sees the deleted file in .trash/$hour" "keep me" \
	"$(cat "$F/.trash/$hour/$dino-$fino-doc" 2>&1)"
ok "restore with mv (on jfs)" -- mv "$J/.trash/$hour/$dino-$fino-doc" $J/tr/doc
sleep 1.5
expect_eq "juicefs reads the restored file" "keep me" "$(cat $F/tr/doc)"
printf 'deleted by juicefs' >$F/tr/j
jino=$(stat -c %i $F/tr/j)
rm $F/tr/j
sleep 1.5
expect_eq "jfs sees juicefs's deletion in its .trash" "deleted by juicefs" \
	"$(cat "$J/.trash/$hour/$dino-$jino-j" 2>&1)"
ok "restore it with mv (on jfs)" -- mv "$J/.trash/$hour/$dino-$jino-j" $J/tr/j
expect_eq "restored content" "deleted by juicefs" "$(cat $J/tr/j)"
ok "non-root cannot take things out of the trash" -- eval \
	"printf z >$J/tr/z && rm $J/tr/z && ! setpriv --reuid 1000 --regid 1000 --clear-groups \
	mv $J/.trash/$hour/$dino-*-z $J/tr/z 2>/dev/null"

# expiry: a big deleted file, its hour dir aged by renaming it in Redis
ok "write and delete a 9 MiB file" -- eval "head -c 9000000 /dev/urandom >$J/tr/big && sync && rm $J/tr/big"
before=$(python3 tests/it/s3check.py list "$VOL/chunks/" 2>/dev/null | grep -c .)
expect_eq "age the hour dir to 2020-01-01-00" 1 "$(ircli eval "local v=redis.call('HGET', KEYS[1], ARGV[1])
	if not v then return 0 end
	redis.call('HSET', KEYS[1], ARGV[2], v)
	return redis.call('HDEL', KEYS[1], ARGV[1])" 1 "d$TRASH_INO" "$hour" 2020-01-01-00)"
purged=0
for ((i = 0; i < 60; i++)); do
	if ! ircli hexists "d$TRASH_INO" 2020-01-01-00 | grep -qx 1; then purged=1; break; fi
	sleep 1
done
expect_eq "jfsd's trash job removed the expired hour dir" 1 "$purged"
after=$(python3 tests/it/s3check.py list "$VOL/chunks/" 2>/dev/null | grep -c .)
((before - after >= 3))
check "its objects were deleted ($before -> $after objects)"
expect_eq "the restored files stay" "keep me" "$(cat $J/tr/doc)"
expect_eq "no delfiles left" 0 "$(ircli zcard delfiles)"

# the other data layouts juicefs format offers, on a second volume:
# lz4 instead of none, hashed object prefixes, 1 MiB blocks
t_begin "interop: lz4, hash prefix, 1 MiB blocks"
URL2=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$((DB + 1))
J2=/mnt/i2-jfs F2=/mnt/i2-juicefs
ok "juicefs format --compress lz4 --hash-prefix --block-size 1024" -- eval \
	'jc format --storage minio --bucket "${BUCKET}2" --access-key "$JFS_IT_S3_USER" \
	--secret-key "$JFS_IT_S3_PASS" --compress lz4 --hash-prefix --block-size 1024 \
	"$URL2" ivol2 >>/vmout/juicefs.log 2>&1'
ok "both clients mount it" -- eval 'mount_vol "$J2" "" "$URL2" &&
	juicefs_mount "$URL2" "$F2" /vmout/juicefs-mount2.log'
ok "jfs writes" -- eval "mkdir $J2/a && head -c 3500000 /dev/urandom >$J2/a/rand &&
	seq 1 300000 >$J2/a/text && printf 'patch' | dd of=$J2/a/rand bs=1 seek=1048570 \
	conv=notrunc status=none && sync"
ok "juicefs writes" -- eval "mkdir $F2/b && head -c 2500000 /dev/urandom >$F2/b/rand &&
	seq 5 400000 >$F2/b/text && sync"
sleep 1.5
same_tree "jfs's files read the same through juicefs" "$J2/a" "$F2/a"
same_tree "juicefs's files read the same through jfs" "$F2/b" "$J2/b"
objs=$(JFS_IT_S3_URL=${BUCKET}2 python3 tests/it/s3check.py list ivol2/chunks/ 2>/dev/null)
echo "$objs" >/vmout/ivol2-objects.log
# names end in the uncompressed block size; lz4 keeps random data about
# as big and shrinks text, so the bucket holds less than the names say
bad=$(awk '$1 !~ /^ivol2\/chunks\/[0-9A-F][0-9A-F]\/[0-9]+\/[0-9]+_[0-9]+_[0-9]+$/ {
	print; next } { n = split($1, p, "_"); if (p[n] > 1048576) print }' <<<"$objs")
expect_eq "objects are hashed (chunks/{HEX}/{id/1000}/...) and name blocks of at most 1 MiB" "" "$bad"
read -r named stored < <(awk '{ n = split($1, p, "_"); k += p[n]; s += $2 } END { print k + 0, s + 0 }' <<<"$objs")
((stored > 0 && stored * 10 < named * 9))
check "lz4: the bucket holds less than the data ($stored stored for $named bytes)"
fsck_out=$(jc fsck "$URL2" --path / --recursive --sync-dir-stat 2>&1)
rc=$?
echo "$fsck_out" >>/vmout/juicefs.log
expect_eq "juicefs fsck of the second volume: exit 0" 0 "$rc"
summary=$(JFS_GC_SKIPPEDTIME=0 jc gc "$URL2" 2>&1 | tee -a /vmout/juicefs.log |
	grep -o 'scanned [0-9]* objects.*' | tail -n1)
echo "gc (second volume): $summary"
expect_eq "juicefs gc of the second volume: 0 leaked, 0 skipped" "0 leaked 0 skipped" \
	"$(grep -o '[0-9]* leaked' <<<"$summary") $(grep -o '[0-9]* skipped' <<<"$summary")"
ok "unmount both" -- eval 'umount_vol "$J2" && jc umount "$F2" >>/vmout/juicefs.log 2>&1'

# POSIX ACLs on a volume juicefs formatted with --enable-acl: rules set by
# either client are read and enforced identically by the other
t_begin "interop: POSIX ACLs"
URL3=redis://127.0.0.1:$JFS_IT_REDIS_PORT/$((DB + 2))
J3=/mnt/i3-jfs F3=/mnt/i3-juicefs
gfacl() { getfacl -n --absolute-names --omit-header "$@" 2>&1 | grep -v '^$' | tr '\n' ' '; }
ok "juicefs format --enable-acl" -- eval \
	'jc format --storage minio --bucket "${BUCKET}3" --access-key "$JFS_IT_S3_USER" \
	--secret-key "$JFS_IT_S3_PASS" --enable-acl "$URL3" ivol3 >>/vmout/juicefs.log 2>&1'
ok "both clients mount it" -- eval 'mount_vol "$J3" "" "$URL3" &&
	juicefs_mount "$URL3" "$F3" /vmout/juicefs-mount3.log'
mkdir -p $J3/acl
printf 'jfs' >$J3/acl/byjfs
chmod 0640 $J3/acl/byjfs
ok "jfs: setfacl -m u:1000:r, and a default ACL on a dir" -- eval \
	"setfacl -m u:1000:r $J3/acl/byjfs && mkdir $J3/acl/dir &&
	setfacl -d -m u:1000:rwx,g::r-x,o::- $J3/acl/dir"
sleep 1.5
expect_eq "juicefs shows jfs's access ACL" \
	"user::rw- user:1000:r-- group::r-- mask::r-- other::--- " "$(gfacl $F3/acl/byjfs)"
expect_eq "juicefs shows jfs's default ACL" "$(gfacl -d $J3/acl/dir)" "$(gfacl -d $F3/acl/dir)"
expect_eq "juicefs lets uid 1000 read through it" jfs \
	"$(setpriv --reuid 1000 --regid 1000 --clear-groups cat $F3/acl/byjfs 2>&1)"
printf 'juicefs' >$F3/acl/dir/byjuicefs
printf 'juicefs' >$F3/acl/byjuicefs2
chmod 0600 $F3/acl/byjuicefs2
ok "juicefs: setfacl -m g:2000:rw" -- setfacl -m g:2000:rw $F3/acl/byjuicefs2
sleep 1.5
expect_eq "jfs shows the ACL juicefs inherited from jfs's default ACL" \
	"$(gfacl $F3/acl/dir/byjuicefs)" "$(gfacl $J3/acl/dir/byjuicefs)"
expect_eq "jfs shows juicefs's access ACL" \
	"user::rw- group::--- group:2000:rw- mask::rw- other::--- " "$(gfacl $J3/acl/byjuicefs2)"
expect_eq "jfs enforces it: group 2000 reads" juicefs \
	"$(setpriv --reuid 1001 --regid 1001 --groups 2000 cat $J3/acl/byjuicefs2 2>&1)"
err "jfs enforces it: others do not" "Permission denied" -- \
	setpriv --reuid 1001 --regid 1001 --clear-groups cat $J3/acl/byjuicefs2
fsck_out=$(jc fsck "$URL3" --path / --recursive 2>&1)
rc=$?
echo "$fsck_out" >>/vmout/juicefs.log
expect_eq "juicefs fsck of the ACL volume: exit 0" 0 "$rc"
ok "unmount both" -- eval 'umount_vol "$J3" && jc umount "$F3" >>/vmout/juicefs.log 2>&1'

t_begin "interop: dir quotas"
# jfsd does not keep a quota's usage yet: it must not write past one
J2=/mnt/i-jfs2
mkdir -p $J/q
sleep 1.5
ok "juicefs quota set --path /q" -- eval \
	'jc quota set "$URL" --path /q --capacity 1 >>/vmout/juicefs.log 2>&1'
mark=$(dmesg | wc -l)
err "jfs refuses a second read-write mount" "" -- mount_vol $J2 "" "$URL"
expect_eq "and says why" 1 \
	"$(dmesg | tail -n +"$((mark + 1))" | grep -c 'directory quota.*mount it read-only')"
ok "a read-only mount works" -- mount_vol $J2 ro "$URL"
ok "umount it" -- umount_vol $J2
for ((i = 0; i < 30; i++)); do
	grep -q "a directory quota was set" "$JFS_IT_JFSD_LOG" && break
	sleep 1
done
ok "the read-write mount from before logs a warning" -- \
	grep -q "a directory quota was set" "$JFS_IT_JFSD_LOG"
ok "juicefs quota delete" -- eval 'jc quota delete "$URL" --path /q >>/vmout/juicefs.log 2>&1'
ok "read-write mounts work again" -- mount_vol $J2 "" "$URL"
ok "umount it" -- umount_vol $J2
rmdir $J/q

t_begin "interop: the volume is clean"
sync
sleep 2
fsck_out=$(jc fsck "$URL" --path / --recursive --sync-dir-stat 2>&1)
rc=$?
echo "$fsck_out" >>/vmout/juicefs.log
expect_eq "juicefs fsck --path / -r --sync-dir-stat after everything: exit 0" 0 "$rc"
summary=$(gc_summary)
echo "gc: $summary"
expect_eq "juicefs gc: 0 leaked objects" "0 leaked" "$(grep -o '[0-9]* leaked' <<<"$summary")"
expect_eq "juicefs gc: 0 skipped (every object was checked)" "0 skipped" \
	"$(grep -o '[0-9]* skipped' <<<"$summary")"

# the check above can fail: a dir stat off by one is reported
tino=$(stat -c %i $J/t)
ircli hincrby dirUsedInodes "$tino" 1 >/dev/null
fsck_out=$(jc fsck "$URL" --path /t --sync-dir-stat 2>&1)
rc=$?
echo "$fsck_out" >>/vmout/juicefs.log
expect_eq "a dir stat off by one makes juicefs fsck complain" "1 1" \
	"$((rc != 0)) $(grep -c 'usage stat of /t should be' <<<"$fsck_out")"
ircli hincrby dirUsedInodes "$tino" -1 >/dev/null

. tests/peers/dumpload.sh

teardown
t_summary
