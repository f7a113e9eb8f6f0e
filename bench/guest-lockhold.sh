#!/bin/sh
# gmem-bench-lockhold (issue 13): how long each function that takes a
# device's LRU spinlock (ds->lock) runs, next to the block copies that run
# under a block's mutex only. function_graph durations of the listed
# functions (their whole body, so an upper bound of the spinlock's hold;
# each traced call adds ~0.7 us of tracer overhead under TCG) over
#   gmem-bench -w evict (4 KiB blocks, HBM half of 64 MiB: every fault evicts)
#   gmem-bench -w bw    (2 MiB blocks: copies in and out)
# Prints "HOLD fn=NAME calls=N mean_us=X max_us=Y" per function and run.
set -e
t=/sys/kernel/tracing
mount -t tracefs nodev $t 2>/dev/null || true
LOCKED="gm_lru_add gm_lru_del gm_lru_touch gm_lru_update_class gm_hbm_reserve gm_hbm_unreserve
gm_evict_req_init gm_evictable_exists gm_hbm_room_now gm_builtin_evict gm_dev_next_resident
gm_pin_check"
COPIES="sim_copy_to_dev sim_copy_from_dev gm_blk_zap_cpu"
run() {	# label, command...
	label=$1; shift
	echo nop >$t/current_tracer
	: >$t/set_ftrace_filter
	for f in $LOCKED $COPIES; do echo "$f" >>$t/set_ftrace_filter 2>/dev/null || true; done
	echo 65536 >$t/buffer_size_kb
	echo function_graph >$t/current_tracer
	echo 1 >$t/options/funcgraph-tail 2>/dev/null || true
	: >$t/trace
	echo 1 >$t/tracing_on
	"$@" >/dev/null
	echo 0 >$t/tracing_on
	# "cpu) D us | fn [mod]();" (leaf) or "cpu) D us | } /* fn [mod] */" (funcgraph-tail)
	grep -v '^#' $t/trace | awk -v L="$label" '
		/ us +\|/ {
			d = $0; sub(/ us.*/, "", d); sub(/.*[^0-9.]/, "", d)
			f = $0; sub(/^[^|]*\| */, "", f)
			if (f ~ /^}/) sub(/^} *\/\* */, "", f)
			sub(/[ (\[].*/, "", f)
			if (f == "" || f == "}") next
			n[f]++; s[f] += d; if (d + 0 > m[f]) m[f] = d + 0
		}
		END { for (f in n) printf "HOLD run=%s fn=%s calls=%d mean_us=%.2f max_us=%.2f\n", L, f, n[f], s[f] / n[f], m[f] }
' | sort
	echo "HOLD run=$label lost_events=$(cat $t/per_cpu/cpu0/stats $t/per_cpu/cpu1/stats 2>/dev/null | awk '/overrun/ { s += $2 } END { print s + 0 }')"
}
gmem-modules reload "block_size=4096" -- hbm_mb=32 >/dev/null
run evict4k-64M gmem-bench -w evict -o 2 -p builtin -q
gmem-modules reload "block_size=2097152" -- hbm_mb=64 >/dev/null
run bw2M gmem-bench -w bw -q
echo nop >$t/current_tracer
