#!/bin/bash
# t-status-vm.sh - mount.jfs (the mount(8) helper) and `jfsadm status`
# (kernel mounts over generic netlink), end to end.  Runs INSIDE the test
# VM, as root, with the jfsk module NOT loaded yet:
#
#   tests/vm/run.sh -o /tmp/st-out -- tests/cli/t-status-vm.sh
#
# Order matters: the "module not loaded" checks run before insmod, the
# "jfsd not running" check before jfsd starts.  Every failed mount.jfs
# must print exactly one "mount.jfs: " line, exit 1 or 32 as mount(8)
# says, and leave nothing mounted.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib.sh
. tests/lib.sh

MOUNT_JFS=$PWD/tools/mount.jfs
JFSADM=$PWD/tools/jfsadm
JFSD=$PWD/daemon/jfsd
PORT=6379
URL=redis://127.0.0.1:$PORT/1
MNT=/mnt/jfs-st
TMP=$(mktemp -d /tmp/t-status.XXXXXX)
jfsd_pid=

cleanup() {
	mountpoint -q $MNT && umount $MNT
	[[ -n $jfsd_pid ]] && kill "$jfsd_pid" 2>/dev/null
	redis-cli -p $PORT shutdown nosave >/dev/null 2>&1
}
trap cleanup EXIT

# json FILE EXPR: evaluates a python expression on the parsed document d
json() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# mount_fails DESC EXIT_CODE MESSAGE [MOUNT.JFS ARGS...]: one check for the
# exit status, the single stderr line and an untouched mount table
mount_fails() {
	local desc=$1 want_rc=$2 want_msg=$3 rc=0 lines
	shift 3
	timeout 60 "$MOUNT_JFS" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	lines=$(wc -l <"$TMP/err")
	if ((rc != want_rc)); then
		_t_record_fail "$(_t_name "$desc")" "exit $rc, want $want_rc: $(cat "$TMP/err")"
	elif ((lines != 1)) || ! head -n1 "$TMP/err" | grep -q '^mount\.jfs: '; then
		_t_record_fail "$(_t_name "$desc")" "want one 'mount.jfs: ' line, got: $(cat "$TMP/err")"
	elif ! grep -qF -- "$want_msg" "$TMP/err"; then
		_t_record_fail "$(_t_name "$desc")" "stderr lacks '$want_msg': $(cat "$TMP/err")"
	elif grep -q "topsecret" "$TMP/err" "$TMP/out"; then
		_t_record_fail "$(_t_name "$desc")" "the password was printed: $(cat "$TMP/err")"
	elif grep -q " $MNT " /proc/mounts; then
		_t_record_fail "$(_t_name "$desc")" "something got mounted on $MNT"
	else
		_t_record_pass "$(_t_name "$desc")"
		sed 's/^/      /' "$TMP/err"
	fi
}

# op_count FILE OP: the count of OP in the first mount of a --json output
op_count() {
	json "$1" "sum(o['Count'] for o in d['Mounts'][0]['Ops'] if o['Op'] == '$2')"
}

t_begin "setup"
for b in "$MOUNT_JFS" "$JFSADM" "$JFSD" kmod/jfsk.ko; do
	[[ -e $b ]] || { t_fail "$b missing: run make first"; t_summary; exit 1; }
done
mkdir -p $MNT "$TMP/data"
expect_ok "redis-server starts" -- redis-server --port $PORT --bind 127.0.0.1 \
	--save '' --appendonly no --daemonize yes --dir "$TMP" --logfile /vmout/redis-st.log
for _ in $(seq 50); do redis-cli -p $PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
expect_ok "format volume" -- "$JFSADM" format --bucket "$TMP/data/" "$URL" stvol
# a volume with a feature jfsd does not keep yet (UserGroupQuota, as
# juicefs quota set --uid writes it): refused read-write
expect_ok "format a volume with user quotas on" -- sh -c "\"$JFSADM\" format --bucket \"$TMP/data2/\" \
	redis://127.0.0.1:$PORT/4 quotavol >/dev/null && redis-cli -p $PORT -n 4 get setting |
	python3 -c 'import json,sys; d=json.load(sys.stdin); d[\"UserGroupQuota\"]=True; print(json.dumps(d))' |
	redis-cli -p $PORT -n 4 -x set setting"
