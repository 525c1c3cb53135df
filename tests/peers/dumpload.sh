# shellcheck shell=bash
# Sourced by interop.sh (needs its Redis, MinIO, jfsk and jfsd): a dump
# moves a volume between the two clients with nothing lost.
#
# 1. jfs writes a tree through `mount -t jfs` (hard links, symlinks, a fifo,
#    xattrs, a sparse file, a 65 MiB file over the 64 MiB chunk boundary,
#    owners, an old mtime, chattr +i); `jfsadm dump` -> `juicefs load` into
#    a new db -> `juicefs mount` shows the identical tree (treewalk.py:
#    names, modes, owners, mtimes in ns, link groups, flags, xattrs, SHA-256).
# 2. The reverse: written through `juicefs mount`, `juicefs dump` ->
#    `jfsadm load` into a new Redis db and into a SQLite file -> `mount -t
#    jfs` shows the identical tree, and `juicefs fsck` finds both clean.
# The loaded volumes share the source's bucket, so they are mounted
# read-only: nothing may free an object the source still uses.

DL_A=redis://127.0.0.1:$JFS_IT_REDIS_PORT/13	# written by jfs
DL_B=redis://127.0.0.1:$JFS_IT_REDIS_PORT/14	# juicefs load of its jfsadm dump
DL_C=redis://127.0.0.1:$JFS_IT_REDIS_PORT/15	# written by juicefs
DL_SQL=sqlite3:///tmp/dl/x.db			# jfsadm load of its juicefs dump
DL_JM=/mnt/dl-jfs DL_FM=/mnt/dl-juicefs DL_JM2=/mnt/dl-jfs2

# dl_write DIR: the tree both directions move
dl_write() {
	local d=$1
	mkdir -p "$d/sub/deep" "$d/empty" &&
		printf 'hello\n' >"$d/small" &&
		head -c 300000 /dev/urandom >"$d/sub/rand" &&
		seq 1 100000 >"$d/sub/deep/seq" &&
		ln "$d/small" "$d/sub/hard" && ln "$d/small" "$d/sub/deep/hard2" &&
		ln -s ../small "$d/sub/rel-link" && ln -s /nowhere "$d/dangling" &&
		mkfifo -m 0640 "$d/fifo" &&
		setfattr -n user.color -v blue "$d/small" &&
		setfattr -n user.bin -v 0x00ff00ff10 "$d/sub/rand" &&
		setfattr -n user.onedir -v x "$d/sub" &&
		setfattr -n user.empty "$d/empty" &&
		dd if=/dev/urandom of="$d/sparse" bs=1M seek=20 count=1 status=none &&
		truncate -s 30M "$d/sparse" &&
		head -c 1000000 /dev/urandom >"$d/big" &&
		dd if=/dev/urandom of="$d/big" bs=1M seek=64 count=1 status=none &&
		chmod 0754 "$d/sub/deep/seq" && chmod 1777 "$d/empty" &&
		chown 1000:2000 "$d/sub/rand" && chown -h 1001:1001 "$d/dangling" &&
		touch -d '2001-02-03 04:05:06.123456789' "$d/sub/deep/seq" &&
		printf 'frozen' >"$d/imm" && chattr +i "$d/imm" &&
		touch -d '2002-01-01 00:00:00.5' "$d/sub/deep" && sync
}

# dl_same WHAT A B: treewalk.py of A and B are identical
dl_same() {
	local what=$1 a b
	a=$(python3 tests/peers/treewalk.py "$2" 2>&1) b=$(python3 tests/peers/treewalk.py "$3" 2>&1)
	if [[ -n $a && $a == "$b" ]]; then
		_t_record_pass "$(_t_name "$what ($(grep -c . <<<"$a") entries)")"
	else
		_t_record_fail "$(_t_name "$what")" "the two trees differ"
		diff <(echo "$a") <(echo "$b") | head -n 40
	fi
}

dl_fsck() { # WHAT URL
	local out rc
	out=$(jc fsck "$2" --path / --recursive 2>&1)
	rc=$?
	echo "$out" >>/vmout/juicefs.log
	expect_eq "$1" "0 0" "$rc $(grep -ciE 'lost|broken|missing|should be' <<<"$out")"
}

