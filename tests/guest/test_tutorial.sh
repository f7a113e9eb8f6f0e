#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest test of docs/writing-policies.md (KTAP): the tutorial's policies,
# built outside the tree from the installed headers only (docs/docs.mk), are
# loaded with the commands the tutorial prints, run a workload, and must
# show in `gmemctl status` and in `bpftool map dump` exactly what the kernel
# counted. On the way, the views of docs/inspecting.md (objects, devices,
# counters, sysfs, debugfs, the access trace) are checked against each
# other. Then the debugging steps: the verifier's rejection of broken.bpf.o
# and the exit record of a policy that stops itself with gmem_error().
#
# The tutorial's commands run in /tmp/tutorial with the objects under the
# names the tutorial uses (fifo.bpf.o, ...). Every command's output is
# echoed as "# " diagnostics: the docs paste it from a run of this test.
# Runs with the suite's default module parameters (two devices of 64 MiB,
# 2 MiB blocks), in well under a minute under TCG.

SRC=/gmem/tests
DIR=/tmp/tutorial
WL="-w zipf --passes 8 -o 2"	# the tutorial's workload
n=0
failed=0
out=""
rc=0

echo "KTAP version 1"

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else not_ok "$1"; fi; }

# run CMD...: the command as the tutorial prints it, its output, its status.
run() {
	out=$("$@" 2>&1)
	rc=$?
	echo "# \$ $*"
	echo "$out" | sed 's/^/# /'
	[ $rc = 0 ] || echo "# (exit status $rc)"
}

# The value of KEY= in a BENCH line.
val() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# The value of "field": N in a bpftool map dump (first record).
field() { echo "$1" | sed -n "s/^ *\"$2\": \([0-9]*\),\{0,1\}$/\1/p" | head -n 1; }

# The number of records in a bpftool map dump.
records() { echo "$1" | grep -c '"key":'; }

# Wait up to 30 s for file $1 to show pattern $2.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

mkdir -p $DIR
for p in fifo lfu broken; do
	cp $SRC/tutorial_$p.bpf.o $DIR/$p.bpf.o || echo "# missing $SRC/tutorial_$p.bpf.o"
done
cd $DIR || exit 1

# ---------------------------------------------------------------- FIFO
run gmemctl load ./fifo.bpf.o --pin
[ $rc = 0 ] && echo "$out" | grep -q "policy 'fifo' loaded and pinned at /sys/fs/bpf/gmem/fifo"
check fifo_loads $?

run gmemctl status
echo "$out" | grep -q "^policy: *tutorial_fifo (BPF; pinned as fifo)$" &&
	echo "$out" | grep -q "^pinned: *.*/fifo$"
check fifo_status_names_it $?

run gmem-bench $WL
fifo=$(echo "$out" | grep '^BENCH ')
run bpftool map dump name fifo_objs
# One object ran under the policy; every block it moved in arrived through
# the activated hook, and every eviction was this policy's nomination.
bad=0
[ "$(records "$out")" = 1 ] || bad=1
[ -n "$fifo" ] && [ "$(val "$fifo" evictions)" -gt 0 ] || bad=1
[ "$(field "$out" arrivals)" = "$(val "$fifo" h2d_blocks)" ] || bad=1
[ "$(field "$out" victims)" = "$(val "$fifo" evictions)" ] || bad=1
[ "$(val "$fifo" fallbacks)" = 0 ] && [ "$(val "$fifo" rejects)" = 0 ] || bad=1
check fifo_map_matches_kernel_counts $bad

# The policy's globals: the list id and the victims since it was attached.
run bpftool map dump name fifo.bss
[ "$(field "$out" victims)" = "$(val "$fifo" evictions)" ] && [ "$(field "$out" fifo)" -gt 0 ]
check fifo_globals_in_bss $?

# ---------------------------------------------------------------- observing
# (docs/inspecting.md, still under FIFO) A program that keeps its unified
# memory: one arena object holding two 2 MiB layers and an accumulator.
# A stale file (test_gmemctl.sh uses the name too) would say "holding" before
# this holder has even started: the redirection truncates it only in the child.
rm -f /tmp/hold.out
gmem-example-layers --hold 2 2 >/tmp/hold.out 2>&1 &
holder=$!
wait_for /tmp/hold.out "^holding"
run gmemctl objects
row=$(echo "$out" | awk -v pid=$holder '$2 == pid')
obj=$(echo "$row" | awk '{print $1}')
h2d=$(echo "$row" | awk '{print $(NF - 1)}')	# H2D_BLKS
[ -n "$obj" ] && [ "$(echo "$row" | wc -l)" = 1 ]
check objects_lists_the_holder $?

