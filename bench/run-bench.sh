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
. "$top/bench/bench-env.sh"

# Copy the guest's output to guest.log whole, and print one line to stderr
# per finished run (guest-matrix.sh prints a BENCH/BW/BENCHFAIL line for each)
# and per finished workload ("# W done after N s"), so a 20-minute run is not
# silent. run.sh streams the guest's console as it comes.
progress() {
	local line l n=0 t0=$SECONDS
	while IFS= read -r line; do
		printf '%s\n' "$line"
		l=${line%$'\r'}
		case $l in
		"BENCH "* | "BW "*)
			n=$((n + 1))
			printf 'bench: [%4ds] run %d done: %s\n' $((SECONDS - t0)) "$n" \
				"$(echo "$l" | grep -oE '(label|workload|stride|oversub|tenants|policy)=[^ ]*' | tr '\n' ' ')" >&2 ;;
		BENCHFAIL*)
			n=$((n + 1))
			printf 'bench: [%4ds] run %d FAILED: %s\n' $((SECONDS - t0)) "$n" "${l#BENCHFAIL }" >&2 ;;
		"# "*" done after "*)
			printf 'bench: [%4ds] %s\n' $((SECONDS - t0)) "${l#\# }" >&2 ;;
		esac
	done
}

echo "bench: results in $out; one line per finished run follows" >&2
set +e
bash "$top/vmtest/run.sh" --no-build --timeout "${BENCH_TIMEOUT:-2400}" -- \
	env "${bench_envs[@]}" gmem-bench-matrix 2>"$out/vmtest.err" | progress >"$out/guest.log"
rc=${PIPESTATUS[0]}
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
if ! grep -q '^plot ' "$out/plot.gp"; then
	echo "bench: nothing to plot (no 2x matrix run, no llm-train/llm-decode run)" >&2
elif command -v gnuplot >/dev/null; then
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
