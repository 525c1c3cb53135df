#!/bin/bash
# t-redis-restart.sh - Redis restarted under load: down ~10 s with its data
# kept (SHUTDOWN SAVE, then redis-server again on the same port and dir),
# while the fsx-style verifier runs on one file through two mounts
# (alternating at each reopen) and on another through one.  No error may
# reach the application: both runs end with status 0 and 0 mismatches.
# jfsd logs the outage and its end, and the real juicefs fsck finds the
# volume clean afterwards.  JFS_RESTART_OPS sets the ops per run (default
# 1500, ~45 s under TCG), JFS_RESTART_DOWN the outage in seconds (10).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh
. tests/peers/env.sh

A=/mnt/ra
B=/mnt/rb
OPS=${JFS_RESTART_OPS:-1500}
DOWN=${JFS_RESTART_DOWN:-10}
FSX=/tmp/jfsx-restart
PORT=$JFS_IT_REDIS_PORT

t_begin "redis restart: setup"
case $JFS_IT_URL in
redis://*) ;;
*) echo "SKIP t-redis-restart: the volume is not on Redis"; t_summary; exit 0 ;;
esac
expect_ok "build jfsx" -- cc -std=gnu11 -O2 -Wall -Werror -o $FSX tests/fsx/jfsx.c
expect_ok "mount $A" -- mount_vol $A
expect_ok "mount $B" -- mount_vol $B
if ! is_jfs_mount $A || ! is_jfs_mount $B; then t_summary; exit 1; fi
mkdir -p $A/rr
log_mark=$(wc -l <"$JFS_IT_JFSD_LOG")

t_begin "redis restart under fsx on two mounts"
"$FSX" -N "$OPS" -S 11 $A/rr/two $B/rr/two >/tmp/rr-two.out 2>&1 &
p_two=$!
"$FSX" -N "$OPS" -S 12 $B/rr/one >/tmp/rr-one.out 2>&1 &
p_one=$!
sleep 8
expect_ok "both runs are still going when Redis stops" -- kill -0 $p_two $p_one
redis_pid=$(cat "/tmp/redis-$PORT.pid")
t0=$(now_ms)
redis-cli -p "$PORT" shutdown save >/dev/null 2>&1
for ((i = 0; i < 100; i++)); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
expect_ok "redis-server is gone" -- sh -c "! kill -0 $redis_pid 2>/dev/null"
sleep "$DOWN"
expect_ok "redis-server again, same port and dir" -- start_redis "$PORT"
echo "redis down for $(( $(now_ms) - t0 )) ms" | tee -a /vmout/timing.log
expect_ok "its data survived" -- sh -c "redis-cli -p $PORT -n $JFS_IT_DB get setting | grep -q '\"Name\"'"
rc_two=0
wait $p_two || rc_two=$?
rc_one=0
wait $p_one || rc_one=$?
tail -n 5 /tmp/rr-two.out /tmp/rr-one.out
expect_eq "two mounts: exit 0, $OPS ops, 0 mismatches" "0 $OPS" \
	"$rc_two $(sed -n 's/^jfsx: \([0-9]*\) ops, 0 mismatches.*/\1/p' /tmp/rr-two.out)"
expect_eq "one mount: exit 0, $OPS ops, 0 mismatches" "0 $OPS" \
	"$rc_one $(sed -n 's/^jfsx: \([0-9]*\) ops, 0 mismatches.*/\1/p' /tmp/rr-one.out)"
tail -n +"$((log_mark + 1))" "$JFS_IT_JFSD_LOG" >/tmp/rr-jfsd.log
expect_ok "jfsd logged the outage" -- grep -q "retrying for up to 300 s" /tmp/rr-jfsd.log
expect_ok "jfsd logged its end" -- grep -q "back after" /tmp/rr-jfsd.log
grep -E "retrying|back" /tmp/rr-jfsd.log | head -n 6

t_begin "redis restart: juicefs fsck"
if juicefs_available; then
	jc fsck "$JFS_IT_URL" >/vmout/rr-fsck.log 2>&1
	expect_eq "juicefs fsck exits 0" 0 $?
	expect_ok "no lost or broken objects" -- sh -c "! grep -Eiq 'lost|broken|corrupt' /vmout/rr-fsck.log"
	tail -n 3 /vmout/rr-fsck.log
else
	t_fail "no juicefs peer (tests/peers/install-juicefs.sh)"
fi

t_begin "redis restart: cleanup"
ok "rm the files" -- rm -rf $A/rr
ok "umount $A" -- umount_vol $A
ok "umount $B" -- umount_vol $B
t_summary
