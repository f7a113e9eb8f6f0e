#!/bin/sh
# gmem-bench-hook (issue 14): what BPF hooks cost on identical decisions.
# One workload, alternately under the built-in C policy and builtin_twin
# (tests/policies: the built-in policy's placement, read-ahead and LRU
# eviction in BPF), BENCH_HOOK_RUNS times each (default 5). Every run must
# decide exactly as the first built-in run did (faults, migrations each way,
# evictions, prefetches, remote maps, checksum), else the comparison is void
# and the exit status is 1. Prints each run's BENCH line and one summary:
#   HOOK policy=builtin_twin runs=N same=1 c_mean_ms= bpf_mean_ms= ratio_mean=
#        c_min_ms= bpf_min_ms= ratio_min= hook_calls= hook_ns_per_call=
# Meant for `vmtest/run.sh --icount` (`make bench-hook`), where guest time
# counts executed instructions, so the ratio depends far less on the host's
# load than plain TCG's (a busy host still moved single runs by up to 2.5%).
set -e
RUNS=${BENCH_HOOK_RUNS:-5}
TWIN=${BENCH_HOOK_POLICY:-builtin_twin}
ARGS=${BENCH_HOOK_ARGS:-"-w random -o 2 --passes 8"}
BLOCK_SIZE=${BENCH_BLOCK_SIZE:-262144}
SIM_PARAMS="hbm_mb=${BENCH_HBM_MB:-16} nr_devices=1"
KEYS="dev_faults h2d_blocks d2h_blocks evictions prefetch_issued prefetch_used remote_maps checksum"

gmem-modules reload "block_size=$BLOCK_SIZE" -- $SIM_PARAMS
echo "META hook_args=$(echo "$ARGS" | tr ' ' '_') policy=$TWIN runs=$RUNS block_size=$BLOCK_SIZE"

# The decision counters of a BENCH line, as "k=v ..." in KEYS order.
decisions() {
	for k in $KEYS; do
		printf '%s ' "$(echo "$1" | grep -o " $k=[^ ]*" | tr -d ' ')"
	done
}

ref="" same=1 out=/tmp/hook.$$
: >$out
i=0
while [ $i -lt "$RUNS" ]; do
	for p in builtin "$TWIN"; do
		line=$(gmem-bench -q --label hook $ARGS -p "$p" | grep '^BENCH ')
		echo "$line"
		echo "$p $line" >>$out
		d=$(decisions "$line")
		[ -n "$ref" ] || ref=$d
		if [ "$d" != "$ref" ]; then
			echo "# run $i of $p decided differently: $d (first built-in run: $ref)"
			same=0
		fi
	done
	i=$((i + 1))
done
awk -v twin="$TWIN" -v runs="$RUNS" -v same=$same '
	{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		w = v["wall_ms"] + 0
		if ($1 == "builtin") { cs += w; if (!cn++ || w < cm) cm = w }
		else { bs += w; if (!bn++ || w < bm) bm = w; hc += v["hook_calls"]; hn += v["hook_ns"] }
	}
	END {
		printf "HOOK policy=%s runs=%d same=%d c_mean_ms=%.3f bpf_mean_ms=%.3f ratio_mean=%.4f c_min_ms=%.3f bpf_min_ms=%.3f ratio_min=%.4f hook_calls=%d hook_ns_per_call=%.0f\n",
		       twin, runs, same, cs / cn, bs / bn, (bs / bn) / (cs / cn), cm, bm, bm / cm,
		       hc / bn, hc ? hn / hc : 0
	}' $out
rm -f $out
[ $same = 1 ]
