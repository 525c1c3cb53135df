#!/bin/bash
# Runs inside the test VM: the embedded default (SQLite metadata, local
# object store) shared with the real `juicefs` client.
#
#   tests/vm/run.sh -t 900 -o /tmp/out -- tests/peers/interop-sqlite.sh
#
# 1. A volume `juicefs format sqlite3://...` made (its defaults: trash,
#    dir stats), jfs and juicefs mounted on the same database file at
#    once: a tree written through jfs reads the same (listing, modes, links,
#    SHA-256 of every file) through juicefs, and the other way round;
#    `juicefs fsck` finds nothing wrong; close-to-open across clients.
# 2. A volume `jfsadm format` made: juicefs mounts it and reads what jfs
#    wrote; `juicefs fsck` is clean; jfs reads what juicefs then wrote.
# Skips (exit 0, one SKIP line) only when the juicefs binary is missing.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh
. tests/peers/env.sh

[[ ${JFS_VM:-} == 1 ]] || { echo "interop-sqlite.sh: runs inside the test VM only" >&2; exit 2; }

T_NAME=interop-sqlite
D=/tmp/isq
J=/mnt/q-jfs		# jfs
F=/mnt/q-juicefs	# juicefs (FUSE)

if ! juicefs_available; then
	echo "SKIP interop-sqlite: the juicefs peer is not installed (tests/peers/install-juicefs.sh)"
	exit 0
fi

juicefs_umount() {
	mountpoint -q "$F" || return 0
	jc umount "$F" >>/vmout/juicefs.log 2>&1 || umount -l "$F"
}

# make_tree DIR: small and multi-chunk files, holes, a truncate, hard
# links, symlinks (one dangling), renames and deletes
make_tree() {
	local t=$1
	mkdir -p "$t/sub/deep" "$t/empty" &&
		printf 'hello\n' >"$t/small" &&
		head -c 300000 /dev/urandom >"$t/sub/rand" &&
		seq 1 100000 >"$t/text" &&
		head -c 1000000 /dev/urandom >"$t/big" &&
		dd if=/dev/urandom of="$t/big" bs=512K seek=127 count=2 conv=notrunc status=none &&
		head -c 5000 /dev/urandom >"$t/cut" && truncate -s 1234 "$t/cut" &&
		ln "$t/small" "$t/sub/small.link" &&
		ln -s ../small "$t/sub/sym" && ln -s nowhere "$t/dangling" &&
		printf 'moved\n' >"$t/sub/deep/a" && mv "$t/sub/deep/a" "$t/sub/b" &&
		printf 'gone\n' >"$t/gone" && rm "$t/gone" &&
		chmod 0640 "$t/text" && sync
}

fsck_clean() { # WHAT URL
	local out rc=0
	out=$(jc fsck "$2" --path / --recursive --sync-dir-stat 2>&1) || rc=$?
	echo "$out" >>/vmout/juicefs.log
	expect_eq "$1: juicefs fsck exits 0" 0 "$rc"
	expect_eq "$1: nothing lost or broken" "" \
		"$(grep -iE 'lost|broken|corrupt|nlink|mismatch' <<<"$out" | head -n 3)"
}

sessions() { sqlite3 "$1" 'SELECT count(*) FROM jfs_session2'; }

teardown() {
	t_begin "interop-sqlite teardown"
	juicefs_umount
	expect_ok "unmount jfs" -- umount_vol "$J"
	expect_ok "jfsd stops" -- stop_jfsd
	grep -qw jfsk /proc/modules && expect_ok "rmmod jfsk" -- rmmod jfsk
	return 0
}

t_begin "interop-sqlite setup"
echo "peer: $(jc version 2>&1)"
rm -rf "$D"
mkdir -p "$D"
expect_ok "modprobe fuse" -- modprobe fuse
expect_ok "insmod jfsk" -- insmod "$JFSK"
expect_ok "jfsd" -- start_jfsd
((T_OK)) || { teardown; t_summary; exit 1; }

