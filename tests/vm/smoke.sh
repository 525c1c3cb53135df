#!/usr/bin/env bash
# Smoke test for the VM test bed: run as `tests/vm/run.sh -- tests/vm/smoke.sh`.
# Checks that the guest is the expected kernel, loopback redis works, and the
# root is writable. Needs no jfs code.
set -euo pipefail

[[ ${JFS_VM:-} == 1 ]] || { echo "smoke: not inside the test VM (use tests/vm/run.sh)" >&2; exit 1; }
echo "smoke: kernel $(uname -r), $(nproc) cpus, cwd $PWD"

# Guest-local redis; must not be the host's (tests never depend on it).
redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no \
	--daemonize yes --dir /tmp --logfile /vmout/smoke-redis.log
for _ in $(seq 50); do
	[[ $(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]] && break
	sleep 0.1
done
pong=$(redis-cli -h 127.0.0.1 -p 6379 ping)
[[ $pong == PONG ]] || { echo "smoke: redis ping said '$pong'" >&2; exit 1; }
redis-cli -h 127.0.0.1 set smoke ok >/dev/null
[[ $(redis-cli -h 127.0.0.1 get smoke) == ok ]]
echo "smoke: redis ok"

# Writable, and only inside the guest.
echo "hello $$" >/mnt/smoke-file
[[ $(cat /mnt/smoke-file) == "hello $$" ]]
mkdir -p /var/lib/jfs-smoke && touch /var/lib/jfs-smoke/x
echo "smoke: writes ok"

redis-cli -h 127.0.0.1 shutdown nosave >/dev/null 2>&1 || true
rm -f /vmout/smoke-redis.log # only kept for diagnosis if we fail above
echo "smoke: PASS"
