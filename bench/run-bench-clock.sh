#!/usr/bin/env bash
# make bench-clock: device time on the simulated device clock, llm_layer
# (streaming window swept) against uvm_like on llm-train, llm-decode and
# two-tenant llm-decode at 2x HBM (the device delivering its faults in
# batches, its default), then both with every fault alone
# (bench/guest-clock.sh). The clock counts
# virtual nanoseconds from the order of events, so plain TCG repeats it
# exactly and no --icount is needed. BENCH_CLOCK_WORKLOADS,
# BENCH_CLOCK_STREAM, BENCH_CLOCK_FAULT_BATCH, BENCH_CLOCK_OVERSUB,
# BENCH_BLOCK_SIZE and BENCH_HBM_MB
# pass through. About two minutes under TCG.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/bench-env.sh"
exec bash "$top/vmtest/run.sh" --no-build --timeout "${BENCH_TIMEOUT:-900}" -- \
	env "${bench_envs[@]}" gmem-bench-clock
