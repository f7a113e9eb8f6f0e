#!/usr/bin/env bash
# make bench-serve: the serving benchmark (gmem-bench-serve, issue 16) in one
# guest under `vmtest/run.sh --icount`, then its figure. Times are the
# simulated device clock, so icount only keeps the guest's own pace steady.
# BENCH_BLOCK_SIZE (262144), BENCH_HBM_MB (16), BENCH_SERVE_ARGS (extra
# gmem-bench-serve options) and BENCH_TIMEOUT pass through. Output:
# build/bench-serve/serve.txt (the guest's lines) and serve.svg (the plot,
# bench/plot-serve.sh). The exit status is the guest's.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench-serve
mkdir -p "$out"
# shellcheck disable=SC2016,SC2086 # $1.. expanded by the guest shell; ARGS split on purpose
bash "$top/vmtest/run.sh" --no-build --icount --timeout "${BENCH_TIMEOUT:-1800}" -- \
	sh -c 'gmem-modules reload "block_size=$1" -- "hbm_mb=$2" nr_devices=1 && shift 2 &&
	       exec gmem-bench-serve "$@"' sh "${BENCH_BLOCK_SIZE:-262144}" "${BENCH_HBM_MB:-16}" \
	${BENCH_SERVE_ARGS:-} | tr -d '\r' | tee "$out/serve.txt"
bash "$top/bench/plot-serve.sh" "$out/serve.txt" "$out/serve.svg"
echo "bench-serve: $out/serve.txt, $out/serve.svg"