t_begin "interop-sqlite: a volume juicefs formatted, both clients mounted"
URL=sqlite3://$D/juicefs.db
ok "juicefs format (its defaults) $URL" -- eval \
	'jc format --storage file --bucket "$D/jdata/" "$URL" jvol >>/vmout/juicefs.log 2>&1'
expect_eq "the volume keeps a 1-day trash and dir stats" "1 True" \
	"$(sqlite3 "$D/juicefs.db" "SELECT value FROM jfs_setting WHERE name='format'" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["TrashDays"], d["DirStats"])')"
expect_ok "mount -t jfs (read-write)" -- mount_vol "$J" "" "$URL"
expect_ok "juicefs mount on the same file" -- juicefs_mount "$URL" "$F" /vmout/juicefs-mount.log
if ! is_jfs_mount "$J" || ! mountpoint -q "$F"; then teardown; t_summary; exit 1; fi
expect_eq "jfs mounted read-write" rw "$(findmnt -no OPTIONS "$J" | cut -d, -f1)"
expect_eq "two sessions in jfs_session2" 2 "$(sessions "$D/juicefs.db")"

ok "jfs writes a tree" -- make_tree "$J/t"
same_tree "juicefs shows jfs's tree (modes, links, SHA-256)" "$J/t" "$F/t"
ok "juicefs writes a tree" -- make_tree "$F/r"
sleep 1.2	# past jfs's 1 s entry cache for the root
same_tree "jfs shows juicefs's tree" "$F/r" "$J/r"

printf 'v1 from jfs\n' >"$J/t/c2o"
expect_eq "close-to-open: juicefs reads jfs's new file" "v1 from jfs" "$(cat "$F/t/c2o")"
printf 'v2 from juicefs, longer\n' >"$F/t/c2o"
sleep 1.2	# jfs's attribute cache
expect_eq "close-to-open: jfs reads juicefs's rewrite" "v2 from juicefs, longer" \
	"$(cat "$J/t/c2o")"
rm "$J/t/c2o"
sleep 1.2	# juicefs's entry cache
expect_eq "juicefs no longer sees jfs's unlink" "" "$(ls "$F/t/c2o" 2>/dev/null)"
expect_eq "the delete sits in juicefs's .trash" 1 \
	"$(find "$F/.trash" -name '*-c2o' 2>/dev/null | grep -c .)"
ok "both unmount" -- eval 'juicefs_umount && umount_vol "$J"'
fsck_clean "juicefs's volume after both clients" "$URL"

t_begin "interop-sqlite: a volume jfsadm formatted, read by juicefs"
URL2=sqlite3://$D/jfs.db
expect_ok "jfsadm format $URL2" -- "$JFSADM" format --bucket "$D/qdata/" "$URL2" qvol
expect_ok "mount -t jfs" -- mount_vol "$J" "" "$URL2"
ok "jfs writes a tree" -- make_tree "$J/t"
want=$(tree "$J/t")
expect_ok "unmount jfs" -- umount_vol "$J"
expect_eq "no session left after the unmount" 0 "$(sessions "$D/jfs.db")"
fsck_clean "jfs's volume" "$URL2"
expect_ok "juicefs mounts jfs's volume" -- juicefs_mount "$URL2" "$F" /vmout/juicefs-mount2.log
if mountpoint -q "$F"; then
	got=$(tree "$F/t")
	expect_eq "juicefs reads jfs's tree (listing and SHA-256, $(grep -c . <<<"$want") lines)" \
		"$want" "$got"
	ok "juicefs writes a tree" -- make_tree "$F/r"
	want=$(tree "$F/r")
	juicefs_umount
	expect_ok "jfs mounts it again" -- mount_vol "$J" "" "$URL2"
	expect_eq "jfs reads juicefs's tree" "$want" "$(tree "$J/r")"
	umount_vol "$J"
fi
fsck_clean "jfs's volume after juicefs wrote" "$URL2"

teardown
t_summary