run bpftool map lookup name fifo_objs key $obj 0 0 0
[ -n "$h2d" ] && [ "$(field "$out" arrivals)" = "$h2d" ]
check map_lookup_by_object_id $?

run gmemctl devices
run gmemctl --json devices
bad=0
for d in 0 1; do
	used=$(cat /sys/class/misc/gmem_sim$d/hbm_used_blocks)
	core=$(echo "$out" | tr '{' '\n' | grep "\"id\":$d," | sed -n 's/.*"hbm_used_bytes":\([0-9]*\),.*/\1/p')
	[ -n "$core" ] && [ $((used * 2097152)) = "$core" ] || bad=1
done
check sysfs_hbm_matches_core $bad
run grep . /sys/class/misc/gmem_sim0/gmem_id /sys/class/misc/gmem_sim0/hbm_used_blocks \
	/sys/class/misc/gmem_sim0/jobs_done /sys/class/misc/gmem_sim0/faults \
	/sys/class/misc/gmem_sim0/model_ns /sys/class/misc/gmem_sim0/invalidates
run cat /sys/kernel/debug/gmem/live
echo "$out" | grep -q "^objects 1$"
check debugfs_live_counts_the_object $?
run gmemctl stats
run gmemctl --json objects
echo "$out" | grep -q "\"id\":$obj,\"owner_pid\":$holder,"
check objects_json $?

# Counters while a run is going on: the second sample has the deltas.
gmem-bench $WL -q >/dev/null 2>&1 &
bench=$!
run gmemctl stats --watch 1 --count 2
wait $bench
[ $rc = 0 ] && [ "$(echo "$out" | grep -c '^dev_faults ')" = 2 ]
check stats_watch $?

kill -TERM $holder
wait $holder
run cat /sys/kernel/debug/gmem/live
[ "$out" = "$(printf 'objects 0\nhost_pages 0\ndev_blocks 0\ntenants 0')" ]
check debugfs_live_zero_after_exit $?

# The access trace of one run, and Belady's MIN for it.
gmemctl trace record /tmp/zipf.gt >/tmp/rec.out 2>&1 &
rec=$!
wait_for /tmp/rec.out "recording; stop with Ctrl-C"
run gmem-bench $WL -q
traced=$(echo "$out" | grep '^BENCH ')
kill -INT $rec
wait $rec
echo "# \$ gmemctl trace record /tmp/zipf.gt"
sed 's/^/# /' /tmp/rec.out
run gmem-min /tmp/zipf.gt
[ "$(val "$out" accesses)" = "$(val "$traced" accesses)" ] &&
	[ "$(val "$out" min_misses)" -le "$(val "$traced" h2d_blocks)" ]
check trace_has_every_access $?

run gmemctl unload
[ $rc = 0 ] && gmemctl status | grep -q "^policy: *builtin"
check fifo_unloads $?

# ---------------------------------------------------------------- LFU
run gmemctl policies
[ $rc = 0 ] && echo "$out" | grep -q "^lru_cold "
check policies_lists_shipped $?

# A folder in GMEM_POLICY_DIR makes its policies loadable by name.
run env GMEM_POLICY_DIR=$DIR gmemctl policies lfu
[ $rc = 0 ] && echo "$out" | grep -q "^lfu  *tutorial: least frequently used of the oldest blocks$" &&
	echo "$out" | grep -q "^ *sample  *uint  *4 bytes  default 16$"
check policies_lists_description_and_tunables $?

run gmemctl load ./lfu.bpf.o --pin
[ $rc = 0 ] && gmemctl status | grep -q "^policy: *tutorial_lfu (BPF; pinned as lfu)$"
check lfu_loads $?