t_begin "dump: jfs -> jfsadm dump -> juicefs load"
mkdir -p /tmp/dl
ok "juicefs format $DL_A" -- eval \
	'jc format --storage minio --bucket "${BUCKET}4" --access-key "$JFS_IT_S3_USER" \
	--secret-key "$JFS_IT_S3_PASS" "$DL_A" dlvol >>/vmout/juicefs.log 2>&1'
ok "mount -t jfs" -- mount_vol "$DL_JM" "" "$DL_A"
ok "jfs writes the tree" -- dl_write "$DL_JM/t"
expect_eq "the big file spans two chunks" 68157440 "$(stat -c %s "$DL_JM/t/big")"
ok "jfsadm dump --keep-secret-key (the load must reach the bucket)" -- "$JFSADM" dump --keep-secret-key "$DL_A" /tmp/dl/a.json
ok "juicefs load into a new db" -- eval 'jc load "$DL_B" /tmp/dl/a.json >>/vmout/juicefs.log 2>&1'
ok "juicefs mount the loaded volume" -- juicefs_mount "$DL_B" "$DL_FM" /vmout/juicefs-dl.log --enable-xattr
dl_same "juicefs shows jfs's tree identically" "$DL_JM/t" "$DL_FM/t"
# the walker sees what it compares: the flags and xattrs are really there
expect_eq "treewalk.py sees +i and the xattr" "i user.color=" \
	"$(python3 tests/peers/treewalk.py "$DL_FM/t" | awk '$1 == "imm" { print $(NF - 1) } $1 == "small" { print substr($NF, 1, 11) }' | tr '\n' ' ' | sed 's/ $//')"
ok "unmount juicefs" -- eval 'jc umount "$DL_FM" >>/vmout/juicefs.log 2>&1'
ok "chattr -i, unmount jfs" -- eval 'chattr -i "$DL_JM/t/imm" && umount_vol "$DL_JM"'

t_begin "dump: juicefs -> juicefs dump -> jfsadm load"
ok "juicefs format $DL_C" -- eval \
	'jc format --storage minio --bucket "${BUCKET}5" --access-key "$JFS_IT_S3_USER" \
	--secret-key "$JFS_IT_S3_PASS" "$DL_C" dlvol2 >>/vmout/juicefs.log 2>&1'
ok "juicefs mount" -- juicefs_mount "$DL_C" "$DL_FM" /vmout/juicefs-dl2.log --enable-xattr
ok "juicefs writes the tree" -- dl_write "$DL_FM/t"
ok "juicefs dump" -- eval 'jc dump --keep-secret-key "$DL_C" /tmp/dl/c.json >>/vmout/juicefs.log 2>&1'
# db 14 again: the first direction is done with it
ok "a fresh Redis db" -- redis-cli -p "$JFS_IT_REDIS_PORT" -n 14 flushdb
ok "jfsadm load into Redis" -- "$JFSADM" load "$DL_B" /tmp/dl/c.json
ok "jfsadm load into SQLite" -- "$JFSADM" load "$DL_SQL" /tmp/dl/c.json
dl_fsck "juicefs fsck of jfsadm's Redis load: clean" "$DL_B"
dl_fsck "juicefs fsck of jfsadm's SQLite load: clean" "$DL_SQL"
ok "mount -t jfs both (read-only)" -- eval \
	'mount_vol "$DL_JM" ro "$DL_B" && mount_vol "$DL_JM2" ro "$DL_SQL"'
dl_same "jfs shows juicefs's tree identically (Redis)" "$DL_FM/t" "$DL_JM/t"
dl_same "jfs shows juicefs's tree identically (SQLite)" "$DL_FM/t" "$DL_JM2/t"
ok "unmount all" -- eval 'umount_vol "$DL_JM" && umount_vol "$DL_JM2" &&
	chattr -i "$DL_FM/t/imm" && jc umount "$DL_FM" >>/vmout/juicefs.log 2>&1'
# after a failure above: nothing left mounted for the teardown to trip on
for m in "$DL_JM" "$DL_JM2" "$DL_FM"; do
	mountpoint -q "$m" && { chattr -i "$m/t/imm" 2>/dev/null; umount "$m" || umount -l "$m"; }
done
