#!/bin/sh
# t-jfsadm.sh - `jfsadm format` and `jfsadm status` against a private
# redis-server (own temp dir, free loopback port) and a "file" store.
#
# usage: tests/cli/t-jfsadm.sh          (JFSADM=path overrides the binary)
# Prints "PASS title" / "FAIL title" lines like the unit tests (so
# tests/unit/run.sh can count them) and exits non-zero on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
JFSADM=${JFSADM:-$top/tools/jfsadm}
NAME=t-jfsadm
. "$here/cli-lib.sh"

# json FILE EXPR: prints a value out of a JSON document (fails if not JSON)
is_json() { json "$1" "$2" > /dev/null; }
json() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# usage errors: the message line first, then the usage line
usage_line() {
	head -n 1 "$1" | grep -q "^jfsadm: " && head -n 1 "$1" | grep -qF -- "$2" &&
		sed -n 2p "$1" | grep -q "^usage: jfsadm"
}

[ -x "$JFSADM" ] || { echo "FAIL t-jfsadm: no $JFSADM (build it first)"; exit 1; }
command -v redis-server >/dev/null || { echo "FAIL t-jfsadm: no redis-server"; exit 1; }

start_redis || exit 1
rc() { redis-cli -p "$port" -n 1 "$@"; }
url=redis://127.0.0.1:$port/1
bucket=$tmp/bucket

# ---- format ----
"$JFSADM" format --bucket "$bucket" --block-size 1024 --trash-days 0 \
	--capacity 2 --access-key AKX --secret-key topsecret42 "$url" myjfs \
	> "$tmp/out" 2> "$tmp/err"
check "format: succeeds" test $? -eq 0
check "format: quiet on stderr" test ! -s "$tmp/err"

rc GET setting > "$tmp/setting"
check "setting is JSON" is_json "$tmp/setting" 'd["Name"]'
check "Name" test "$(json "$tmp/setting" 'd["Name"]')" = myjfs
uuid=$(json "$tmp/setting" 'd["UUID"]')
check "UUID is a UUID" sh -c "echo '$uuid' | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'"
check "Storage" test "$(json "$tmp/setting" 'd["Storage"]')" = file
check "Bucket" test "$(json "$tmp/setting" 'd["Bucket"]')" = "$bucket/"
check "BlockSize" test "$(json "$tmp/setting" 'd["BlockSize"]')" = 1024
check "TrashDays" test "$(json "$tmp/setting" 'd["TrashDays"]')" = 0
check "Capacity in bytes" test "$(json "$tmp/setting" 'd["Capacity"]')" = $((2 << 30))
check "secret sealed" test "$(json "$tmp/setting" 'd["KeyEncrypted"]')" = True
check "secret not in clear" sh -c "! grep -q topsecret42 '$tmp/setting'"
check "MetaVersion" test "$(json "$tmp/setting" 'd["MetaVersion"]')" = 1
check "one field per line, no indent" sh -c "sed -n 2p '$tmp/setting' | grep -q '^\"Name\": \"myjfs\",$'"
check "juicefs_uuid object" test "$(cat "$bucket/myjfs/juicefs_uuid" 2>/dev/null)" = "$uuid"
check "probe object removed" test -z "$(find "$bucket/myjfs/testing" -type f 2>/dev/null)"
check "root inode is 72 bytes" test "$(rc STRLEN i1)" = 72

# ---- reformat ----
cp "$tmp/setting" "$tmp/setting.before"
"$JFSADM" format --bucket "$bucket" "$url" other > "$tmp/out" 2> "$tmp/err"
check "other name is refused" test $? -eq 1
check "other name: one line" one_line "$tmp/err" "cannot format: META-URL already holds volume 'myjfs'"
rc GET setting > "$tmp/setting"
check "other name: setting unchanged" cmp -s "$tmp/setting" "$tmp/setting.before"
check "other name: no objects" test ! -e "$bucket/other/juicefs_uuid"

"$JFSADM" format --block-size 2048 "$url" myjfs > "$tmp/out" 2> "$tmp/err"
check "changing block size needs --force" test $? -eq 1
check "block size: one line" one_line "$tmp/err" "block size 1024"
rc GET setting > "$tmp/setting"
check "block size: setting unchanged" cmp -s "$tmp/setting" "$tmp/setting.before"

"$JFSADM" format --capacity 5 --inodes 1000 "$url" myjfs > "$tmp/out" 2> "$tmp/err"
check "same name updates" test $? -eq 0
rc GET setting > "$tmp/setting"
check "update: Capacity" test "$(json "$tmp/setting" 'd["Capacity"]')" = $((5 << 30))
check "update: Inodes" test "$(json "$tmp/setting" 'd["Inodes"]')" = 1000
check "update: UUID kept" test "$(json "$tmp/setting" 'd["UUID"]')" = "$uuid"
check "update: BlockSize kept" test "$(json "$tmp/setting" 'd["BlockSize"]')" = 1024
check "update: Bucket kept" test "$(json "$tmp/setting" 'd["Bucket"]')" = "$bucket/"

