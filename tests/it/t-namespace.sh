#!/bin/bash
# Namespace operations through the real stack: lookup, getattr, setattr
# (chmod/chown/utimes/truncate), readdir with attributes, create, mknod,
# mkdir, unlink, rmdir, rename (+ RENAME_NOREPLACE), link, symlink/readlink,
# statfs, and the error codes a POSIX caller relies on.
# shellcheck disable=SC2010 # ls | grep on purpose: it tests readdir
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/ns
D=$M/ns # everything this suite makes lives here

# Cold caches: the next lookups/readdirs must come from jfsd, not the dcache.
remount() { umount_vol $M && mount_vol $M; }

t_begin "namespace: mount"
expect_ok "mount $JFS_IT_URL" -- mount_vol $M
((T_OK)) || { t_summary; exit 1; }
ok "fs type is jfs" -- is_jfs_mount $M
rm -rf "$D" 2>/dev/null
ok "mkdir suite dir" -- mkdir $D

t_begin "namespace: create/lookup/getattr"
ok "create (touch)" -- touch $D/f
expect_eq "new file is a regular empty file" "regular empty file 0" "$(stat -c '%F %s' $D/f)"
expect_eq "owner is the creator (root)" "0:0" "$(stat -c %u:%g $D/f)"
err "lookup of a missing name: ENOENT" "No such file or directory" -- stat $D/missing
err "open of a missing name: ENOENT" "No such file or directory" -- cat $D/missing
printf 'hello' >$D/f
expect_eq "size after write" 5 "$(stat -c %s $D/f)"

t_begin "namespace: setattr"
ok "chmod 640" -- chmod 640 $D/f
expect_eq "mode 640" 640 "$(stat -c %a $D/f)"
ok "chmod u+s,g+s,+t" -- chmod 7755 $D/f
expect_eq "mode 7755" 7755 "$(stat -c %a $D/f)"
chmod 644 $D/f
ok "chown 1234:5678" -- chown 1234:5678 $D/f
expect_eq "uid:gid 1234:5678" 1234:5678 "$(stat -c %u:%g $D/f)"
ok "touch -d (utimes)" -- touch -d '2001-02-03 04:05:06 UTC' $D/f
expect_eq "mtime set" 981173106 "$(stat -c %Y $D/f)"
expect_eq "atime set" 981173106 "$(stat -c %X $D/f)"
ok "truncate up to 12345" -- truncate -s 12345 $D/f
expect_eq "size 12345" 12345 "$(stat -c %s $D/f)"
expect_eq "old bytes kept, the rest reads as zeros" "hello 0" \
	"$(head -c 5 $D/f) $(tail -c +6 $D/f | tr -d '\0' | wc -c)"
ok "truncate down to 3" -- truncate -s 3 $D/f
expect_eq "size 3 and content" "3 hel" "$(stat -c %s $D/f) $(<$D/f)"
ok "touch -m -d (mtime only)" -- touch -m -d '@1234567890' $D/f
expect_eq "mtime only changed" "981173106 1234567890" "$(stat -c '%X %Y' $D/f)"
remount
expect_eq "all attributes persist across remount" "644 1234:5678 3 1234567890" \
	"$(stat -c '%a %u:%g %s %Y' $D/f)"

t_begin "namespace: mkdir/rmdir"
ok "mkdir" -- mkdir $D/dir
expect_eq "a directory" directory "$(stat -c %F $D/dir)"
expect_eq "new dir has nlink 2" 2 "$(stat -c %h $D/dir)"
ok "mkdir -m 700" -- mkdir -m 700 $D/dir/sub
expect_eq "mode 700" 700 "$(stat -c %a $D/dir/sub)"
expect_eq "parent nlink 3 with a subdir" 3 "$(stat -c %h $D/dir)"
err "mkdir existing: EEXIST" "File exists" -- mkdir $D/dir
err "rmdir non-empty: ENOTEMPTY" "Directory not empty" -- rmdir $D/dir
ok "rmdir empty" -- rmdir $D/dir/sub
err "removed dir is gone" "No such file or directory" -- stat $D/dir/sub
expect_eq "parent nlink back to 2" 2 "$(stat -c %h $D/dir)"
err "rmdir of a file: ENOTDIR" "Not a directory" -- rmdir $D/f

