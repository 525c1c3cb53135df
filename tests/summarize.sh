#!/usr/bin/env bash
# Totals result files written by tests/lib.sh ("PASS name" / "FAIL name: msg").
# usage: tests/summarize.sh FILE...
# Prints every failure, then exactly one final line "N passed, N failed".
# Exits non-zero if anything failed, if no test ran at all, or if a file is
# missing (a test script that never started must not look like a pass).
set -euo pipefail

(($# > 0)) || { echo "usage: $0 RESULTS_FILE..." >&2; exit 2; }

passed=0 failed=0 missing=0
for f in "$@"; do
	if [[ ! -r $f ]]; then
		echo "summarize: results file $f missing" >&2
		missing=$((missing + 1))
		continue
	fi
	while IFS= read -r line || [[ -n $line ]]; do
		case $line in
		"PASS "*) passed=$((passed + 1)) ;;
		"FAIL "*)
			failed=$((failed + 1))
			echo "$line"
			;;
		"") ;;
		*) echo "summarize: ignoring malformed line in $f: $line" >&2 ;;
		esac
	done <"$f"
done

if ((passed + failed == 0)); then
	echo "summarize: no test ran" >&2
fi
echo "$passed passed, $failed failed"
((failed == 0 && passed > 0 && missing == 0))
