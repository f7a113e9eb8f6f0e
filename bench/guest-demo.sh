#!/bin/sh
# gmem-demo: the main job in one screen, run in the guest by `make demo`.
#
# LLM training sweep (forward 0..L-1, backward L-1..0, optimizer step) at 2x
# HBM oversubscription: first with the built-in policy (recording the access
# trace for Belady's MIN) and uvm_like, then `gmemctl load llm_layer --pin`
# and the same run again under it. Prints a side-by-side table and
# `gmemctl status`, then unloads the policy.
BLOCK_SIZE=${DEMO_BLOCK_SIZE:-262144}
HBM_MB=${DEMO_HBM_MB:-16}
ARGS="-w llm-train -o 2 --label demo"
log=/tmp/demo.log
: >"$log"
status=0

step() { echo; echo "==> $*"; }

bench() {
	if ! gmem-bench $ARGS "$@" | tee -a "$log" | grep -v '^BENCH '; then
		echo "demo: gmem-bench $* failed"
		status=1
	fi
}

gmem-modules reload "block_size=$BLOCK_SIZE" -- "hbm_mb=$HBM_MB" nr_devices=1 || exit 1

step "built-in policy (no BPF), recording the access trace for MIN"
bench -p builtin --min
if [ -e /gmem/bpf/uvm_like.bpf.o ]; then
	step "uvm_like: a model of NVIDIA UVM's defaults"
	bench -p uvm_like
fi
step "gmemctl load llm_layer --pin"
if gmemctl load llm_layer --pin; then
	step "the same training sweep under llm_layer"
	bench
else
	echo "demo: llm_layer did not load"
	status=1
fi

step "side by side (llm-train, 2x HBM; modelled time from the stated cost model, beside the device clock)"
awk '
function val(k,   i, kv) {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] }
	return ""
}
/^BENCH / {
	n++
	pol[n] = val("policy"); mig[n] = val("h2d_bytes") + val("d2h_bytes")
	flt[n] = val("dev_faults"); t[n] = val("model_us") / 1000; wall[n] = val("wall_ms")
	clk[n] = val("dev_clock_us") / 1000
	if (val("min_bytes") != "") min = val("min_bytes")
	cm = "link " val("link_gbps") " GB/s, fault " val("fault_us") " us, compute " val("compute_gbps") " GB/s"
}
END {
	printf "%-16s %14s %10s %13s %13s %9s %12s\n", "policy", "migrated MiB", "dev faults",
	       "modelled ms", "dev clock ms", "x MIN", "VM wall ms"
	for (i = 1; i <= n; i++) {
		# Parenthesised: a bare ">" in a printf argument list is a redirection.
		ratio = (min > 0) ? sprintf("%.2f", mig[i] / min) : "-"
		printf("%-16s %14.1f %10d %13.3f %13.3f %9s %12.0f\n", pol[i], mig[i] / 1048576,
		       flt[i], t[i], clk[i], ratio, wall[i])
	}
	if (min > 0)
		printf("%-16s %14.1f %10s %13s %13s %9s\n", "Belady MIN", min / 1048576, "-", "-", "-",
		       "1.00")
	printf "cost model: %s; dev clock: the simulated device clock (docs/samples.md)\n", cm
}' "$log"

step "gmemctl status"
gmemctl status || status=1
gmemctl unload >/dev/null 2>&1
exit $status
