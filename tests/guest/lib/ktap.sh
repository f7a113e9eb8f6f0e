# SPDX-License-Identifier: GPL-2.0
# KTAP helpers shared by the in-guest shell tests (sourced, not run: it lives
# in /gmem/lib, outside /gmem/tests, because the suite runs everything there).
#
#   . /gmem/lib/ktap.sh        prints the KTAP header, sets n, failed, out, rc
#   run CMD...                 CMD's stdout+stderr in $out, its status in $rc
#   ok NAME / not_ok NAME / skip NAME WHY
#   check NAME CMD...          ok if CMD succeeds, else not_ok and the last run
#   expect NAME RC PATTERN     ok if the last run exited RC and printed PATTERN
#   ktap_done                  the plan line; the status is 0 iff nothing failed

n=0
failed=0
out=""
rc=0

echo "KTAP version 1"

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
}

skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

run() {
	out=$("$@" 2>&1)
	rc=$?
}

diag() {
	echo "# $1: exit $rc; output:"
	echo "$out" | sed 's/^/#   /'
}

check() {
	name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		diag "$name"
		not_ok "$name"
	fi
}

expect() {
	if [ "$rc" = "$2" ] && echo "$out" | grep -q -e "$3"; then
		ok "$1"
	else
		diag "$1 (want exit $2 and /$3/)"
		not_ok "$1"
	fi
}

ktap_done() {
	echo "1..$n"
	[ "$failed" = 0 ]
}
