#!/bin/sh
# KTAP: the serving benchmark (gmem-bench-serve, issue 16) in a short
# configuration: 64 blocks of 64 KiB HBM, tenants of peak 16 / decode 8
# blocks arriving every 2 rounds, up to 10 at once.
#
# 1. It runs: alone, static, shared and isolation lines all present.
# 2. Content: every tenant's device checksums and CPU-side words matched
#    (mismatches=0 on every line).
# 3. Serving: the shared pool serves at least as many tenants at once as
#    static partitioning, >= 1.5x, every tenant within 1.2x of its time
#    alone (device clock), and the search stopped at a count that broke the
#    bound (so the count is measured, not the --max cap).
# 4. Isolation: with limits on both, the victim's migrated bytes with the
#    thrashing hog equal those alone within 5%.
# 5. Control: without limits, the hog's sweep does change them (by >= 5%):
#    the ordering (victim, then hog, then victim) makes both exact counts.
# Checks 3-5 compare exact counts and device-clock times, fixed by the
# parent's ordering of every step; nothing depends on host speed.

echo "KTAP version 1"
echo "1..5"
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); echo "not ok $n $1"; }
diag() { echo "# $*"; }
val() { # val LINE KEY
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

gmem-modules reload block_size=65536 -- hbm_mb=4 nr_devices=1 || exit 1
out=/tmp/serve.out
gmem-bench-serve --stagger 2 --decode-steps 18 --max 10 >$out 2>&1
rc=$?
sed 's/^/# /' $out
serve=$(grep '^SERVE ' $out)
iso1=$(grep '^ISO limits=1 ' $out)
iso0=$(grep '^ISO limits=0 ' $out)
isol=$(grep '^ISOLATION ' $out)

if [ $rc = 0 ] && [ -n "$serve" ] && [ -n "$iso1" ] && [ -n "$iso0" ] && [ -n "$isol" ] &&
   grep -q '^SERVE_RUN mode=alone ' $out && grep -q '^SERVE_RUN mode=static ' $out; then
	ok runs
else
	diag "exit status $rc, or a result line is missing"
	nok runs
fi

bad=$(grep -E '^(SERVE|SERVE_RUN|SERVE_TENANT|ISOLATION) ' $out | grep -vc ' mismatches=0')
if [ -n "$serve" ] && [ "$bad" = 0 ]; then
	ok content_checked
else
	diag "$bad lines report mismatches"
	nok content_checked
fi

st=$(val "$serve" static_tenants); sh=$(val "$serve" shared_tenants)
worst=$(val "$serve" worst_slowdown); over=$(val "$serve" first_over)
if [ -n "$st" ] && [ "$st" -gt 0 ] && [ "$sh" -ge "$st" ] && [ $((2 * sh)) -ge $((3 * st)) ] &&
   awk -v w="$worst" 'BEGIN { exit !(w > 0 && w <= 1.2) }' && [ "$over" -gt "$sh" ]; then
	ok shared_serves_more
else
	diag "static $st shared $sh worst slowdown $worst first over the bound at $over"
	nok shared_serves_more
fi

# pct_check NAME LINE CONDITION-ON-p WHAT-FAILED
pct_check() {
	p=$(val "$2" change_pct)
	if [ -n "$p" ] && awk -v p="$p" "BEGIN { exit !($3) }"; then
		ok "$1"
	else
		diag "$4 ($p%)"
		nok "$1"
	fi
}
pct_check isolation_with_limits "$iso1" 'p < 5 && p > -5' \
	"with limits the hog changed the victim's migrated bytes"
pct_check control_without_limits_interferes "$iso0" 'p >= 5' \
	"without limits the hog changed the victim's bytes too little: the isolation check proves nothing"