((T_OK)) || { t_summary; exit 1; }

t_begin "mount.jfs before the module is loaded"
if grep -qw jfsk /proc/modules; then
	t_fail "jfsk is already loaded: this script must start without it"
fi
mount_fails "bad META-URL: exit 1" 1 "invalid META-URL 'redis://:****@/1'" \
	'redis://:topsecret@/1' $MNT
mount_fails "missing mount point: exit 32" 32 "mount point '/nonexistent-st' does not exist" \
	"$URL" /nonexistent-st
mount_fails "no module: exit 32" 32 "jfs kernel module not loaded: run 'modprobe jfsk'" \
	"$URL" $MNT
expect_err "jfsadm status without the module" "jfs kernel module not loaded" -- "$JFSADM" status
"$JFSADM" status "$URL" >"$TMP/vol0.json" 2>"$TMP/err"
expect_eq "jfsadm status URL without the module: exit 0" 0 $?
expect_eq "jfsadm status URL without the module: no Mounts" False \
	"$(json "$TMP/vol0.json" '"Mounts" in d' 2>&1)"

t_begin "mount.jfs with the module, before jfsd"
expect_ok "insmod" -- insmod kmod/jfsk.ko
((T_OK)) || { t_summary; exit 1; }
mount_fails "redis unreachable: exit 32" 32 \
	"cannot reach metadata engine redis://:****@127.0.0.1:6390/1: Connection refused" \
	redis://:topsecret@127.0.0.1:6390/1 $MNT
mount_fails "unformatted db: exit 32" 32 \
	"redis://127.0.0.1:$PORT/3 is not formatted: run 'jfsadm format'" \
	redis://127.0.0.1:$PORT/3 $MNT
mount_fails "unsupported feature read-write: exit 32" 32 "mount it read-only" \
	redis://127.0.0.1:$PORT/4 $MNT
mount_fails "no jfsd: exit 32" 32 \
	"jfsd is not running: start it with 'jfsd -d' (or systemctl start jfsd)" \
	"$URL" $MNT
mount_fails "unknown fs type: exit 32" 32 \
	"file system type 'nosuchjfs' not registered: run 'modprobe jfsk'" \
	"$URL" $MNT -t nosuchjfs
expect_ok "-f (fake) checks and mounts nothing" -- "$MOUNT_JFS" -f -v "$URL" $MNT
expect_eq "-f left nothing mounted" "" "$(grep " $MNT " /proc/mounts)"
expect_eq "jfsadm status with no mount" "no jfs volume is mounted" "$("$JFSADM" status 2>&1)"

t_begin "mount.jfs mounts"
expect_ok "jfsd starts" -- "$JFSD" -d -l /vmout/jfsd-st.log
jfsd_pid=$(pgrep -nx jfsd)
expect_ok "mount.jfs URL DIR -o attr_timeout=2" -- \
	"$MOUNT_JFS" "$URL" $MNT -o rw,noatime,_netdev,attr_timeout=2
((T_OK)) || { t_summary; exit 1; }
line=$(grep " $MNT " /proc/mounts)
expect_eq "/proc/mounts: source and type" "$URL $MNT jfs" "$(cut -d' ' -f1-3 <<<"$line")"
expect_eq "/proc/mounts: noatime and attr_timeout_ms=2000" yes \
	"$([[ $line == *noatime*attr_timeout_ms=2000* ]] && echo yes || echo "no: $line")"
expect_eq "/proc/mounts: nosuid,nodev by default" yes \
	"$([[ $line == *nosuid*nodev* ]] && echo yes || echo "no: $line")"
# a setuid binary in the volume (any client may write one) does not elevate
expect_ok "a setuid copy of id(1) in the volume" -- sh -c "cp /usr/bin/id $MNT/suid-id && chmod 4755 $MNT/suid-id"
expect_eq "run by nobody it stays nobody" 65534 \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups $MNT/suid-id -u 2>&1)"

