#!/bin/sh
# KTAP: gmem-bench is reproducible and its MIN is a true lower bound.
#
# 1. The same deterministic workload (llm-decode at 2x, built-in policy) run
#    twice gives identical counters and an identical data checksum; the run
#    must actually migrate and evict, so equality is not vacuous.
# 2. Every recorded device access is in the trace, and Belady's MIN is at
#    most the blocks the built-in policy moved in (no policy can fetch fewer
#    blocks than MIN, prefetching or not), and at least the distinct blocks.
# 3. Bad input is refused with a usage error and runs nothing.
# 4. The trace file round trip: gmem-bench --trace, gmem-min on the file gives
#    the same MIN as gmem-bench computed in memory; `gmemctl trace record`
#    catches a run's accesses; `gmemctl trace replay` replays them all.
# 5. MoE decode (seeded router) under llm_layer, run twice, gives identical
#    counters, the same MIN, and migrates (so equality is not vacuous).
# 6. Two tenants decoding in turns under llm_layer: ranking the waiting
#    tenant's blocks a cycle farther (idle_after, default 64) moves fewer
#    blocks than without it (idle_after=0), with the same data.
# 7. llm_layer on a device that batches its faults (gmem_sim.fault_batch=32)
#    takes at most twice the device faults and 1.2x the blocks in it takes
#    one fault at a time, with the same data: batches report a window's
#    faults before its hits and bring blocks the device has yet to use
#    (GMEM_BF_BATCH); before llm_layer handled both it took 10-35x the
#    faults.
# 8. llm_layer's eviction order on a device with two faults in flight, every
#    prefetch off (demand paging alone, llm-decode at 3x): within 5% of the
#    blocks one fault at a time. Blocks a batched fault brought in stay
#    "needed now" until the next batch begins; when every fault came in a
#    batch, llm_layer saw no batch begin and kept the whole visit's blocks
#    (14% more blocks with 256 KiB blocks and 16 MiB of HBM).
# Runs with the suite's default module parameters.

echo "KTAP version 1"
echo "1..10"
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); echo "not ok $n $1"; }
diag() { echo "# $*"; }

# Fields that must not differ between two runs of the same workload.
FIELDS="blocks accesses touched cpu_faults dev_faults h2d_blocks d2h_blocks h2d_bytes d2h_bytes evictions prefetch_issued prefetch_used prefetch_wasted remote_maps rejects fallbacks checksum model_us"

