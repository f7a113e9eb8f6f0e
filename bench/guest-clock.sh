#!/bin/sh
# gmem-bench-clock (issues 14 and 17): device time on the simulated device
# clock (kernel/drivers/gmem_sim/sim_clock.c: virtual ns from fixed
# parameters and the order of events, not the VM's speed), llm_layer
# against uvm_like on the LLM workloads at 2x HBM, and llm_layer's
# streaming window (stream_ahead) swept, on the device as loaded (its
# default gmem_sim.fault_batch: the records a TRACE job has in flight,
# whose faults reach the core as one batch; 32 unless set otherwise); then
# both again at each fault_batch in BENCH_CLOCK_FAULT_BATCH (default 1:
# every fault alone). Each run's
# BENCH line, then one CLOCK line per workload and configuration:
#   CLOCK workload= policy= fault_batch= dev_clock_ms= vs_uvm_like= faults=
#         faults_per_batch= migrated_mib= x_min= copy_hidden= evict_wb_mib=
#         evict_clean_mib=
# (policy llm_layer_streamN: llm_layer with stream_ahead=N)
# vs_uvm_like is uvm_like's device time (same fault_batch) over this run's;
# x_min is migrated bytes over Belady's MIN on this run's own trace;
# copy_hidden the fraction of DMA-channel time the device did not wait for
# (1 - dev_stall / dev_copy); evict_wb_mib / evict_clean_mib the evicted
# bytes written back (dirty) and dropped without a copy (clean).
set -e
BLOCK_SIZE=${BENCH_BLOCK_SIZE:-262144}
SIM_PARAMS="hbm_mb=${BENCH_HBM_MB:-16} nr_devices=1"
WORKLOADS=${BENCH_CLOCK_WORKLOADS:-"llm-train llm-decode llm-decode:t2"}
STREAM=${BENCH_CLOCK_STREAM:-"0 4 8"}
OVERSUB=${BENCH_CLOCK_OVERSUB:-2}
BATCHES=${BENCH_CLOCK_FAULT_BATCH:-1}	# runs at other fault_batch values after those
FAULT_BATCH=/sys/module/gmem_sim/parameters/fault_batch
out=/tmp/clock.$$

gmem-modules reload "block_size=$BLOCK_SIZE" -- $SIM_PARAMS
echo "META block_size=$BLOCK_SIZE $SIM_PARAMS oversub=$OVERSUB clock=gmem_sim_device_clock"
: >$out

# run CONFIG WORKLOAD: one gmem-bench run under the policy in charge (or -p).
run() {
	cfg=$1 w=$2
	shift 2
	name=${w%%:*}
	args="-w $name -o $OVERSUB"
	case $w in *:t2) args="$args --tenants 2" ;; esac
	line=$(gmem-bench -q --min --label "$cfg" $args "$@" | grep '^BENCH ')
	echo "$line"
	echo "$w $cfg $(cat $FAULT_BATCH) $line" >>$out
}

# sweep STREAMS: uvm_like, then llm_layer at each stream_ahead in STREAMS.
sweep() {
	for w in $WORKLOADS; do
		run uvm_like "$w" -p uvm_like
	done
	for sa in $1; do
		gmemctl load llm_layer --pin --set "stream_ahead=$sa" >/dev/null
		for w in $WORKLOADS; do
			run "llm_layer_stream$sa" "$w"
		done
		gmemctl unload >/dev/null
	done
}

default_batch=$(cat $FAULT_BATCH)
sweep "$STREAM"
for fb in $BATCHES; do
	echo "$fb" >$FAULT_BATCH
	sweep 4
done
echo "$default_batch" >$FAULT_BATCH
awk '
	{
		delete v
		for (i = 4; i <= NF; i++) { n = index($i, "="); if (n) v[substr($i, 1, n - 1)] = substr($i, n + 1) }
		clk = v["dev_clock_us"] / 1000
		if ($2 == "uvm_like") base[$1, $3] = clk
		moved = v["h2d_bytes"] + v["d2h_bytes"]
		printf "CLOCK workload=%s policy=%s fault_batch=%d dev_clock_ms=%.3f vs_uvm_like=%.3f faults=%d",
		       $1, $2, $3, clk, base[$1, $3] / clk, v["dev_faults"]
		printf " faults_per_batch=%.2f migrated_mib=%.1f x_min=%.3f",
		       (v["fault_batches"] ? v["batch_faults"] / v["fault_batches"] : 0), moved / 1048576,
		       (v["min_bytes"] ? moved / v["min_bytes"] : 0)
		printf " copy_hidden=%.3f evict_wb_mib=%.1f evict_clean_mib=%.1f\n",
		       (v["dev_copy_us"] > 0 ? 1 - v["dev_stall_us"] / v["dev_copy_us"] : 0),
		       v["evict_wb_bytes"] / 1048576, v["evict_clean_bytes"] / 1048576
	}' $out
rm -f $out
