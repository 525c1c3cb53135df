#!/usr/bin/env python3
# dump-fixture.py SETTING.json > fixture.json: a hand-written juicefs dump
# (the JSON `juicefs load` reads) that t-dump.sh loads into a volume formatted
# by juicefs, since the host cannot mount.  It holds what a dump must carry:
# hard links, a symlink, a fifo, a char device, xattrs (binary value too),
# access and default ACLs, a sparse file, a 130 MiB file over three chunks,
# a slice shared by two files, names that juicefs escapes, a trash hour dir,
# a delfile and a dir quota.  The Setting is taken from a real volume.
import json, sys

setting = json.load(open(sys.argv[1]))["Setting"]
T = 1796000000
TRASH = 9223372032828243968


def attr(ino, typ, mode, length=0, nlink=1, **kw):
    a = {"inode": ino, "type": typ, "mode": mode, "uid": 1000, "gid": 1000,
         "atime": T, "mtime": T + 1, "ctime": T + 2, "mtimensec": 5,
         "nlink": nlink, "length": length}
    a.update(kw)
    return a


def sl(id, size, pos=0, off=0, length=None):
    s = {"id": id, "size": size, "len": size if length is None else length}
    if pos:
        s["pos"] = pos
    if off:
        s["off"] = off
    return s


M = 1 << 20
big = 130 * M
shared = {"index": 0, "slices": [sl(1, 5)]}
afile = {"attr": attr(2, "regular", 0o644, 5, 2), "chunks": [shared]}
tree = {
    "attr": attr(1, "directory", 0o755, nlink=3),
    "xattrs": [{"name": "user.root", "value": "r"}],
    "entries": {
        "a": afile,
        "ln": {"attr": attr(3, "symlink", 0o777), "symlink": "a"},
        "pipe": {"attr": attr(4, "fifo", 0o600)},
        "tty": {"attr": attr(5, "chardev", 0o620, rdev=(4 << 8) | 1)},
        "sparse": {"attr": attr(6, "regular", 0o644, 10 * M),
                   "chunks": [{"index": 0, "slices": [sl(2, M, pos=8 * M)]}]},
        "big": {"attr": attr(7, "regular", 0o600, big, flags=1),
                "chunks": [{"index": 0, "slices": [sl(3, 64 * M), sl(4, 4096, pos=4096)]},
                           {"index": 1, "slices": [sl(5, 64 * M)]},
                           {"index": 2, "slices": [sl(6, 2 * M), sl(0, M, pos=M)]}]},
        "copy": {"attr": attr(8, "regular", 0o644, 3),
                 "chunks": [{"index": 0, "slices": [sl(1, 5, off=2, length=3)]}]},
        "acl": {"attr": attr(9, "regular", 0o640),
                "posix_acl_access": {"owner": 6, "group": 4, "other": 0, "mask": 4,
                                     "users": [{"id": 1001, "perm": 6}], "groups": None}},
        "we%25ird%20name%22%5C%0A<&>\u00e9%FF": {
            "attr": attr(10, "regular", 0o644),
            "xattrs": [{"name": "user.bin", "value": "%00%01%FFok%25"},
                       {"name": "user.a", "value": "<x>"}]},
        "dir": {"attr": attr(11, "directory", 0o2775, nlink=2),
                "posix_acl_default": {"owner": 7, "group": 5, "other": 5, "mask": 7,
                                      "users": None, "groups": [{"id": 50, "perm": 7}]},
                "entries": {
                    "hl": afile,
                    "empty": {"attr": attr(12, "directory", 0o700, nlink=2), "entries": {}},
                    "sock": {"attr": attr(13, "socket", 0o755)},
                }},
    },
}
trash = {
    "attr": attr(TRASH, "directory", 0o555, nlink=2, uid=0, gid=0),
    "entries": {
        "2026-12-06-12": {
            "attr": attr(TRASH + 1, "directory", 0o555, nlink=2, uid=0, gid=0),
            "entries": {"1-14-gone": {"attr": attr(14, "regular", 0o644, 7),
                                       "chunks": [{"index": 0, "slices": [sl(7, 7)]}]}}}},
}
out = {
    "Setting": setting,
    "Counters": {"usedSpace": 0, "usedInodes": 0, "nextInodes": 20, "nextChunk": 10,
                 "nextSession": 0, "nextTrash": 1},
    "Sustained": [],
    "DelFiles": [{"inode": 15, "length": 4096, "expire": T}],
    "Quotas": {"11": {"maxSpace": 1 << 30, "maxInodes": 100}},
    "FSTree": tree,
    "Trash": trash,
}
json.dump(out, sys.stdout, indent=1)
