#!/usr/bin/env python3
# db-snapshot.py redis PORT DB | sqlite FILE: prints a metadata database
# as sorted text lines, so that two databases (one `juicefs load` wrote,
# one `jfsadm load` wrote) compare with diff whatever order their keys,
# hash fields or rows came in.  Autoincrement row ids are left out.
import socket, sqlite3, sys


def resp(sock, f, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    return read(f)


def read(f):
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-"):
        return rest
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        v = f.read(n + 2)[:-2]
        return v
    if t == b"*":
        return [read(f) for _ in range(int(rest))]
    raise SystemExit("bad reply %r" % line)


def redis(port, db):
    s = socket.create_connection(("127.0.0.1", int(port)))
    f = s.makefile("rb")
    resp(s, f, "SELECT", db)
    lines = []
    for k in resp(s, f, "KEYS", "*"):
        t = resp(s, f, "TYPE", k)
        if t == b"string":
            lines.append((k, resp(s, f, "GET", k)))
        elif t == b"hash":
            v = resp(s, f, "HGETALL", k)
            for i in range(0, len(v), 2):
                lines.append((k, v[i], v[i + 1]))
        elif t == b"list":
            lines.append((k,) + tuple(resp(s, f, "LRANGE", k, 0, -1)))
        elif t in (b"set",):
            for m in resp(s, f, "SMEMBERS", k):
                lines.append((k, m))
        elif t == b"zset":
            v = resp(s, f, "ZRANGE", k, 0, -1, "WITHSCORES")
            for i in range(0, len(v), 2):
                lines.append((k, v[i], v[i + 1]))
    for l in sorted(lines):
        print(" ".join(repr(x) for x in l))


def sqlite(path):
    db = sqlite3.connect(path)
    lines = []
    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'jfs_%'"):
        cols = [c[1] for c in db.execute("PRAGMA table_info(%s)" % t)]
        keep = [c for c in cols if not (c == "id" and t not in ("jfs_acl",))]
        for row in db.execute("SELECT %s FROM %s" % (",".join("`%s`" % c for c in keep), t)):
            lines.append(t + " " + " ".join("%s=%r" % kv for kv in zip(keep, row)))
    for l in sorted(lines):
        print(l)


if sys.argv[1] == "redis":
    redis(sys.argv[2], sys.argv[3])
else:
    sqlite(sys.argv[2])