t_begin "namespace: mknod"
ok "mkfifo" -- mkfifo $D/fifo
expect_eq "a fifo" fifo "$(stat -c %F $D/fifo)"
ok "mknod c 1 3" -- mknod $D/null c 1 3
expect_eq "char device 1:3" "character special file 1:3" "$(stat -c '%F %t:%T' $D/null)"
ok "the device node opens the device (write to 1:3 = /dev/null)" -- \
	sh -c "echo x > $D/null"
expect_eq "reading it gives nothing" 0 "$(wc -c <$D/null)"
ok "a fifo passes data" -- \
	sh -c "(echo through >$D/fifo &) ; read -r l <$D/fifo; [ \"\$l\" = through ]"

t_begin "namespace: unlink"
touch $D/gone
ok "unlink" -- rm $D/gone
err "unlinked name: ENOENT" "No such file or directory" -- stat $D/gone
err "unlink missing: ENOENT" "No such file or directory" -- rm $D/gone
err "unlink a directory: EISDIR" "Is a directory" -- rm $D/dir

t_begin "namespace: link"
printf 'linked' >$D/l1
ok "link" -- ln $D/l1 $D/l2
expect_eq "nlink 2 on both names" "2 2" "$(stat -c %h $D/l1) $(stat -c %h $D/l2)"
expect_eq "same inode" "$(stat -c %i $D/l1)" "$(stat -c %i $D/l2)"
expect_eq "same content" linked "$(<$D/l2)"
err "link over an existing name: EEXIST" "File exists" -- ln $D/l1 $D/f
remount
expect_eq "nlink 2 after remount" 2 "$(stat -c %h $D/l2)"
rm $D/l1
if (($(trash_days) > 0)); then
	# JuiceFS moves the link to the trash: it still counts until expiry
	expect_eq "nlink stays 2: one link is in .trash" 2 "$(stat -c %h $D/l2)"
	expect_eq "the trash holds {parent}-{ino}-l1" 1 \
		"$(ls $M/.trash/*/ | grep -cx "$(stat -c %i $D)-$(stat -c %i $D/l2)-l1")"
else
	expect_eq "nlink 1 after unlinking one" 1 "$(stat -c %h $D/l2)"
fi
expect_eq "content survives" linked "$(<$D/l2)"

t_begin "namespace: symlink"
ok "symlink" -- ln -s l2 $D/sl
expect_eq "readlink" l2 "$(readlink $D/sl)"
expect_eq "lstat: a symlink of length 2" "symbolic link 2" "$(stat -c '%F %s' $D/sl)"
expect_eq "follows to the target" linked "$(<$D/sl)"
long=$(printf 'x%.0s' {1..1000})
ok "symlink with a 1000-byte target" -- ln -s "$long" $D/longsl
remount
expect_eq "readlink after remount" l2 "$(readlink $D/sl)"
expect_eq "1000-byte target intact" "$long" "$(readlink $D/longsl)"
ok "dangling symlink" -- ln -s nowhere $D/dangle
err "following a dangling symlink: ENOENT" "No such file or directory" -- cat $D/dangle

t_begin "namespace: rename"
printf 'A' >$D/ra
ino_a=$(stat -c %i $D/ra)
ok "rename file" -- mv $D/ra $D/rb
err "old name gone" "No such file or directory" -- stat $D/ra
expect_eq "new name has the inode and content" "$ino_a A" "$(stat -c %i $D/rb) $(<$D/rb)"
mkdir -p $D/rd1/inner && printf 'in' >$D/rd1/inner/x
ok "rename dir" -- mv $D/rd1 $D/rd2
expect_eq "dir contents follow" in "$(<$D/rd2/inner/x)"
printf 'old' >$D/victim
printf 'new' >$D/src
ino_src=$(stat -c %i $D/src)
ok "rename over an existing file" -- mv -f $D/src $D/victim
expect_eq "target now has the source inode and content" "$ino_src new" \
	"$(stat -c %i $D/victim) $(<$D/victim)"
