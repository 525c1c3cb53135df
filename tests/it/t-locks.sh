#!/bin/bash
# Locks across clients: two mounts of the volume are two JuiceFS sessions,
# so every conflict below goes through jfsd and Redis (lockp{ino} and
# lockf{ino}), not through the local kernel's lock lists alone.
# tests/locks/lockctl.c runs the lock calls and reports each result.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

A=/mnt/la
B=/mnt/lb
LC=/tmp/lockctl
T=$IT_TMP/locks
mkdir -p $T

# lc MNT OP...: runs lockctl on MNT/locks/f, prints its result lines
lc() { local m=$1; shift; "$LC" "$m/locks/f" "$@" 2>&1; }
# holder NAME MNT OP...: lockctl in the background, holding what it took
holder() { local n=$1 m=$2; shift 2; "$LC" "$m/locks/f" "$@" >"$T/$n.out" 2>&1 & echo $! >"$T/$n.pid"; }
await() { local i; for ((i = 0; i < 300; i++)); do [[ -e $1 ]] && return 0; sleep 0.1; done; return 1; }
stop_holder() { kill "$(cat "$T/$1.pid")" 2>/dev/null; wait "$(cat "$T/$1.pid")" 2>/dev/null; return 0; }
field_count() { rcli hlen "$1$(stat -c %i $A/locks/f)"; }
# result OP OUTPUT: "ok" / "EAGAIN" / ... of the line for OP
result() { awk -v op="$1" '$1 == op { print $2; exit }' <<<"$2"; }

t_begin "locks: setup"
expect_ok "build lockctl" -- cc -std=gnu11 -O2 -Wall -Werror -o $LC tests/locks/lockctl.c
expect_ok "mount $A" -- mount_vol $A
expect_ok "mount $B" -- mount_vol $B
if ! is_jfs_mount $A || ! is_jfs_mount $B; then t_summary; exit 1; fi
mkdir -p $A/locks
printf 'data' >$A/locks/f

t_begin "locks: exclusive and shared (fcntl)"
holder x $A w:0:0 ready:$T/x.ready sleep:60
await $T/x.ready
out=$(lc $B w:0:0 r:10:5 g:w:0:0)
expect_eq "a write lock on A: B's write and read locks conflict" "EAGAIN EAGAIN" \
	"$(result w:0:0 "$out") $(result r:10:5 "$out")"
# a holder on another client shows as a negative pid (the kernel's
# convention for remote locks, as ceph and NFS report them)
expect_eq "F_GETLK on B reports A's holder: type, range, -pid" \
	"g w 0 -1 -$(cat $T/x.pid)" "$(grep '^g ' <<<"$out")"
expect_eq "redis: lockp{ino} holds A's field" 1 "$(field_count lockp)"
stop_holder x
out=$(lc $B w:0:0)
expect_eq "the holder exits (close releases): B takes it" ok "$(result w:0:0 "$out")"
expect_eq "and gives it back on close: no field left" 0 "$(field_count lockp)"
holder s $A r:0:100 ready:$T/s.ready sleep:60
await $T/s.ready
out=$(lc $B r:0:100 w:50:1)
expect_eq "read locks share; a write lock conflicts" "ok EAGAIN" \
	"$(result r:0:100 "$out") $(result w:50:1 "$out")"
stop_holder s

t_begin "locks: ranges split and merge"
holder sp $A w:0:100 u:40:20 ready:$T/sp.ready sleep:60
await $T/sp.ready
out=$(lc $B w:40:20 w:0:10 w:60:40 w:100:10 g:w:0:100)
expect_eq "A holds 0-39 and 60-99: B gets 40-59 and 100-109, not 0-9 or 60-99" \
	"ok EAGAIN EAGAIN ok" \
	"$(result w:40:20 "$out") $(result w:0:10 "$out") $(result w:60:40 "$out") $(result w:100:10 "$out")"
