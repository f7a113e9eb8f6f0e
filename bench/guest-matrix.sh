#!/bin/sh
# gmem-bench-matrix: the benchmark matrix, run inside the guest by `make bench`
# (bench/run-bench.sh). Prints META, BENCH and BW lines for gmem-report.
#
#   policies x workloads x oversubscription, every run with label=matrix,
#   each recording its access trace and computing Belady's MIN on it (the
#   stream is the same under every policy for one tenant, not for several);
#   then the hook overhead pairs (label=hook) and the migration bandwidth run.
#
# Environment overrides (for a quicker look): BENCH_POLICIES, BENCH_WORKLOADS,
# BENCH_OVERSUB, BENCH_HOOK_RUNS, BENCH_BLOCK_SIZE, BENCH_HBM_MB.
# A failed run prints "BENCHFAIL ..." and the matrix goes on; the exit status
# is then 1.

POLICIES=${BENCH_POLICIES:-"builtin uvm_like lru_cold stride_prefetch llm_layer s3fifo"}
# name[:stride][:tN][:sX] ; stride only for "stride", tN = N tenants,
# sX = router skew X (moe-decode: 0 uniform .. 2 strongly skewed)
WORKLOADS=${BENCH_WORKLOADS:-"seq stride:1 stride:2 stride:7 stride:-1 random zipf llm-train llm-decode llm-decode:t2 moe-decode:s0 moe-decode:s1 moe-decode:s2"}
OVERSUB=${BENCH_OVERSUB:-"0.5 1 1.5 2 3 4"}
HOOK_RUNS=${BENCH_HOOK_RUNS:-3}
# builtin_twin (tests/policies) makes the built-in policy's decisions in
# BPF, so the runs differ only in where the decisions are made.
HOOK_POLICY=${BENCH_HOOK_POLICY:-builtin_twin}
HOOK_ARGS="-w random -o 2 --passes 8"
BLOCK_SIZE=${BENCH_BLOCK_SIZE:-262144}
HBM_MB=${BENCH_HBM_MB:-16}
# Every fault delivered alone (the device's default is batches of 32 records
# in flight): each run is compared with Belady's MIN on its own trace, and
# MIN has no window of accesses in flight that must fit in HBM at once.
# Batched runs: make bench-clock.
SIM_PARAMS="hbm_mb=$HBM_MB nr_devices=1 fault_batch=1"

failed=0

have_policy() {
	[ "$1" = builtin ] || [ -e "/gmem/bpf/$1.bpf.o" ]
}

# run LABEL ARGS...: one gmem-bench run; a failure is reported, not fatal.
run() {
	label=$1; shift
	if ! out=$(gmem-bench -q --label "$label" "$@" 2>&1); then
		echo "BENCHFAIL label=$label args=$(echo "$*" | tr ' ' ',')"
		echo "$out" | sed 's/^/# /'
		failed=1
		return
	fi
	echo "$out" | grep -E '^(BENCH|BW) '
}

gmem-modules reload "block_size=$BLOCK_SIZE" -- $SIM_PARAMS || {
	echo "BENCHFAIL label=setup: modules did not load with block_size=$BLOCK_SIZE $SIM_PARAMS"
	exit 1
}
echo "META guest_kernel=$(uname -r) guest_cpus=$(nproc) guest_mem_mb=$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)"
echo "META sim_params=block_size=$BLOCK_SIZE,$(echo $SIM_PARAMS | tr ' ' ',')"
echo "META hook_workload=$(echo "$HOOK_ARGS" | tr ' ' '_'),policy=$HOOK_POLICY"
for p in $POLICIES; do
	have_policy "$p" || echo "META missing_policy=$p"
done

start=$(date +%s)
for w in $WORKLOADS; do
	name=${w%%:*}
	args="-w $name"
	rest=${w#"$name"}
	for part in $(echo "$rest" | tr ':' ' '); do
		case $part in
		t[0-9]*) args="$args --tenants ${part#t}" ;;
		s[0-9]*) args="$args --skew ${part#s}" ;;
		*) args="$args --stride $part" ;;
		esac
	done
	for os in $OVERSUB; do
		for p in $POLICIES; do
			have_policy "$p" || continue
			run matrix $args -o "$os" -p "$p" --min
		done
	done
	echo "# $w done after $(( $(date +%s) - start )) s" >&2
done

if have_policy "$HOOK_POLICY"; then
	i=0
	while [ $i -lt "$HOOK_RUNS" ]; do
		run hook $HOOK_ARGS -p builtin
		run hook $HOOK_ARGS -p "$HOOK_POLICY"
		i=$((i + 1))
	done
fi
run bw -w bw -p builtin
echo "# matrix done after $(( $(date +%s) - start )) s" >&2
exit $failed