err "source gone" "No such file or directory" -- stat $D/src
mkdir $D/x1 $D/x2
printf 'keep1' >$D/n1
printf 'keep2' >$D/n2
# One python3 process (slow to start under TCG) does every errno check.
py_out=$(python3 - "$D" <<'PY'
import ctypes, errno, os, sys
d = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
def renameat2(a, b, flags):
    r = libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), flags)
    return "ok" if r == 0 else errno.errorcode[ctypes.get_errno()]
def op(name, f):
    try:
        f()
        print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
print("noreplace", renameat2(d + "/n1", d + "/n2", 1))          # RENAME_NOREPLACE
print("noreplace_kept", open(d + "/n1").read() + "," + open(d + "/n2").read())
print("noreplace_new", renameat2(d + "/n1", d + "/n3", 1))
print("exchange", renameat2(d + "/n3", d + "/n2", 2))           # RENAME_EXCHANGE
op("xdir_file", lambda: os.rename(d + "/rb", d + "/x1/rb"))     # no EXDEV
op("xdir_dir", lambda: os.rename(d + "/x1", d + "/x2/x1"))
op("xdir_back", lambda: os.rename(d + "/x2/x1/rb", d + "/rb2"))
op("dir_over_file", lambda: os.rename(d + "/x2", d + "/n2"))    # ENOTDIR
op("file_over_dir", lambda: os.rename(d + "/n2", d + "/rd2"))   # EISDIR
op("dir_over_nonempty", lambda: os.rename(d + "/x2", d + "/rd2"))  # ENOTEMPTY/EEXIST
op("dir_into_itself", lambda: os.rename(d + "/rd2", d + "/rd2/inner/y"))  # EINVAL
op("open_dir_write", lambda: os.open(d + "/dir", os.O_WRONLY))  # EISDIR
op("through_file", lambda: os.stat(d + "/f/x"))                 # ENOTDIR
op("create_through_file", lambda: os.open(d + "/f/x", os.O_CREAT | os.O_WRONLY))
op("excl_create_existing", lambda: os.open(d + "/f", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
op("name_255", lambda: os.close(os.open(d + "/" + "a" * 255, os.O_CREAT | os.O_WRONLY)))
op("name_256", lambda: os.close(os.open(d + "/" + "b" * 256, os.O_CREAT | os.O_WRONLY)))
op("mkdir_256", lambda: os.mkdir(d + "/" + "c" * 256))
op("stat_256", lambda: os.stat(d + "/" + "d" * 256))
op("rename_to_256", lambda: os.rename(d + "/n2", d + "/" + "e" * 256))
PY
)
r() { awk -v k="$1" '$1 == k { print $2 }' <<<"$py_out"; }
expect_eq "RENAME_NOREPLACE onto an existing name: EEXIST" EEXIST "$(r noreplace)"
expect_eq "RENAME_NOREPLACE left both files alone" "keep1,keep2" "$(r noreplace_kept)"
expect_eq "RENAME_NOREPLACE to a free name works" ok "$(r noreplace_new)"
expect_eq "RENAME_EXCHANGE works" ok "$(r exchange)"
expect_eq "RENAME_EXCHANGE swapped the contents" "keep2 keep1" "$(<$D/n3) $(<$D/n2)"
expect_eq "file rename into another dir: no EXDEV" ok "$(r xdir_file)"
expect_eq "dir rename into another dir: no EXDEV" ok "$(r xdir_dir)"
expect_eq "file rename out of a nested dir: no EXDEV" ok "$(r xdir_back)"
expect_eq "cross-dir renames landed (x2 holds x1: nlink 3)" "A 3" "$(<$D/rb2) $(stat -c %h $D/x2)"
expect_eq "dir over a file: ENOTDIR" ENOTDIR "$(r dir_over_file)"
expect_eq "file over a dir: EISDIR" EISDIR "$(r file_over_dir)"
case $(r dir_over_nonempty) in
ENOTEMPTY | EEXIST) t_pass ;;
*) t_fail "dir over a non-empty dir: expected ENOTEMPTY, got '$(r dir_over_nonempty)'" ;;
esac
expect_eq "dir into itself: EINVAL" EINVAL "$(r dir_into_itself)"
expect_eq "rmdir/rename left the tree intact" in "$(<$D/rd2/inner/x)"