expect_eq "F_GETLK names the first conflicting piece" "g w 0 39 -$(cat $T/sp.pid)" "$(grep '^g ' <<<"$out")"
ino=$(stat -c %i $A/locks/f)
recs=$(rcli --raw hgetall "lockp$ino" | python3 -c '
import sys
d = sys.stdin.buffer.read().split(b"\n")
print(",".join(str(len(v)) for v in d[1::2] if v))')
expect_eq "redis: A's field is two 24-byte records (0-39, 60-99)" 48 "${recs%%,*}"
stop_holder sp

t_begin "locks: blocking waits"
holder bw $A w:0:0 ready:$T/bw.ready sleep:3 u:0:0 sleep:30
await $T/bw.ready
out=$(lc $B W:0:0)
ms=$(awk '$1 == "W:0:0" { print $3 }' <<<"$out")
expect_eq "F_SETLKW on B is granted when A unlocks" ok "$(result W:0:0 "$out")"
((ms >= 1500 && ms < 20000))
check "after about 3 s (waited ${ms:-?} ms)" "waited ${ms:-?} ms"
stop_holder bw
holder in $A w:0:0 ready:$T/in.ready sleep:60
await $T/in.ready
out=$(lc $B alarm:2 W:0:0)
expect_eq "a signal interrupts F_SETLKW with EINTR" EINTR "$(result W:0:0 "$out")"
out=$(lc $B w:0:0)
expect_eq "and the interrupted wait left no lock behind" EAGAIN "$(result w:0:0 "$out")"
stop_holder in

t_begin "locks: OFD locks"
holder ofd $A ow:0:0 ready:$T/ofd.ready sleep:60
await $T/ofd.ready
out=$(lc $B ow:0:10 w:0:10)
expect_eq "an OFD write lock on A conflicts with B's OFD and POSIX locks" "EAGAIN EAGAIN" \
	"$(result ow:0:10 "$out") $(result w:0:10 "$out")"
stop_holder ofd

t_begin "locks: flock"
holder fl $A fe ready:$T/fl.ready sleep:60
await $T/fl.ready
out=$(lc $B fe fs)
expect_eq "flock LOCK_EX on A: B's exclusive and shared attempts fail" "EAGAIN EAGAIN" \
	"$(result fe "$out") $(result fs "$out")"
expect_eq "redis: lockf{ino} holds W" W "$(rcli hvals "lockf$(stat -c %i $A/locks/f)")"
stop_holder fl
holder fs1 $A fs ready:$T/fs1.ready sleep:60
await $T/fs1.ready
out=$(lc $B fs fe)
expect_eq "shared flocks share; exclusive waits its turn" "ok EAGAIN" \
	"$(result fs "$out") $(result fe "$out")"
holder fw $B fE ready:$T/fw.ready sleep:1
sleep 1
stop_holder fs1
await $T/fw.ready
check "a blocking LOCK_EX on B is granted once A's shared lock goes" "never granted"
wait "$(cat $T/fw.pid)" 2>/dev/null
expect_eq "no flock field left" 0 "$(field_count lockf)"

t_begin "locks: a dead client's locks go with its session"
holder dead $A w:0:0 ready:$T/dead.ready sleep:600
await $T/dead.ready
field=$(rcli hkeys "lockp$(stat -c %i $A/locks/f)")
sid=${field%%_*}
dead=$(rcli zrange allSessions 0 -1)	# A's and B's: both die below
ok "kill -9 jfsd (every mount's client dies)" -- pkill -9 -x jfsd
stop_holder dead
for _ in $(seq 50); do [[ -z $(jfsd_pid) ]] && break; sleep 0.1; done
ok "start jfsd again" -- start_jfsd
ok "unmount the dead client's mounts" -- eval 'umount_vol $A && umount_vol $B'
expect_ok "remount $B" -- mount_vol $B
out=$(lc $B w:0:0)
expect_eq "the dead session's lock is still there" EAGAIN "$(result w:0:0 "$out")"
# both dead sessions expire (A's holds the lock), or B's would outlive
# this suite by its 60 s and show in the next one's session count
for s in $dead; do rcli zadd allSessions 1 "$s" >/dev/null; done
out=$(lc $B alarm:40 W:0:0)
expect_eq "once its session expires, jfsd's cleanup frees it" ok "$(result W:0:0 "$out")"
expect_eq "redis: the dead session's field and locked set are gone" "0 0" \
	"$(rcli hexists "lockp$(stat -c %i $B/locks/f)" "$field") $(rcli exists "locked$sid")"

t_begin "locks: cleanup"
ok "rm the files" -- rm -rf $B/locks
ok "umount $B" -- umount_vol $B
t_summary