run gmem-bench $WL
lfu=$(echo "$out" | grep '^BENCH ')
run bpftool map dump name lfu.bss
# Totals since the attach, and this was the only run: uses counts the
# accessed hook, i.e. every access that did not fault (a fault is reported
# as the fault, not as an access too), plus the write faults of dirty
# tracking: a first write to a clean block already on the device is an
# access to the policy. The device delivers its faults in batches, and the
# faults a batch merged into one on the same block (batch_dups) reach the
# policy as that one fault.
bad=0
[ -n "$lfu" ] || bad=1
[ "$(field "$out" arrivals)" = "$(val "$lfu" h2d_blocks)" ] || bad=1
[ "$(field "$out" victims)" = "$(val "$lfu" evictions)" ] || bad=1
[ "$(field "$out" uses)" = "$(($(val "$lfu" accesses) - $(val "$lfu" dev_faults) - $(val "$lfu" batch_dups) + $(val "$lfu" write_faults)))" ] || bad=1
check lfu_globals_match_kernel_counts $bad

# The object is gone: its blocks left the device through the evicted hook,
# which deleted every per-block record.
run bpftool map dump name lfu_blocks
[ $rc = 0 ] && [ "$(records "$out")" = 0 ]
check lfu_per_block_map_empty_after_exit $?

# Same workload, same data: frequency pays on a skewed workload.
echo "# fifo moved in $(val "$fifo" h2d_blocks) blocks, lfu $(val "$lfu" h2d_blocks)"
[ "$(val "$lfu" checksum)" = "$(val "$fifo" checksum)" ] &&
	[ "$(val "$lfu" h2d_blocks)" -lt "$(val "$fifo" h2d_blocks)" ]
check lfu_moves_fewer_blocks_than_fifo $?

run gmemctl unload
run gmemctl load ./lfu.bpf.o --set sample=32 --pin
run bpftool map dump name lfu.rodata
[ "$(field "$out" sample)" = 32 ]
check tunable_set_at_load $?
run gmem-bench $WL -q
run gmemctl unload

# The built-in policy on the same workload, for the tutorial's comparison.
run gmem-bench $WL -q -p builtin

# ---------------------------------------------------------------- debugging
run gmemctl load ./broken.bpf.o
[ $rc = 6 ] && echo "$out" | grep -q "R0 invalid mem access 'map_value_or_null'" &&
	gmemctl status | grep -q "^policy: *builtin"
check verifier_rejects_broken $?

gmemctl load ./fifo.bpf.o --set stop_after=5 >/tmp/held.out 2>&1 &
loader=$!
wait_for /tmp/held.out "press Ctrl-C"
run gmem-bench $WL
held=$(echo "$out" | grep '^BENCH ')
i=0
while kill -0 $loader 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $loader 2>/dev/null
wait $loader
rc=$?
out=$(cat /tmp/held.out)
echo "# \$ gmemctl load ./fifo.bpf.o --set stop_after=5"
echo "$out" | sed 's/^/# /'
echo "# (exit status $rc)"
# Ejected mid-run: the built-in policy finished the run, with the same data.
[ $rc = 9 ] &&
	echo "$out" | grep -q "exit record: policy 'tutorial_fifo' policy error at .*: policy reported an error (stopped after 5 victims, as asked)" &&
	[ -n "$held" ] && [ "$(val "$held" policy_after)" = builtin ] &&
	[ "$(val "$held" checksum)" = "$(val "$fifo" checksum)" ]
check gmem_error_ejects_with_exit_record $?

run gmemctl status
echo "$out" | grep -q "^ejections: *1$" && echo "$out" | grep -q "stopped after 5 victims"
check status_keeps_exit_record $?

run gmemctl --json status
echo "$out" | grep -q '"last_exit":{"kind":2,"kind_name":"policy error",'
check status_json_exit_kind $?

out=$(dmesg | grep 'gmem: policy .* ejected')
echo "# \$ dmesg | grep 'gmem: policy .* ejected'"
echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "gmem: policy tutorial_fifo ejected (policy reported an error): stopped after 5 victims, as asked; built-in policy in charge$"
check kernel_log_names_the_ejection $?

# The recorded trace again, on the device, under the built-in policy.
run gmemctl trace replay /tmp/zipf.gt
echo "$out" | grep -q "^replayed $(val "$traced" accesses) accesses over 1 objects"
check trace_replays $?

# What if: the same trace under another policy and half the HBM, beside MIN.
run gmemctl trace replay /tmp/zipf.gt --policy lru_cold --hbm 32M
echo "$out" | grep -q "^Belady's MIN with 16 HBM blocks: "
check trace_replay_what_if $?

echo "1..$n"
[ $failed = 0 ]
