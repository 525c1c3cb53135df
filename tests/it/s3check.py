#!/usr/bin/env python3
"""s3check.py - look at a jfs volume from the outside, for the S3 suites.

  s3check.py list PREFIX          every object under PREFIX: "key size" lines
  s3check.py expected URL         block objects the volume's slices need
  s3check.py missing URL          expected objects absent from the bucket

The bucket is read with curl's own SigV4 signing (ListObjectsV2, paged; curl
7.88 signs the query as given, so it goes out sorted and %XX-encoded);
redis is spoken to directly (RESP) so binary slice records arrive intact.
Environment: JFS_IT_S3_URL, JFS_IT_S3_USER, JFS_IT_S3_PASS.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def s3_list(prefix):
    url = os.environ["JFS_IT_S3_URL"].rstrip("/")
    auth = "%s:%s" % (os.environ["JFS_IT_S3_USER"], os.environ["JFS_IT_S3_PASS"])
    token, out = None, []
    while True:
        q = {"list-type": "2", "prefix": prefix, "max-keys": "1000"}
        if token:
            q["continuation-token"] = token
        body = subprocess.run(
            ["curl", "-sf", "--aws-sigv4", "aws:amz:us-east-1:s3", "-u", auth,
             url + "?" + urllib.parse.urlencode(sorted(q.items()), quote_via=urllib.parse.quote, safe="-_.~")],
            check=True, capture_output=True).stdout
        root = ET.fromstring(body)
        for c in root.findall(NS + "Contents"):
            out.append((c.find(NS + "Key").text, int(c.find(NS + "Size").text)))
        if root.findtext(NS + "IsTruncated") != "true":
            return out
        token = root.findtext(NS + "NextContinuationToken")


class Redis:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.f = socket.create_connection((u.hostname, u.port or 6379)).makefile("rwb")
        db = (u.path or "/0").lstrip("/") or "0"
        self.cmd("SELECT", db)

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.f.write(out)
        self.f.flush()
        return self.reply()

    def reply(self):
        line = self.f.readline()[:-2]
        kind, rest = line[:1], line[1:]
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind in (b"+", b":"):
            return rest
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise RuntimeError("bad reply %r" % line)


def expected(url):
    r = Redis(url)
    setting = json.loads(r.cmd("GET", "setting"))
    name, bs = setting["Name"], setting["BlockSize"] * 1024
    hashed = setting.get("HashPrefix", False)
    keys = set()
    for ck in r.cmd("KEYS", "c*_*"):
        for rec in r.cmd("LRANGE", ck, 0, -1):
            # pos u32, id u64, size u32, off u32, len u32 (big-endian)
            _, sid, size, _, _ = struct.unpack(">IQIII", rec[:24])
            if not sid:
                continue
            for i in range((size + bs - 1) // bs):
                b = min(bs, size - i * bs)
                if hashed:
                    k = "%s/chunks/%02X/%d/%d_%d_%d" % (name, sid % 256, sid // 1000000, sid, i, b)
                else:
                    k = "%s/chunks/%d/%d/%d_%d_%d" % (name, sid // 1000000, sid // 1000, sid, i, b)
                keys.add(k)
    return name, keys


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "list":
        for k, n in s3_list(sys.argv[2]):
            print(k, n)
    elif len(sys.argv) == 3 and sys.argv[1] == "expected":
        for k in sorted(expected(sys.argv[2])[1]):
            print(k)
    elif len(sys.argv) == 3 and sys.argv[1] == "missing":
        name, keys = expected(sys.argv[2])
        have = {k for k, _ in s3_list(name + "/chunks/")}
        for k in sorted(keys - have):
            print(k)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
