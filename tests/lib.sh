# shellcheck shell=bash
# shellcheck disable=SC2034 # T_OK is read by the calling test scripts
# Tiny test harness for jfs integration tests. Source it from a bash script:
#
#   . "$(dirname "$0")/lib.sh"
#   t_begin "create and stat"               # names the checks that follow
#   expect_ok  "touch file" -- touch /mnt/jfs/a
#   expect_err "stat missing" "No such file" -- stat /mnt/jfs/nope
#   expect_eq  "size" 0 "$(stat -c %s /mnt/jfs/a)"
#   if some_manual_check; then t_pass; else t_fail "why"; fi
#   t_summary                               # last line of the script
#
# Every expect_*, t_pass and t_fail is ONE result, named "TEST: DESCRIPTION"
# (TEST from the latest t_begin). Results are appended to $JFS_RESULTS as
# "PASS name" / "FAIL name: msg" lines, so several scripts can share one file;
# tests/summarize.sh FILE... totals them. Default JFS_RESULTS: /vmout/results
# inside the test VM (the host sees it as OUTDIR/results), else a temp file.
# Logs of daemons started by a test belong in /vmout/*.log: tests/vm/run.sh
# prints them when the run fails.
#
# The check functions always return 0, so `set -e` scripts keep going after a
# failed check; T_OK is 1/0 for the last check if a test needs to bail out:
#   expect_ok "mount" -- mount -t jfs ... ; ((T_OK)) || { t_summary; exit; }
# Each command gets stdin /dev/null and a time limit of $JFS_T_TIMEOUT seconds
# (default 300; not for shell functions/builtins, and a process stuck in the
# kernel cannot be killed anyway).

if [[ -z ${JFS_RESULTS:-} ]]; then
	if [[ -d /vmout && -w /vmout && ${JFS_VM:-} == 1 ]]; then
		JFS_RESULTS=/vmout/results
	else
		JFS_RESULTS=$(mktemp /tmp/jfs-results.XXXXXX)
	fi
fi
export JFS_RESULTS # child test scripts append to the same file
: "${JFS_T_TIMEOUT:=300}"

T_NAME=${T_NAME:-$(basename "${0:-test}")}
T_PASSED=0
T_FAILED=0
T_OK=1

# Results are line-based: keep names and messages on one line.
_t_oneline() { printf '%s' "$*" | tr '\n\t' '  '; }

# JFS_T_PREFIX (e.g. "s3/zstd ") tells apart runs of one suite in several setups.
_t_name() { # $1 = description (may be empty)
	if [[ -n ${1:-} ]]; then _t_oneline "${JFS_T_PREFIX:-}$T_NAME: $1"; else
		_t_oneline "${JFS_T_PREFIX:-}$T_NAME"; fi
}

_t_record_pass() { # $1 = full name
	T_PASSED=$((T_PASSED + 1))
	T_OK=1
	echo "PASS $1" >>"$JFS_RESULTS"
	echo "  PASS $1"
}

_t_record_fail() { # $1 = full name, $2 = message
	local msg
	msg=$(_t_oneline "$2")
	T_FAILED=$((T_FAILED + 1))
	T_OK=0
	echo "FAIL $1: $msg" >>"$JFS_RESULTS"
	echo "  FAIL $1: $msg"
}

# Runs "$@" with stdout in $1 and stderr in $2; returns its status.
_t_run() {
	local out=$1 err=$2
	shift 2
	case $(type -t "$1") in
	function | builtin) "$@" </dev/null >"$out" 2>"$err" ;; # timeout(1) cannot run these
	*) timeout -k 10 "$JFS_T_TIMEOUT" "$@" </dev/null >"$out" 2>"$err" ;;
	esac
}

# Shows what a failed command printed (bounded), for CI logs.
_t_show() { # $1 = stdout file, $2 = stderr file
	local f
	for f in "$1" "$2"; do
		[[ -s $f ]] || continue
		echo "    --- ${f##*/} (last 20 lines) ---"
		tail -n 20 "$f" | sed 's/^/    /'
	done
}

_t_status_msg() { # $1 = exit status
	if (($1 == 124)); then echo "timed out after ${JFS_T_TIMEOUT}s"; else echo "exit status $1"; fi
}

t_begin() { # NAME
	T_NAME=$(_t_oneline "$1")
	echo "--- $T_NAME"
}

t_pass() { _t_record_pass "$(_t_name "")"; }

t_fail() { # MSG
	_t_record_fail "$(_t_name "")" "${1:-failed}"
}

expect_ok() { # DESCRIPTION -- CMD...
	local desc=$1 name tmp rc=0
	shift
	[[ ${1:-} == -- ]] && shift
	name=$(_t_name "$desc")
	tmp=$(mktemp -d)
	_t_run "$tmp/stdout" "$tmp/stderr" "$@" || rc=$?
	if ((rc == 0)); then
		_t_record_pass "$name"
	else
		_t_record_fail "$name" "$(_t_status_msg $rc): $*"
		_t_show "$tmp/stdout" "$tmp/stderr"
	fi
	rm -rf "$tmp"
	return 0
}

expect_err() { # DESCRIPTION STDERR_SUBSTRING -- CMD...
	local desc=$1 want=$2 name tmp rc=0
	shift 2
	[[ ${1:-} == -- ]] && shift
	name=$(_t_name "$desc")
	tmp=$(mktemp -d)
	_t_run "$tmp/stdout" "$tmp/stderr" "$@" || rc=$?
	if ((rc == 0)); then
		_t_record_fail "$name" "succeeded, expected failure with '$want': $*"
		_t_show "$tmp/stdout" "$tmp/stderr"
	elif ((rc == 124)); then
		_t_record_fail "$name" "$(_t_status_msg $rc): $*"
	elif grep -qF -- "$want" "$tmp/stderr"; then
		_t_record_pass "$name"
	else
		_t_record_fail "$name" "failed ($rc) but stderr lacks '$want': $*"
		_t_show "$tmp/stdout" "$tmp/stderr"
	fi
	rm -rf "$tmp"
	return 0
}

expect_eq() { # DESCRIPTION EXPECTED ACTUAL
	local name
	name=$(_t_name "$1")
	if [[ $2 == "$3" ]]; then
		_t_record_pass "$name"
	else
		_t_record_fail "$name" "expected '$2', got '$3'"
	fi
	return 0
}

# Prints this script's own totals as the final line; non-zero if any failed.
t_summary() {
	echo "$T_PASSED passed, $T_FAILED failed"
	((T_FAILED == 0))
}
