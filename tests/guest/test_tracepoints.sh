#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest tests of gmem's tracepoints (kernel/gm_tracepoints.h) through
# tracefs, the interface perf, trace-cmd and bpftrace sit on: the nine events
# exist, and with them enabled a device job's fault, migrate, evict,
# prefetch and copy events match, one for one, the counters gmem-bench
# reports for the same run; a policy's rejected decisions and its ejection appear with
# their reason. KTAP.
T=/sys/kernel/tracing
E=$T/events/gmem
n=0 failed=0
echo "KTAP version 1"

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
# check NAME CONDITION-STATUS DIAG: ok if the status is 0, else not ok + diag.
check() {
	if [ "$2" = 0 ]; then ok "$1"; else echo "# $1: $3"; not_ok "$1"; fi
}

# Events of one kind in the saved trace.
count() { grep -c ": $1: " /tmp/trace.txt; }
# A counter from gmem-bench's "BENCH ... key=value ..." line.
bench_val() { echo "$bench" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

start_tracing() {
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 1 >$E/enable
	echo 1 >$T/tracing_on
}
stop_tracing() {
	echo 0 >$T/tracing_on
	echo 0 >$E/enable
	cat $T/trace >/tmp/trace.txt
}

# ---------------------------------------------------------------- the events
missing=""
for ev in gmem_fault gmem_fault_batch gmem_migrate gmem_evict gmem_prefetch gmem_policy_reject \
	gmem_policy_eject gmem_copy_queued gmem_copy_done; do
	[ -e $E/$ev/enable ] && [ -e $E/$ev/format ] || missing="$missing $ev"
done
check "nine_events_in_tracefs" "$([ -z "$missing" ]; echo $?)" "missing:$missing"
grep -q "field:u32 obj;" $E/gmem_fault/format
check "fault_format_has_plain_fields" $? "$(cat $E/gmem_fault/format)"

# ---------------------------------------------------------------- a device job
# Sequential, twice the HBM, built-in policy: it faults, migrates both
# ways, evicts, and the built-in sequential prefetcher prefetches.
echo 16384 >$T/buffer_size_kb	# per CPU; no event may be lost
start_tracing
bench=$(gmem-bench -q -w seq -o 2 --passes 2 -p builtin 2>&1 | grep '^BENCH ')
stop_tracing
lost=$(grep -c 'LOST' /tmp/trace.txt)
check "trace_lost_nothing" "$([ "$lost" = 0 ] && [ -n "$bench" ]; echo $?)" "lost=$lost bench=$bench"

f=$(count gmem_fault) want=$(bench_val dev_faults)
check "fault_events_match_dev_faults" "$([ "$f" = "$want" ] && [ "$f" -gt 0 ]; echo $?)" \
	"events $f, counter $want"
f=$(count gmem_fault_batch) want=$(bench_val fault_batches)
check "batch_events_match_fault_batches" "$([ "$f" = "$want" ] && [ "$f" -gt 0 ]; echo $?)" \
	"events $f, counter $want"
h2d=$(grep ': gmem_migrate: .* h2d ' /tmp/trace.txt | wc -l) want=$(bench_val h2d_blocks)
check "h2d_events_match_h2d_blocks" "$([ "$h2d" = "$want" ] && [ "$h2d" -gt 0 ]; echo $?)" \
	"events $h2d, counter $want"
d2h=$(grep ': gmem_migrate: .* d2h bytes=[1-9]' /tmp/trace.txt | wc -l) want=$(bench_val d2h_blocks)
check "d2h_copy_events_match_d2h_blocks" "$([ "$d2h" = "$want" ]; echo $?)" \
	"events $d2h, counter $want"
# Every host->device move copies one block: bytes is the block size.
bs=$(bench_val block_size)
bad=$(grep ': gmem_migrate: .* h2d ' /tmp/trace.txt | grep -v -c " bytes=$bs")
check "h2d_bytes_is_block_size" "$([ "$bad" = 0 ]; echo $?)" "$bad events with bytes != $bs"
ev=$(grep ': gmem_evict: ' /tmp/trace.txt | sed 's/.* evicted=\([0-9]*\).*/\1/' |
	awk '{ s += $1 } END { print s + 0 }')
evm=$(grep -c ': gmem_migrate: .* d2h .* evict$' /tmp/trace.txt)
want=$(bench_val evictions)
check "evict_rounds_sum_to_evictions" "$([ "$ev" = "$want" ] && [ "$evm" = "$want" ] && [ "$ev" -gt 0 ]; echo $?)" \
	"rounds evicted $ev, evicting migrations $evm, counter $want"
p=$(count gmem_prefetch) want=$(bench_val prefetch_issued)
check "prefetch_events_match_prefetch_issued" "$([ "$p" = "$want" ] && [ "$p" -gt 0 ]; echo $?)" \
	"events $p, counter $want"
# Copy engines (2 MiB blocks): each prefetch's copy in and each eviction's
# write-back is queued, and every queued copy lands; demand copies are made
# at once and appear in neither event.
qh=$(grep -c ': gmem_copy_queued: .* h2d$' /tmp/trace.txt)
qd=$(grep -c ': gmem_copy_queued: .* d2h$' /tmp/trace.txt)
dn=$(count gmem_copy_done)
wb=$(grep -c ': gmem_migrate: .* d2h bytes=[1-9][0-9]* evict$' /tmp/trace.txt)
check "copy_events_queued_for_prefetch_and_writeback_and_all_land" \
	"$([ "$qh" = "$(bench_val prefetch_issued)" ] && [ "$qd" = "$wb" ] && [ "$dn" = $((qh + qd)) ] && [ "$qh" -gt 0 ]; echo $?)" \
	"queued h2d $qh (prefetches $(bench_val prefetch_issued)), d2h $qd (write-backs $wb), done $dn"
# Fields are sane: one device (0), object ids > 0, indexes below the
# working set's block count.
blocks=$(bench_val blocks)
bad=$(grep -E ': gmem_(fault|prefetch|migrate): ' /tmp/trace.txt |
	sed 's/.*: gmem_[a-z]*: dev=\([0-9]*\) obj=\([0-9]*\) idx=\([0-9]*\).*/\1 \2 \3/' |
	awk -v b="$blocks" '$1 != 0 || $2 == 0 || $3 >= b { n++ } END { print n + 0 }')
check "fields_in_range" "$([ "$bad" = 0 ]; echo $?)" "$bad events with dev != 0, obj 0 or idx >= $blocks"

# ---------------------------------------------------------------- policy events
# bad_victims nominates invalid victims on purpose: each refusal is an event
# with its reason, as many as the status's reject counters.
start_tracing
bench=$(gmem-bench -q -w seq -o 2 -p bad_victims 2>&1 | grep '^BENCH ')
stop_tracing
r=$(count gmem_policy_reject) want=$(bench_val rejects)
check "reject_events_match_rejects" "$([ "$r" = "$want" ] && [ "$r" -gt 0 ]; echo $?)" \
	"events $r, counter $want"
grep ': gmem_policy_reject: ' /tmp/trace.txt | grep -q -v -E 'reason=(victim_not_resident|victim_pinned|victim_dup|victim_busy|bad_id)$'
check "reject_reasons_named" "$([ $? = 1 ]; echo $?)" \
	"$(grep ': gmem_policy_reject: ' /tmp/trace.txt | sort | uniq -c | head -5)"

# error_exit gives up with gmem_error(): one ejection, kind error, its message.
start_tracing
gmem-bench -q -w seq -o 2 -p error_exit >/dev/null 2>&1
stop_tracing
grep -q ': gmem_policy_eject: policy=error_exit kind=error msg="gave up at fault ' /tmp/trace.txt
check "eject_event_names_policy_kind_and_message" $? \
	"$(grep ': gmem_policy_eject: ' /tmp/trace.txt | head -3)"

echo 1408 >$T/buffer_size_kb
echo "1..$n"
[ $failed = 0 ]