val() { # val LINE KEY
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

ARGS="-q -w llm-decode -o 2 --iters 6 -p builtin"
a=$(gmem-bench $ARGS --label a 2>&1 | grep '^BENCH ')
b=$(gmem-bench $ARGS --label b 2>&1 | grep '^BENCH ')
if [ -z "$a" ] || [ -z "$b" ]; then
	diag "gmem-bench did not produce a BENCH line"
	nok reproducible_counts
else
	bad=0
	for f in $FIELDS; do
		va=$(val "$a" "$f"); vb=$(val "$b" "$f")
		if [ -z "$va" ] || [ "$va" != "$vb" ]; then
			diag "$f differs: '$va' vs '$vb'"
			bad=1
		fi
	done
	if [ "$(val "$a" evictions)" -le 0 ] 2>/dev/null || [ "$(val "$a" h2d_blocks)" -le 0 ]; then
		diag "the run did not evict/migrate at 2x: the comparison would prove nothing"
		bad=1
	fi
	[ $bad = 0 ] && ok reproducible_counts || nok reproducible_counts
fi

m=$(gmem-bench $ARGS --min --label m 2>&1 | grep '^BENCH ')
acc=$(val "$m" accesses); rec=$(val "$m" trace_records); drop=$(val "$m" trace_dropped)
mm=$(val "$m" min_misses); h2d=$(val "$m" h2d_blocks); blocks=$(val "$m" blocks)
diag "accesses=$acc records=$rec dropped=$drop min_misses=$mm h2d_blocks=$h2d blocks=$blocks"
if [ -n "$mm" ] && [ "$drop" = 0 ] && [ "$rec" -ge "$acc" ] && [ "$mm" -le "$h2d" ] &&
   [ "$mm" -ge "$blocks" ] && [ "$(val "$m" checksum)" = "$(val "$a" checksum)" ]; then
	ok min_is_a_lower_bound
else
	nok min_is_a_lower_bound
fi

# MIN is priced as the core prices a policy: write-backs only for dirty
# victims (bench/min.h). Decode reads its weights, so some victims are clean.
md=$(val "$m" min_dirty_evictions); me=$(val "$m" min_evictions)
diag "min_evictions=$me min_dirty_evictions=$md min_bytes=$(val "$m" min_bytes)"
if [ -n "$md" ] && [ "$md" -lt "$me" ] &&
   [ "$(val "$m" min_bytes)" = $(( (mm + md) * $(val "$m" block_size) )) ]; then
	ok min_prices_dirty_evictions_only
else
	nok min_prices_dirty_evictions_only
fi

bad=0
for args in "-w nope" "-w seq -o 0" "-w seq -o 0.1" "-w seq -o 9" "-w stride --stride 0" "-w seq --tenants 9" \
	    "-w seq --label has=eq" "-w seq --link-gbps 0"; do
	gmem-bench $args >/dev/null 2>&1
	rc=$?
	if [ $rc != 2 ]; then
		diag "'gmem-bench $args' exited $rc, expected 2 (usage)"
		bad=1
	fi
done
# A stride as long as the working set is a workload error (exit 1): nothing runs.
before=$(cat /sys/class/misc/gmem_sim0/jobs_done)
gmem-bench -w stride --stride 100000 -o 1 -p builtin >/dev/null 2>&1 && bad=1
[ "$(cat /sys/class/misc/gmem_sim0/jobs_done)" = "$before" ] || { diag "a job ran"; bad=1; }
[ $bad = 0 ] && ok bad_input_refused || nok bad_input_refused

bad=0
t=$(gmem-bench -q -w llm-train -o 2 -p builtin --min --trace /tmp/tb.gt --label t 2>&1 | grep '^BENCH ')
f=$(gmem-min /tmp/tb.gt 2>&1)
diag "file: $f"
[ -n "$t" ] && [ "$(val "$t" min_misses)" = "$(val "$f" min_misses)" ] &&
	[ "$(val "$t" trace_records)" = "$(val "$f" accesses)" ] || { diag "gmem-min disagrees"; bad=1; }
# Record until told to stop, and run the workload only once the recorder
# says it is recording (a fixed --seconds window missed the whole workload
# on a loaded host).
gmemctl trace record /tmp/rec.gt >/tmp/rec.out 2>&1 &
rec=$!
i=0
while ! grep -q recording /tmp/rec.out 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
gmem-bench -q -w seq -o 1 -p builtin --label r >/dev/null 2>&1 || bad=1
kill -INT $rec
wait $rec || { diag "trace record failed: $(cat /tmp/rec.out)"; bad=1; }
nrec=$(gmem-min /tmp/rec.gt 2>/dev/null | tr ' ' '\n' | sed -n 's/^accesses=//p')
[ -n "$nrec" ] && [ "$nrec" -ge 96 ] 2>/dev/null ||
	{ diag "recorded '$nrec' accesses, expected >= 96"; bad=1; }
r=$(gmemctl trace replay /tmp/tb.gt 2>&1)
diag "replay: $r"
echo "$r" | grep -q "^replayed $(val "$t" trace_records) accesses" || bad=1
gmemctl trace replay /nonexistent.gt >/dev/null 2>&1 && bad=1
[ $bad = 0 ] && ok trace_file_round_trip || nok trace_file_round_trip

# What-if replay: the same trace under a policy and a smaller HBM, beside MIN.
# MIN from the replay must equal gmem-min's at that capacity; nothing moves
# fewer blocks than MIN; the policy is attached for the replay only.
bad=0
r=$(gmemctl --json trace replay /tmp/tb.gt --policy lru_cold --hbm 16M 2>&1)
diag "replay --policy lru_cold --hbm 16M: $r"
in=$(echo "$r" | sed -n 's/.*"h2d_blocks":\([0-9]*\).*/\1/p')
min=$(echo "$r" | sed -n 's/.*"min_blocks_in":\([0-9]*\).*/\1/p')
cap=$(echo "$r" | sed -n 's/.*"hbm_blocks":\([0-9]*\).*/\1/p')
bs=$(gmem-min /tmp/tb.gt | tr ' ' '\n' | sed -n 's/^block_size=//p')
want=$(gmem-min /tmp/tb.gt --capacity "$cap" 2>/dev/null | tr ' ' '\n' | sed -n 's/^min_misses=//p')
[ -n "$in" ] && [ -n "$min" ] && [ "$cap" = $((16 * 1048576 / bs)) ] ||
	{ diag "replay printed no counters"; bad=1; }
[ "$min" = "$want" ] || { diag "replay MIN $min, gmem-min --capacity $cap says $want"; bad=1; }
dmin=$(echo "$r" | sed -n 's/.*"min_dirty_evictions":\([0-9]*\).*/\1/p')
dwant=$(gmem-min /tmp/tb.gt --capacity "$cap" 2>/dev/null | tr ' ' '\n' | sed -n 's/^min_dirty_evictions=//p')
[ -n "$dmin" ] && [ "$dmin" = "$dwant" ] ||
	{ diag "replay MIN write-backs '$dmin', gmem-min says '$dwant'"; bad=1; }
[ -n "$in" ] && [ "$in" -ge "$min" ] 2>/dev/null || { diag "$in blocks in < MIN $min"; bad=1; }
gmemctl status | grep -q '^policy: *builtin' || { diag "the replay's policy stayed attached"; bad=1; }
gmemctl trace replay /tmp/tb.gt --hbm 1 >/dev/null 2>&1; [ $? = 2 ] || { diag "--hbm 1 not refused"; bad=1; }
[ "$(cat /sys/kernel/debug/gmem/live)" = "$(printf 'objects 0\nhost_pages 0\ndev_blocks 0\ntenants 0')" ] ||
	{ diag "replay leaked: $(cat /sys/kernel/debug/gmem/live)"; bad=1; }
[ $bad = 0 ] && ok replay_what_if_beside_min || nok replay_what_if_beside_min

# 5. A BPF policy that learns from the stream on a randomly routed workload:
# the router is seeded, so two runs must agree to the block.
MARGS="-q -w moe-decode -o 3 --iters 8 --skew 1 -p llm_layer --min"
a=$(gmem-bench $MARGS --label a 2>&1 | grep '^BENCH ')
b=$(gmem-bench $MARGS --label b 2>&1 | grep '^BENCH ')
bad=0
[ -n "$a" ] && [ -n "$b" ] || { diag "moe-decode: no BENCH line"; bad=1; }
for f in $FIELDS min_misses min_evictions min_dirty_evictions; do
	va=$(val "$a" "$f"); vb=$(val "$b" "$f")
	[ -n "$va" ] && [ "$va" = "$vb" ] || { diag "moe-decode $f differs: '$va' vs '$vb'"; bad=1; }
done
[ "$(val "$a" evictions)" -gt 0 ] 2>/dev/null || { diag "moe-decode evicted nothing"; bad=1; }
diag "moe-decode 3x llm_layer: h2d=$(val "$a" h2d_blocks) d2h=$(val "$a" d2h_blocks) min=$(val "$a" min_misses)+$(val "$a" min_dirty_evictions) (evictions $(val "$a" min_evictions))"
[ $bad = 0 ] && ok moe_reproducible_counts || nok moe_reproducible_counts

# 6. Two tenants take turns on the device (separate processes and objects).
TARGS="-q -w llm-decode --tenants 2 -o 2 --iters 8"
moved() { echo $(($(val "$1" h2d_blocks) + $(val "$1" d2h_blocks))); }
bad=0
gmemctl load llm_layer --pin >/dev/null 2>&1 || { diag "load llm_layer"; bad=1; }
a=$(gmem-bench $TARGS --label idle 2>&1 | grep '^BENCH ')
gmemctl unload >/dev/null 2>&1
gmemctl load llm_layer --pin --set idle_after=0 >/dev/null 2>&1 || { diag "load idle_after=0"; bad=1; }
b=$(gmem-bench $TARGS --label noidle 2>&1 | grep '^BENCH ')
gmemctl unload >/dev/null 2>&1
[ -n "$a" ] && [ -n "$b" ] || { diag "two tenants: no BENCH line"; bad=1; }
if [ $bad = 0 ]; then
	diag "two tenants, llm_layer: $(moved "$a") blocks moved; idle_after=0: $(moved "$b")"
	[ "$(moved "$a")" -lt "$(moved "$b")" ] || { diag "idle ranking saved nothing"; bad=1; }
	[ "$(val "$a" checksum)" = "$(val "$b" checksum)" ] || { diag "data differs"; bad=1; }
	[ "$(val "$a" policy_after)" = llm_layer ] || { diag "policy not in charge: $(val "$a" policy_after)"; bad=1; }
fi
[ $bad = 0 ] && ok llm_layer_two_tenants_idle_rank || nok llm_layer_two_tenants_idle_rank

# 7. llm_layer, batched faults against one at a time.
FB=/sys/module/gmem_sim/parameters/fault_batch
fb0=$(cat $FB)
BARGS="-q -w llm-train -o 2 -p llm_layer"
bad=0
echo 1 >$FB
a=$(gmem-bench $BARGS --label fb1 2>&1 | grep '^BENCH ')
echo 32 >$FB
b=$(gmem-bench $BARGS --label fb32 2>&1 | grep '^BENCH ')
echo "$fb0" >$FB
[ -n "$a" ] && [ -n "$b" ] || { diag "batched: no BENCH line"; bad=1; }
if [ $bad = 0 ]; then
	fa=$(val "$a" dev_faults) fb=$(val "$b" dev_faults)
	ha=$(val "$a" h2d_blocks) hb=$(val "$b" h2d_blocks)
	diag "llm-train 2x llm_layer: fault_batch 1: $fa faults, $ha blocks in; 32: $fb faults ($(val "$b" fault_batches) batches), $hb blocks in"
	[ "$(val "$b" batch_max)" -gt 1 ] || { diag "no batch of several: the check proves nothing"; bad=1; }
	[ "$fb" -le $((2 * fa)) ] || { diag "batched faults $fb > 2 x $fa"; bad=1; }
	[ $((hb * 5)) -le $((ha * 6)) ] || { diag "batched blocks in $hb > 1.2 x $ha"; bad=1; }
	[ "$(val "$a" checksum)" = "$(val "$b" checksum)" ] || { diag "data differs"; bad=1; }
fi
[ $bad = 0 ] && ok llm_layer_batched_faults || nok llm_layer_batched_faults

# 8. llm_layer's pending blocks end when the next batch begins.
bad=0
gmemctl load llm_layer --pin --set prefetch_blocks=0 --set stream_ahead=0 \
	--set prefetch_evict=0 >/dev/null || { diag "llm_layer did not load"; bad=1; }
a=$(gmem-bench -q -w llm-decode -o 3 --fault-batch 1 --label pend1 2>&1 | grep '^BENCH ')
b=$(gmem-bench -q -w llm-decode -o 3 --fault-batch 2 --label pend2 2>&1 | grep '^BENCH ')
gmemctl unload >/dev/null
[ -n "$a" ] && [ -n "$b" ] || { diag "pending: no BENCH line"; bad=1; }
if [ $bad = 0 ]; then
	ha=$(val "$a" h2d_blocks) hb=$(val "$b" h2d_blocks)
	diag "llm-decode 3x, llm_layer without prefetch: one at a time $ha blocks in, two in flight $hb ($(val "$b" fault_batches) batches)"
	[ "$(val "$b" batch_max)" -gt 1 ] || { diag "no batch of two: the check proves nothing"; bad=1; }
	[ "$(val "$b" prefetch_issued)" = 0 ] || { diag "prefetched $(val "$b" prefetch_issued)"; bad=1; }
	[ $((hb * 20)) -le $((ha * 21)) ] || { diag "two in flight: $hb blocks in > 1.05 x $ha"; bad=1; }
	[ "$(val "$a" checksum)" = "$(val "$b" checksum)" ] || { diag "data differs"; bad=1; }
fi
[ $bad = 0 ] && ok llm_layer_batch_ends_pending || nok llm_layer_batch_ends_pending
