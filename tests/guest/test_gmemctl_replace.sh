#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest tests of `gmemctl load P --replace` (KTAP): the live switch of a
# pinned policy, its pin renamed, its JSON output, and bad input that must
# fail with a clear message and leave the policy in charge as it was
# (nothing loaded, a policy held without a pin, a missing policy, a policy
# the verifier rejects, an unknown tunable).
#
# Assets: policies in /gmem/bpf (example_fifo: ops name "fifo"; lru_cold),
# the verifier-rejected policy /gmem/tests/gmemctl_reject.bpf.o.

REJECT=/gmem/tests/gmemctl_reject.bpf.o
PIN_DIR=/sys/fs/bpf/gmem
. "${GMEM_KTAP_LIB:-/gmem/lib/ktap.sh}"

# in_charge OPS_NAME: the status names that BPF policy as active.
in_charge() {
	gmemctl --json status 2>/dev/null | grep -q "\"active\":true,\"name\":\"$1\""
}

builtin_in_charge() {
	gmemctl --json status 2>/dev/null | grep -q '"active":false,"name":"builtin"'
}

loads() {
	gmemctl --json status | sed -n 's/.*"loads":\([0-9]*\).*/\1/p'
}

# ------------------------------------------------------- nothing to replace
run gmemctl load lru_cold --replace
expect "replace_nothing_loaded" 1 "no policy is loaded: nothing to replace"
check "nothing_loaded_stays_builtin" eval 'builtin_in_charge && [ ! -e $PIN_DIR/lru_cold ] && [ "$(loads)" = 0 ]'

# ------------------------------------------------------- held, not pinned
gmemctl load example_fifo >/tmp/holder.out 2>&1 &
holder=$!
i=0
while [ $i -lt 100 ] && ! in_charge fifo; do sleep 0.1; i=$((i + 1)); done
run gmemctl load lru_cold --replace
expect "replace_unpinned_refused" 1 "policy 'fifo' is in charge but not pinned"
check "unpinned_holder_keeps_charge" eval 'in_charge fifo && kill -0 $holder'
kill -INT $holder
wait $holder

# ------------------------------------------------------- the live switch
run gmemctl load example_fifo --pin
expect "load_pin_first" 0 "loaded and pinned"
before=$(loads)
run gmemctl load lru_cold --replace
expect "replace_pinned" 0 "policy 'lru_cold' replaced 'example_fifo' with no gap and is pinned at $PIN_DIR/lru_cold"
check "replace_renames_pin" eval 'in_charge lru_cold && [ -e $PIN_DIR/lru_cold ] && [ ! -e $PIN_DIR/example_fifo ] && [ "$(loads)" = $((before + 1)) ]'
run gmemctl status
check "status_after_replace" eval 'echo "$out" | grep -q "^policy: *lru_cold (BPF)" &&
	echo "$out" | grep -q "^unattended: *[0-9]" &&
	echo "$out" | grep -q "replaced by lru_cold"'

run gmemctl -j load example_fifo --replace
expect "replace_json" 0 '^{"loaded":"example_fifo","path":"[^"]*example_fifo.bpf.o","pinned":true,"cgroup_id":0,"replaced":"lru_cold"}$'
check "replace_back" eval 'in_charge fifo && [ -e $PIN_DIR/example_fifo ] && [ ! -e $PIN_DIR/lru_cold ]'

# ------------------------------------------------------- bad input loses nothing
run gmemctl load no_such_policy --replace
expect "replace_missing_policy" 5 "policy 'no_such_policy' not found"
run gmemctl load $REJECT --replace
expect "replace_verifier_rejects" 6 "the kernel verifier rejected policy"
run gmemctl load lru_cold --replace --set no_such_knob=1
expect "replace_unknown_tunable" 8 "unknown tunable"
check "bad_input_keeps_policy" eval 'in_charge fifo && [ -e $PIN_DIR/example_fifo ] && [ "$(loads)" = $((before + 2)) ]'

# The pin can be unloaded by its new name.
run gmemctl unload example_fifo
expect "unload_after_replace" 0 "unloaded 1 pinned policy"
check "builtin_after_unload" builtin_in_charge

ktap_done
