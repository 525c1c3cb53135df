#!/usr/bin/env python3
"""notify.py CMD...: runs CMD with NOTIFY_SOCKET set to a fresh datagram
socket, as systemd does for Type=notify services, and prints each message
received within 60 s until one holds READY=1; exits 0 then, 1 otherwise.
CMD keeps running (its pid goes to stderr) for the caller to stop."""
import os
import socket
import subprocess
import sys
import tempfile
import time

path = os.path.join(tempfile.mkdtemp(), "notify")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(1)
proc = subprocess.Popen(sys.argv[1:], env=dict(os.environ, NOTIFY_SOCKET=path),
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=open("/vmout/jfsd-notify.log", "ab"))
print("pid %d" % proc.pid, file=sys.stderr)
deadline = time.time() + 60
while time.time() < deadline:
    try:
        msg = sock.recv(4096).decode(errors="replace")
    except socket.timeout:
        if proc.poll() is not None:
            print("exited %d before READY=1" % proc.returncode)
            sys.exit(1)
        continue
    print(msg.replace("\n", " | "))
    if "READY=1" in msg.split("\n"):
        sys.exit(0)
sys.exit(1)