# ---- bad input ----
"$JFSADM" format 'redis://u:pw1234@127.0.0.1:99999/1' vol > "$tmp/out" 2> "$tmp/err"
check "bad port: fails" test $? -ne 0
check "bad port: one line" one_line "$tmp/err" "invalid META-URL 'redis://u:****@127.0.0.1:99999/1'"
check "bad port: password hidden" sh -c "! grep -q pw1234 '$tmp/err'"

"$JFSADM" format 'localhost:6379' vol > "$tmp/out" 2> "$tmp/err"
check "no scheme: fails" test $? -ne 0
check "no scheme: one line" one_line "$tmp/err" "invalid META-URL 'localhost:6379'"

"$JFSADM" format 'redis://127.0.0.1/db1' vol > "$tmp/out" 2> "$tmp/err"
check "bad db: fails" test $? -ne 0
check "bad db: one line" one_line "$tmp/err" "database 'db1' is not a number"

dead=$(free_port)
"$JFSADM" format --bucket "$tmp/b2" "redis://:pw5678@127.0.0.1:$dead/1" vol > "$tmp/out" 2> "$tmp/err"
check "unreachable redis: exit 1" test $? -eq 1
check "unreachable redis: one line" one_line "$tmp/err" "127.0.0.1:$dead"
check "unreachable redis: password hidden" sh -c "! grep -q pw5678 '$tmp/err'"
check "unreachable redis: no objects" test ! -e "$tmp/b2/vol/juicefs_uuid"

for name in My_Vol ab -abc abc- "$(printf 'a%.0s' $(seq 64))"; do
	"$JFSADM" format --bucket "$tmp/b3" -- "redis://127.0.0.1:$port/2" "$name" > "$tmp/out" 2> "$tmp/err"
	check "invalid name '$name': exit 2" test $? -eq 2
	check "invalid name '$name': message" usage_line "$tmp/err" "invalid volume name"
done
check "invalid names: nothing written" test "$(redis-cli -p "$port" -n 2 DBSIZE)" = 0

# ---- default local store: /var/lib/jfs/NAME as root, ~/.juicefs/local otherwise ----
if [ "$(id -u)" = 0 ]; then
	dname=jfstest-$$
	"$JFSADM" format "redis://127.0.0.1:$port/5" "$dname" > "$tmp/out" 2> "$tmp/err"
	check "default bucket: format succeeds" test $? -eq 0
	redis-cli -p "$port" -n 5 GET setting > "$tmp/dsetting"
	check "default bucket (root): /var/lib/jfs/" \
		test "$(json "$tmp/dsetting" 'd["Bucket"]')" = /var/lib/jfs/
	check "default bucket (root): objects in /var/lib/jfs/$dname" \
		test -s "/var/lib/jfs/$dname/juicefs_uuid"
	rm -rf "/var/lib/jfs/${dname:?}"
	rmdir /var/lib/jfs 2> /dev/null
fi

"$JFSADM" format > "$tmp/out" 2> "$tmp/err"
check "no arguments: exit 2" test $? -eq 2
"$JFSADM" format --bogus "$url" myjfs > "$tmp/out" 2> "$tmp/err"
check "unknown option: exit 2" test $? -eq 2
check "unknown option: message" usage_line "$tmp/err" "unknown option '--bogus'"
"$JFSADM" format --trash-days x "$url" myjfs > "$tmp/out" 2> "$tmp/err"
check "bad number: exit 2" test $? -eq 2
"$JFSADM" frobnicate > "$tmp/out" 2> "$tmp/err"
check "unknown command: exit 2" test $? -eq 2
check "unknown command: message" usage_line "$tmp/err" "'frobnicate' is not a jfsadm command"

# ---- status ----
"$JFSADM" status "$url" > "$tmp/status" 2> "$tmp/err"
check "status succeeds" test $? -eq 0
check "status is JSON" is_json "$tmp/status" 'd["Setting"]["Name"]'
check "status: Name" test "$(json "$tmp/status" 'd["Setting"]["Name"]')" = myjfs
check "status: secret removed" test "$(json "$tmp/status" 'd["Setting"]["SecretKey"]')" = removed
check "status: no secret" sh -c "! grep -q topsecret42 '$tmp/status'"
check "status: no sealed secret" sh -c "! grep -qF \"\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"SecretKey\"])' '$tmp/setting')\" '$tmp/status'"
check "status: sessions listed" test "$(json "$tmp/status" 'type(d["Sessions"]).__name__')" = list
check "status: used inodes" test "$(json "$tmp/status" 'd["Statistic"]["UsedInodes"]')" -ge 0

"$JFSADM" status "redis://127.0.0.1:$port/3" > "$tmp/status" 2> "$tmp/err"
check "status of an empty db: exit 1" test $? -eq 1
check "status of an empty db: one line" one_line "$tmp/err" "is not formatted"

if [ $fails -ne 0 ]; then
	echo "t-jfsadm: $fails failed"
	exit 1
fi
echo "t-jfsadm: all passed"
