#!/bin/sh
# KTAP: what-if replay fidelity (issue 15).
#
# 1-2. A live run on a device limited to S (GMEM_IOC_DEV_LIMIT) and the
#      replay of its trace at --hbm S on the whole device give the same
#      device faults, blocks in, evictions and prefetches: for the built-in
#      policy (with its read-ahead) and for s3fifo, which sizes its queues by
#      bpf_gmem_dev_capacity(). (With the old replay, which pinned a filler
#      instead of limiting the device, s3fifo's counts differ.)
# 3.   The trace carries the run's hints (llm_layer's layer tags): replaying
#      them gives llm_layer different counts than --no-hints, and the same as
#      the live run.
# 4.   --hbm beyond the device is a usage error; the replay puts the device's
#      limit back; a limit below the pinned blocks is refused.
# 5.   A replay issues its accesses one at a time (each fault alone, as
#      MIN assumes) whatever the device's default window; --fault-batch N
#      gives its jobs N in flight; 0 and 257 are usage errors.
# 64 KiB blocks, one device with 4 MiB of HBM, S = 2 MiB (32 blocks). Replay
# equals live one fault at a time: a replay's jobs do not have the live
# run's windows of records in flight (the barriers between kernels are not
# in the trace), so the live runs use gmem-bench --fault-batch 1.

echo "KTAP version 1"
echo "1..5"
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); echo "not ok $n $1"; }
diag() { echo "# $*"; }

gmem-modules reload block_size=65536 -- hbm_mb=4 nr_devices=1 || exit 1
S=2M
FIELDS="dev_faults h2d_blocks evictions prefetch_issued"

val() { # val BENCH-LINE KEY
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
jval() { # jval JSON KEY
	echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}
# devstat KEY: device 0's counter or field (the batch counters are per device only).
devstat() {
	gmemctl --json devices | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1
}
hbm() {
	devstat hbm_bytes
}

# live WORKLOAD-ARGS POLICY FILE: a run on the device limited to S, traced.
live() {
	gmemctl limit 0 $S >/dev/null || { diag "gmemctl limit 0 $S failed"; return 1; }
	gmem-bench -q $1 -p "$2" --fault-batch 1 --trace "$3" --label live 2>&1 | grep '^BENCH '
	gmemctl limit 0 0 >/dev/null
}

# same LIVE-BENCH-LINE REPLAY-JSON WHAT: the compared counters are equal.
same() {
	bad=0
	for f in $FIELDS; do
		a=$(val "$1" "$f"); b=$(jval "$2" "$f")
		diag "$3 $f: live $a replay $b"
		[ -n "$a" ] && [ "$a" = "$b" ] || bad=1
	done
	[ "$(val "$1" evictions)" -gt 0 ] 2>/dev/null || { diag "$3: nothing evicted"; bad=1; }
	return $bad
}

WL="-w zipf -o 2 --passes 8 --seed 11"
l=$(live "$WL" builtin /tmp/rb.gt)
r=$(gmemctl --json trace replay /tmp/rb.gt --hbm $S 2>&1)
same "$l" "$r" builtin && ok replay_equals_live_builtin || nok replay_equals_live_builtin

l=$(live "$WL" s3fifo /tmp/rs.gt)
r=$(gmemctl --json trace replay /tmp/rs.gt --hbm $S --policy s3fifo 2>&1)
same "$l" "$r" s3fifo && ok replay_equals_live_s3fifo || nok replay_equals_live_s3fifo

LWL="-w llm-train -o 2 --iters 2"
l=$(live "$LWL" llm_layer /tmp/rl.gt)
r=$(gmemctl --json trace replay /tmp/rl.gt --hbm $S --policy llm_layer 2>&1)
nh=$(gmemctl --json trace replay /tmp/rl.gt --hbm $S --policy llm_layer --no-hints 2>&1)
bad=0
diag "llm_layer hints replayed: $(jval "$r" hints) (refused $(jval "$r" hints_failed))"
[ "$(jval "$r" hints)" -gt 0 ] 2>/dev/null || { diag "no hints in the trace"; bad=1; }
same "$l" "$r" llm_layer || bad=1
a=$(jval "$r" h2d_blocks); b=$(jval "$nh" h2d_blocks)
diag "llm_layer blocks in: with hints $a, --no-hints $b"
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || { diag "hints changed nothing"; bad=1; }
[ "$(jval "$nh" hints)" = 0 ] || { diag "--no-hints replayed hints"; bad=1; }
[ $bad = 0 ] && ok replayed_hints_change_llm_layer || nok replayed_hints_change_llm_layer

bad=0
full=$(hbm)
gmemctl trace replay /tmp/rb.gt --hbm 8M >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || { diag "--hbm beyond the device exited $rc, expected 2"; bad=1; }
gmemctl trace replay /tmp/rb.gt --hbm 1M >/dev/null 2>&1 || { diag "replay --hbm 1M failed"; bad=1; }
[ "$(hbm)" = "$full" ] || { diag "the replay left the device at $(hbm), not $full"; bad=1; }
gmemctl limit 0 3M >/dev/null && gmemctl trace replay /tmp/rb.gt --hbm 1M >/dev/null 2>&1 &&
	[ "$(hbm)" = $((3 * 1048576)) ] || { diag "a limit set before the replay was not restored"; bad=1; }
gmemctl limit 0 0 >/dev/null
gmemctl limit 0 100 >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || { diag "a limit that is no block multiple exited $rc"; bad=1; }
[ "$(cat /sys/kernel/debug/gmem/live)" = "$(printf 'objects 0\nhost_pages 0\ndev_blocks 0\ntenants 0')" ] ||
	{ diag "replay leaked: $(cat /sys/kernel/debug/gmem/live)"; bad=1; }
[ $bad = 0 ] && ok limit_restored_and_checked || nok limit_restored_and_checked

# batches ARGS...: "faults batches largest" of one replay with ARGS.
batches() {
	f0=$(devstat dev_faults) b0=$(devstat fault_batches)
	gmemctl trace replay /tmp/rb.gt "$@" >/dev/null 2>&1 || { echo "failed"; return; }
	echo "$(($(devstat dev_faults) - f0)) $(($(devstat fault_batches) - b0)) $(devstat batch_max)"
}
bad=0
set -- $(batches)
one_f=$1 one_b=$2
set -- $(batches --fault-batch 32)
win_f=$1 win_b=$2 win_max=$3
diag "replay: $one_f faults in $one_b batches; --fault-batch 32: $win_f in $win_b, largest $win_max"
[ "$(cat /sys/module/gmem_sim/parameters/fault_batch)" -gt 1 ] ||
	{ diag "the device's default window is 1: the check proves nothing"; bad=1; }
[ "$one_f" -gt 0 ] 2>/dev/null && [ "$one_b" = "$one_f" ] || { diag "a default replay batched its faults"; bad=1; }
[ "$win_b" -lt "$win_f" ] 2>/dev/null && [ "$win_max" -gt 1 ] || { diag "--fault-batch 32 batched nothing"; bad=1; }
for w in 0 257; do
	gmemctl trace replay /tmp/rb.gt --fault-batch $w >/dev/null 2>&1; rc=$?
	[ $rc = 2 ] || { diag "--fault-batch $w exited $rc, expected 2"; bad=1; }
done
[ $bad = 0 ] && ok replay_one_fault_at_a_time_by_default || nok replay_one_fault_at_a_time_by_default
