#!/bin/sh
# gmem-samples-demo: the decode sample (examples/llm_decode.c) at 2x HBM,
# dense then MoE, under the built-in policy, uvm_like and llm_layer; run in
# the guest by `make demo` after the training sweep.
#
# Per mode the built-in run records the device access trace (gmemctl trace
# record) for Belady's MIN (gmem-min): every policy sees the same accesses,
# since the model and its expert choices are deterministic. The table shows
# tokens decoded and checked against the CPU reference, migrated bytes, the
# device time per token from the sim's device clock, and migrated bytes over
# MIN's (demand misses plus write-backs, as gmem-bench counts them).
BLOCK_SIZE=${DEMO_BLOCK_SIZE:-262144}
HBM_MB=${DEMO_HBM_MB:-16}
TOKENS=${DEMO_TOKENS:-6}
log=/tmp/samples-demo.log
: >"$log"
status=0

step() { echo; echo "==> $*"; }

# record_min MODE ARGS...: the built-in run under `gmemctl trace record`.
record_min() {
	mode=$1; shift
	gt=/tmp/decode-$mode.gt
	rm -f "$gt" /tmp/trace.err
	gmemctl trace record "$gt" 2>/tmp/trace.err &
	tpid=$!
	i=0
	until grep -q recording /tmp/trace.err 2>/dev/null || [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	decode "$@"
	kill -INT $tpid
	wait $tpid
	gmem-min "$gt" | sed "s/^MIN /MIN mode=$mode /" | tee -a "$log"
}

decode() {
	if ! gmem-llm-decode --tokens "$TOKENS" "$@" >/tmp/decode.out 2>&1; then
		echo "demo: gmem-llm-decode $* failed"
		status=1
	fi
	grep -v '^tenant' /tmp/decode.out | grep -v '^SAMPLE '
	grep '^SAMPLE ' /tmp/decode.out >>"$log"
}

gmem-modules reload "block_size=$BLOCK_SIZE" -- "hbm_mb=$HBM_MB" nr_devices=1 || exit 1
for mode in dense moe; do
	args=""
	[ $mode = moe ] && args="--moe 8,2"
	step "decode ($mode), built-in policy, recording the access trace for MIN"
	record_min $mode --policy builtin $args
	for p in uvm_like llm_layer; do
		step "decode ($mode) under $p"
		decode --policy $p $args
	done
done

step "side by side (greedy decode at 2x HBM; device time from the device clock)"
awk '
function val(k,   i, kv) {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] }
	return ""
}
/^MIN / { min[val("mode")] = val("min_bytes") }
/^SAMPLE / {
	n++
	mode[n] = val("mode"); pol[n] = val("policy"); tok[n] = val("tokens_ok") "/" val("tokens")
	chk[n] = val("check"); mig[n] = val("migrated_bytes"); dt[n] = val("dev_ns_per_token") / 1e6
	clk = val("dma_channels") " DMA channel(s) at " val("link_mbps") " MB/s, fault " \
	      val("fault_ns") " ns, compute " val("compute_gmacs") " int8 MAC/ns"
}
END {
	printf "%-6s %-10s %7s %6s %13s %16s %9s\n", "mode", "policy", "tokens", "check",
	       "migrated MiB", "dev ms / token", "x MIN"
	for (i = 1; i <= n; i++) {
		m = min[mode[i]]
		ratio = (m > 0) ? sprintf("%.2f", mig[i] / m) : "-"
		printf("%-6s %-10s %7s %6s %13.1f %16.3f %9s\n", mode[i], pol[i], tok[i], chk[i],
		       mig[i] / 1048576, dt[i], ratio)
	}
	for (k in min)
		printf("%-6s %-10s %7s %6s %13.1f %16s %9s\n", k, "MIN", "-", "-", min[k] / 1048576, "-", "1.00")
	printf "device clock: %s\n", clk
}' "$log"
exit $status