t_begin "namespace: errors"
expect_eq "open a directory for write: EISDIR" EISDIR "$(r open_dir_write)"
err "shell redirect into a directory: EISDIR" "Is a directory" -- sh -c "echo x > $D/dir"
expect_eq "path through a file: ENOTDIR" ENOTDIR "$(r through_file)"
expect_eq "create through a file: ENOTDIR" ENOTDIR "$(r create_through_file)"
err "stat through a file: ENOTDIR" "Not a directory" -- stat $D/f/x
expect_eq "O_EXCL on an existing name: EEXIST" EEXIST "$(r excl_create_existing)"
expect_eq "255-byte name works" ok "$(r name_255)"
expect_eq "255-byte name is listed" 1 "$(ls $D | grep -c '^a\{255\}$')"
expect_eq "256-byte name: ENAMETOOLONG on create" ENAMETOOLONG "$(r name_256)"
expect_eq "256-byte name: ENAMETOOLONG on mkdir" ENAMETOOLONG "$(r mkdir_256)"
expect_eq "256-byte name: ENAMETOOLONG on lookup" ENAMETOOLONG "$(r stat_256)"
expect_eq "256-byte name: ENAMETOOLONG on rename" ENAMETOOLONG "$(r rename_to_256)"

t_begin "namespace: readdir"
remount
# ls -ln after a remount: names and attributes come from readdir/lookups.
ls_line=$(ls -ln --time-style=+%s $D | awk '$NF == "victim" { print $1, $2, $3, $4, $5 }')
expect_eq "ls -l shows mode, nlink, owner, size" "-rw-r--r-- 1 0 0 3" "$ls_line"
ls_f=$(ls -ln --time-style=+%s $D | awk '$NF == "f" { print $1, $3, $4, $5, $6 }')
expect_eq "ls -l shows chowned/touched attributes" "-rw-r--r-- 1234 5678 3 1234567890" "$ls_f"
expect_eq "ls -l types: dir, fifo, char dev, symlink" "d p c l" \
	"$(ls -ln $D | awk '$NF == "dir" || $NF == "fifo" || $NF == "null" || $(NF-2) == "sl" { printf "%s ", substr($1, 1, 1) }' | sed 's/ $//')"
expect_eq "ls -a lists . and .." ". .." "$(ls -a $D | head -n 2 | tr '\n' ' ' | sed 's/ $//')"
mkdir $D/big
python3 -c '
import os, sys
for i in range(300):
    open("%s/entry-%03d" % (sys.argv[1], i), "w").close()
' $D/big
expected=$(seq -f 'entry-%03g' 0 299 | sha256sum)
expect_eq "300 entries listed (warm)" 300 "$(ls -1 $D/big | wc -l)"
remount
expect_eq "300 entries listed (cold)" 300 "$(ls -1 $D/big | wc -l)"
expect_eq "exactly the 300 names, once each" "$expected" "$(ls -1 $D/big | sort | sha256sum)"
expect_eq "ls -l attributes for all 300" 300 "$(ls -ln $D/big | grep -c '^-rw-r--r-- 1 0 0 0 ')"
expect_eq "find agrees" 300 "$(find $D/big -type f | wc -l)"
rm -f $D/big/entry-1*
expect_eq "listing after unlinking 100" 200 "$(ls -1 $D/big | wc -l)"

t_begin "namespace: statfs"
ok "df" -- df -P $M
expect_eq "max name length 255" 255 "$(stat -f -c %l $M)"
read -r bsize blocks bfree files ffree <<<"$(stat -f -c '%S %b %f %c %d' $M)"
if ((bsize > 0 && blocks > 0 && bfree <= blocks && bfree > 0)); then t_pass; else
	t_fail "block counts: bsize=$bsize blocks=$blocks bfree=$bfree"; fi
if ((files > 0 && ffree <= files)); then t_pass; else
	t_fail "inode counts: files=$files ffree=$ffree"; fi

t_begin "namespace: cleanup"
ok "rm -rf the suite dir" -- rm -rf $D
err "suite dir gone" "No such file or directory" -- stat $D
ok "umount" -- umount_vol $M
t_summary
