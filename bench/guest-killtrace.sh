#!/bin/sh
# gmem-bench-killtrace (issue 13): how long a SIGKILLed process keeps
# migrating inside a 1 GiB WILLNEED hint. gmem-bench-iso (hinter only) marks
# the kill in the ftrace buffer; the gmem:gmem_migrate events of the hinter
# after the mark show when its hint stopped, apart from the exit's teardown.
t=/sys/kernel/tracing
mount -t tracefs nodev $t 2>/dev/null || true
echo 65536 >$t/buffer_size_kb
echo 1 >$t/events/gmem/gmem_migrate/enable || exit 1
echo 1 >$t/tracing_on
ISO_SPIN=0 ISO_SAMPLES=${ISO_SAMPLES:-60} gmem-bench-iso || exit 1
echo 0 >$t/tracing_on
grep -v '^#' $t/trace | awk '
	/ISO-KILL pid=/ { split($0, a, "pid="); pid = a[2] + 0; tk = ts($0); after = 1; n = 0; next }
	/ISO-EXITED/ { te = ts($0); after = 0; next }
	after && /gmem_migrate/ && $1 ~ ("-" pid "$") { n++; last = ts($0) }
	function ts(l,   x) { match(l, /[0-9]+\.[0-9]+:/); x = substr(l, RSTART, RLENGTH - 1); return x + 0 }
	END {
		if (!tk) { print "KILLTRACE no kill mark found"; exit 1 }
		printf "KILLTRACE migrations_after_kill=%d last_migration_after_kill_us=%.1f exit_after_kill_us=%.1f\n",
		       n, n ? (last - tk) * 1e6 : 0, (te - tk) * 1e6
	}'
