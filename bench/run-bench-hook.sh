#!/usr/bin/env bash
# make bench-hook: the built-in C policy against builtin_twin (the same
# decisions in BPF) in one guest under `vmtest/run.sh --icount`, where guest
# time counts executed instructions (TCG, no sleeps): the wall ratio measures
# the hooks far more than the host's load (which still moved single runs by
# up to 2.5%; measure on an idle host). BENCH_HOOK_RUNS, BENCH_HOOK_ARGS,
# BENCH_HOOK_POLICY, BENCH_BLOCK_SIZE and BENCH_HBM_MB pass through
# (bench/guest-hook.sh). Prints the guest's BENCH lines and its HOOK summary;
# the exit status is the guest's (1 if any run decided differently).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/bench-env.sh"
exec bash "$top/vmtest/run.sh" --no-build --icount --timeout "${BENCH_TIMEOUT:-1800}" -- \
	env "${bench_envs[@]}" gmem-bench-hook
