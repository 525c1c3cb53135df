#!/usr/bin/env python3
# fsck-fixture.py SETTING.json BUCKET > fixture.json: a small juicefs dump
# (loaded with `juicefs load`, since the host cannot mount) whose slices'
# block objects are written into the file store BUCKET as juicefs would
# (compression none): dirs, a 2-block file, a file sharing a slice, a
# delfile.  Every block is there, so the volume starts clean.
import json, os, sys

setting = json.load(open(sys.argv[1]))["Setting"]
bucket = os.path.join(sys.argv[2], setting["Name"])
bs = setting["BlockSize"] * 1024
T = 1796000000


def attr(ino, typ, mode, length=0, nlink=1):
    return {"inode": ino, "type": typ, "mode": mode, "uid": 0, "gid": 0,
            "atime": T, "mtime": T, "ctime": T, "nlink": nlink, "length": length}


def put(sid, size):
    n = (size - 1) // bs + 1
    for i in range(n):
        b = bs if i < n - 1 else size - i * bs
        d = os.path.join(bucket, "chunks", str(sid // 1000 // 1000), str(sid // 1000))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "%d_%d_%d" % (sid, i, b)), "wb") as f:
            f.write(bytes([sid % 251]) * b)


def sl(sid, size):
    put(sid, size)
    return {"id": sid, "size": size, "len": size}


two = bs + 100
tree = {
    "attr": attr(1, "directory", 0o755, nlink=4),
    "entries": {
        "small": {"attr": attr(2, "regular", 0o644, 5),
                  "chunks": [{"index": 0, "slices": [sl(1, 5)]}]},
        "two": {"attr": attr(3, "regular", 0o644, two),
                "chunks": [{"index": 0, "slices": [sl(2, two)]}]},
        "d1": {"attr": attr(4, "directory", 0o755, nlink=3), "entries": {
            "d2": {"attr": attr(5, "directory", 0o755, nlink=2), "entries": {
                "f": {"attr": attr(6, "regular", 0o644, 3000),
                      "chunks": [{"index": 0, "slices": [sl(3, 3000)]}]}}}}},
        "d3": {"attr": attr(7, "directory", 0o700, nlink=2), "entries": {}},
    },
}
out = {
    "Setting": setting,
    "Counters": {"usedSpace": 0, "usedInodes": 0, "nextInodes": 10, "nextChunk": 10,
                 "nextSession": 0, "nextTrash": 0},
    "Sustained": [],
    "DelFiles": [{"inode": 8, "length": 10, "expire": T}],
    "FSTree": tree,
}
json.dump(out, sys.stdout, indent=1)
