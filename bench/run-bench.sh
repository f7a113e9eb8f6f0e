#!/usr/bin/env bash
# make bench: run the benchmark matrix in the guest and write
# results/<stamp>/{report.md, plot.svg, guest.log, meta.txt, *.dat, plot.gp}.
#
# Not part of `make test` (about 20 minutes under TCG). Guest-side knobs
# (BENCH_POLICIES, BENCH_WORKLOADS, BENCH_OVERSUB, ...) pass through: see
# bench/guest-matrix.sh. The exit status is the guest's (non-zero if any run
# failed), but a report is written from whatever ran.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
stamp=$(date +%Y%m%d-%H%M%S)
out=$top/results/$stamp
mkdir -p "$out"

# Pass BENCH_* settings into the guest command line (the guest has no host env).
envs=()
for v in $(compgen -v BENCH_ || true); do
	envs+=("$v=${!v}")
done

echo "bench: results in $out" >&2
set +e
bash "$top/vmtest/run.sh" --no-build --timeout "${BENCH_TIMEOUT:-2400}" -- \
	env "${envs[@]}" gmem-bench-matrix >"$out/guest.log" 2>"$out/vmtest.err"
rc=$?
set -e
cat "$out/vmtest.err" >&2

accel=$(sed -n 's/.*accel=\([a-z]*\).*/\1/p' "$out/vmtest.err" | head -n1)
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1 | tr ' ' '_')
{
	echo "META stamp=$stamp"
	echo "META accel=${accel:-unknown}"
	echo "META host_kernel=$(uname -r)"
	echo "META host_cpu=${cpu:-unknown}"
} >"$out/meta.txt"

if ! "$top/build/bench/gmem-report" -o "$out" "$out/meta.txt" "$out/guest.log"; then
	echo "bench: no report (see $out/guest.log)" >&2
	exit 1
fi
if command -v gnuplot >/dev/null; then
	(cd "$out" && gnuplot plot.gp) || echo "bench: gnuplot failed; the table is still in report.md" >&2
else
	echo "bench: gnuplot not installed; no plot" >&2
fi
grep -c '^BENCHFAIL' "$out/guest.log" >/dev/null && {
	echo "bench: failed runs:" >&2
	grep '^BENCHFAIL' "$out/guest.log" >&2
}
echo "bench: report: $out/report.md" >&2
exit $rc