t_begin "I/O through the mount"
expect_ok "write 1 MiB" -- dd if=/dev/urandom of="$TMP/src" bs=1M count=1 status=none
expect_ok "copy into jfs" -- cp "$TMP/src" $MNT/file
expect_ok "sync" -- sync
echo 3 >/proc/sys/vm/drop_caches
expect_ok "read back after drop_caches" -- cmp "$TMP/src" $MNT/file
expect_ok "mkdir and list" -- sh -c "mkdir $MNT/dir && ls -l $MNT >/dev/null"

t_begin "jfsadm status lists the mount"
"$JFSADM" status >"$TMP/table" 2>"$TMP/err"
expect_eq "exit 0" 0 $?
expect_ok "names the volume" -- grep -q "volume 'stvol'" "$TMP/table"
expect_ok "shows the redacted URL" -- grep -qF "url:        $URL" "$TMP/table"
expect_ok "jfsd attached" -- grep -q "jfsd: *attached" "$TMP/table"
expect_ok "has a lookup row" -- grep -Eq '^  lookup +[1-9]' "$TMP/table"
cat "$TMP/table"
expect_ok "--json" -- sh -c "'$JFSADM' status --json > '$TMP/mounts.json'"
expect_ok "--json parses" -- python3 -c "import json; json.load(open('$TMP/mounts.json'))"
expect_eq "one mount" 1 "$(json "$TMP/mounts.json" 'len(d["Mounts"])')"
expect_eq "volume" stvol "$(json "$TMP/mounts.json" 'd["Mounts"][0]["Volume"]')"
expect_eq "helper attached" True "$(json "$TMP/mounts.json" 'd["Mounts"][0]["Helper"]')"
expect_eq "read-write" False "$(json "$TMP/mounts.json" 'd["Mounts"][0]["ReadOnly"]')"
expect_eq "session id set" True "$(json "$TMP/mounts.json" 'd["Mounts"][0]["Sid"] > 0')"
expect_eq "bytes out >= 1 MiB" True "$(json "$TMP/mounts.json" 'd["Mounts"][0]["BytesOut"] >= 1 << 20')"
expect_eq "bytes in >= 1 MiB" True "$(json "$TMP/mounts.json" 'd["Mounts"][0]["BytesIn"] >= 1 << 20')"
for op in lookup write read mkdir create; do
	n=$(op_count "$TMP/mounts.json" $op 2>&1)
	expect_eq "$op count > 0" yes "$([[ $n =~ ^[0-9]+$ ]] && ((n > 0)) && echo yes || echo "no: '$n'")"
done
# jfsd's engine counters, per op: a create or mkdir is two round trips
# (WATCH+GET+HGET, MULTI..EXEC), a getattr one (GET+EXISTS pipelined)
per_op() { # OP FIELD
	json "$TMP/mounts.json" "[round(o['$2'] / o['Count'], 2) for o in d['Mounts'][0]['Ops'] if o['Op'] == '$1'][0]" 2>&1
}
expect_eq "mkdir: 2 Redis round trips per op" 2.0 "$(per_op mkdir EngineRoundTrips)"
expect_ok "the table shows commands and round trips per op" -- \
	grep -Eq '^  mkdir +1 +0 +[0-9.]+ +[0-9]+\.[0-9]{2} +2\.00$' "$TMP/table"
# the first create of a mount also takes a batch of inode ids: count the second
"$JFSADM" status --json >"$TMP/before.json"
: >$MNT/second
"$JFSADM" status --json >"$TMP/mounts.json"
op_delta() { # OP FIELD
	python3 - "$TMP/before.json" "$TMP/mounts.json" "$1" "$2" <<'PY'
import json, sys
def f(p):
	ops = json.load(open(p))["Mounts"][0]["Ops"]
	return [o for o in ops if o["Op"] == sys.argv[3]][0]
a, b, k = f(sys.argv[1]), f(sys.argv[2]), sys.argv[4]
print("%d ops, %d" % (b["Count"] - a["Count"], b[k] - a[k]))
PY
}
expect_eq "a create: 2 Redis round trips" "1 ops, 2" "$(op_delta create EngineRoundTrips 2>&1)"
expect_eq "a create: 11 Redis commands (one the commit marker)" "1 ops, 11" "$(op_delta create EngineCmds 2>&1)"
# an open file's chunk maps stay in jfsd: a READ of it from the block
# cache, after the page cache is dropped, asks Redis nothing
python3 - "$MNT/file" "$JFSADM" "$TMP" <<'PY'
import os, subprocess, sys
f, jfsadm, tmp = sys.argv[1:4]
def drop():
	with open("/proc/sys/vm/drop_caches", "w") as d:
		d.write("3")
