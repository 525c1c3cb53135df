#!/usr/bin/env python3
"""treewalk.py DIR: one line per entry below DIR, sorted, for diffing two
mounts of one volume (or of a dump loaded elsewhere).

Each line: path, type, mode, uid, gid, mtime in ns, nlink, size (files),
the first path of its hard-link group, symlink target, chattr flags,
xattrs (name=sha256 of the value) and the SHA-256 of a file's content.
Inode numbers are left out: a load may renumber, the link groups show."""
import errno
import fcntl
import hashlib
import os
import stat
import struct
import sys

VIRTUAL = {".trash", ".accesslog", ".stats", ".config", ".control"}
FS_IOC_GETFLAGS = 0x80086601
FLAGS = {0x10: "i", 0x20: "a"}


def flags(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as e:
        return "?" + str(e.errno)
    try:
        buf = fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0))
        v = struct.unpack("l", buf)[0]
        return "".join(c for b, c in sorted(FLAGS.items()) if v & b) or "-"
    except OSError:
        return "-"
    finally:
        os.close(fd)


def xattrs(path):
    out = []
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as e:
        if e.errno != errno.EOPNOTSUPP:  # juicefs: none on symlinks
            raise
        names = []
    for n in sorted(names):
        if n.startswith("system."):
            continue  # ACLs: not in this volume
        v = os.getxattr(path, n, follow_symlinks=False)
        out.append("%s=%s" % (n, hashlib.sha256(v).hexdigest()[:16]))
    return ",".join(out) or "-"


def main():
    top = sys.argv[1]
    entries = []
    for root, dirs, files in os.walk(top):
        if root == top:
            dirs[:] = [d for d in dirs if d not in VIRTUAL]
            files = [f for f in files if f not in VIRTUAL]
        for n in dirs + files:
            entries.append(os.path.join(root, n))
    groups = {}
    lines = []
    for p in sorted(entries):
        rel = os.path.relpath(p, top)
        st = os.lstat(p)
        m = st.st_mode
        kind = ("d" if stat.S_ISDIR(m) else "f" if stat.S_ISREG(m) else
                "l" if stat.S_ISLNK(m) else "p" if stat.S_ISFIFO(m) else "?")
        f = [rel, kind, "%o" % stat.S_IMODE(m), str(st.st_uid), str(st.st_gid),
             str(st.st_mtime_ns), str(st.st_nlink)]
        if kind == "f":
            f.append(str(st.st_size))
            f.append(groups.setdefault(st.st_ino, rel))
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for b in iter(lambda: fh.read(1 << 20), b""):
                    h.update(b)
            f.append(h.hexdigest())
        if kind == "l":
            f.append("-> " + os.readlink(p))
        if kind in "fd":
            f.append(flags(p))
        f.append(xattrs(p))
        lines.append(" ".join(f))
    print("\n".join(lines))


main()
