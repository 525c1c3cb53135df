# shellcheck shell=sh
# cli-lib.sh - what the host CLI suites (t-jfsadm.sh, t-dump.sh) share:
# PASS/FAIL lines, a private redis-server on a free port, the one-line
# error check.  Source it after setting NAME (the temp dir's prefix):
#
#   NAME=t-foo; . "$here/cli-lib.sh"
#   start_redis || exit 1       # sets port, redis_pid; stopped on exit
#   check "title" test ...      # prints PASS/FAIL, counts $fails
fails=0
tmp=$(mktemp -d "/tmp/$NAME.XXXXXX") || exit 1
redis_pid=

cleanup() {
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { echo "PASS $1"; }
not_ok() { echo "FAIL $1"; fails=$((fails + 1)); }
check() {	# check TITLE CMD...: passes when CMD succeeds
	title=$1
	shift
	if "$@"; then ok "$title"; else not_ok "$title"; fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# exactly one stderr line, "jfsadm: " first, containing $2
one_line() {
	[ "$(wc -l < "$1")" -eq 1 ] && head -n 1 "$1" | grep -q "^jfsadm: " &&
		grep -qF -- "$2" "$1"
}

# a redis-server of our own in $tmp, on a free port ($port)
start_redis() {
	port=$(free_port)
	redis-server --bind 127.0.0.1 --port "$port" --dir "$tmp" --save "" \
		--appendonly no --daemonize no > "$tmp/redis.log" 2>&1 &
	redis_pid=$!
	i=0
	until redis-cli -p "$port" ping > /dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 50 ]; then
			echo "FAIL $NAME: redis-server did not start"
			cat "$tmp/redis.log"
			return 1
		fi
		sleep 0.1
	done
}