fd = os.open(f, os.O_RDONLY)
drop()
os.pread(fd, 4096, 0)
with open(tmp + "/before.json", "w") as out:
	subprocess.run([jfsadm, "status", "--json"], stdout=out, check=True)
drop()
os.pread(fd, 4096, 512 << 10)
with open(tmp + "/mounts.json", "w") as out:
	subprocess.run([jfsadm, "status", "--json"], stdout=out, check=True)
os.close(fd)
PY
expect_eq "a READ of an open file from the block cache: no Redis command" \
	"1 ops, 0" "$(op_delta read EngineCmds 2>&1)"
expect_eq "--mounts is the same view" "$(json "$TMP/mounts.json" 'd["Mounts"][0]["UUID"]')" \
	"$("$JFSADM" status --mounts --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["Mounts"][0]["UUID"])')"

t_begin "jfsadm status META-URL shows the local mount"
"$JFSADM" status "$URL" >"$TMP/vol.json" 2>"$TMP/err"
expect_eq "exit 0" 0 $?
expect_eq "one local mount" 1 "$(json "$TMP/vol.json" 'len(d["Mounts"])' 2>&1)"
expect_eq "matched by UUID" True \
	"$(json "$TMP/vol.json" 'd["Mounts"][0]["UUID"] == d["Setting"]["UUID"]' 2>&1)"
"$JFSADM" status redis://127.0.0.1:$PORT/4 >"$TMP/vol4.json" 2>"$TMP/err"
expect_eq "another volume has no local mount" 0 "$(json "$TMP/vol4.json" 'len(d["Mounts"])' 2>&1)"

t_begin "after umount"
expect_ok "umount" -- umount $MNT
expect_eq "--json lists nothing" 0 \
	"$("$JFSADM" status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Mounts"]))')"
mount_fails "a file as mount point: exit 32" 32 "is not a directory" \
	"$URL" "$TMP/src"

t_begin "mount(8) runs /sbin/mount.jfs"
# the guest's / is a RAM overlay: installing here does not touch the host
expect_ok "install the helper" -- install -m 0755 "$MOUNT_JFS" /sbin/mount.jfs
expect_err "mount -t jfs of an unformatted db: mount.jfs's message" \
	"redis://127.0.0.1:$PORT/3 is not formatted" -- mount -t jfs redis://127.0.0.1:$PORT/3 $MNT
rc=0; mount -t jfs redis://127.0.0.1:$PORT/3 $MNT 2>/dev/null || rc=$?
expect_eq "mount(8) passes exit 32 on" 32 $rc
expect_ok "mount -t jfs -o ro,attr_timeout=1" -- mount -t jfs -o ro,attr_timeout=1 "$URL" $MNT
line=$(grep " $MNT " /proc/mounts)
expect_eq "/proc/mounts: ro and attr_timeout_ms=1000" yes \
	"$([[ $line == *" jfs ro,"*attr_timeout_ms=1000* ]] && echo yes || echo "no: $line")"
expect_eq "jfsadm status: read-only" True \
	"$("$JFSADM" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["Mounts"][0]["ReadOnly"])')"
expect_ok "the file is there" -- cmp "$TMP/src" $MNT/file
expect_ok "umount" -- umount $MNT
# asked for, setuid is honoured: the check above can tell.  mount(8)
# drops options at their default (suid, dev) before running the helper,
# so this asks mount.jfs itself
expect_ok "mount.jfs -o suid,dev" -- "$MOUNT_JFS" "$URL" $MNT -o suid,dev
line=$(grep " $MNT " /proc/mounts)
expect_eq "/proc/mounts: neither nosuid nor nodev" yes \
	"$([[ $line != *nosuid* && $line != *nodev* ]] && echo yes || echo "no: $line")"
expect_eq "-o suid: the setuid copy runs as its owner" 0 \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups $MNT/suid-id -u 2>&1)"
expect_ok "umount" -- umount $MNT
t_summary
