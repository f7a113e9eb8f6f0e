#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest tests of gmemctl (KTAP): loading, pinning, status, unloading,
# holding a policy without --pin, the kernel ejecting a held policy, and
# every error path's exit code and message. Runs with the modules loaded by
# the suite (default parameters); one test unloads them and loads them back.
#
# Assets: policies in /gmem/bpf (example_fifo, error_exit), the
# verifier-rejected policy in /gmem/tests/gmemctl_reject.bpf.o, and
# gmem-example-layers in /gmem/bin to create objects and device faults.

REJECT=/gmem/tests/gmemctl_reject.bpf.o
PIN_DIR=/sys/fs/bpf/gmem
. "${GMEM_KTAP_LIB:-/gmem/lib/ktap.sh}"

# Wait up to $2 seconds for file $1 to contain pattern $3.
wait_for() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		grep -q -e "$3" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

active_policy() {
	gmemctl --json status 2>/dev/null | grep -q "\"active\":true,\"name\":\"$1\""
}

# ---------------------------------------------------------------- load --pin
run gmemctl load example_fifo --pin
expect "load_pin" 0 "policy 'example_fifo' loaded and pinned at $PIN_DIR/example_fifo"

run gmemctl status
if [ $rc = 0 ] && echo "$out" | grep -q "^policy: *fifo (BPF; pinned as example_fifo)" &&
   echo "$out" | grep -q "^pinned: *$PIN_DIR/example_fifo" && [ -e $PIN_DIR/example_fifo ]; then
	ok "status_shows_pinned_policy"
else
	diag "status_shows_pinned_policy"
	not_ok "status_shows_pinned_policy"
fi

run gmemctl --json status
expect "status_json" 0 '"active":true,"name":"fifo",.*"pinned":"example_fifo"}$'

# A second policy while one is in charge: EBUSY, naming the active one.
run gmemctl load example_fifo --pin
expect "busy_names_active_policy" 7 "another policy, 'fifo', is already loaded: run 'gmemctl unload' first"

# The objects table shows a live object of a running program.
rm -f /tmp/hold.out	# a stale one would say "holding" before this holder starts
gmem-example-layers --hold 2 2 >/tmp/hold.out 2>&1 &
holder=$!
if wait_for /tmp/hold.out 60 "^holding"; then
	run gmemctl objects
	if [ $rc = 0 ] && echo "$out" | grep -q "^[0-9][0-9]* *$holder "; then
		ok "objects_shows_live_object"
	else
		diag "objects_shows_live_object (pid $holder)"
		not_ok "objects_shows_live_object"
	fi
	run gmemctl --json objects
	expect "objects_json" 0 "\"owner_pid\":$holder,"
else
	out=$(cat /tmp/hold.out); rc=none
	diag "objects_shows_live_object: the holder never got ready"
	not_ok "objects_shows_live_object"
	not_ok "objects_json"
fi
kill -TERM $holder 2>/dev/null
wait $holder
rc=$?
out=$(cat /tmp/hold.out)
expect "example_under_policy_ok" 0 "OK: device and CPU results match"

run gmemctl objects
expect "objects_gone_after_exit" 0 "no live objects"

run gmemctl unload
expect "unload_pinned" 0 "unloaded 1 pinned policy"
if active_policy fifo || [ -e $PIN_DIR/example_fifo ]; then
	not_ok "unload_detaches"
else
	ok "unload_detaches"
fi

run gmemctl unload
expect "unload_when_none" 0 "no policy loaded"

# One policy, two names: unload takes the ops name (fifo, what status shows)
# as well as the pin name (example_fifo, from the file).
run gmemctl load example_fifo --pin
run gmemctl unload nosuch
expect "unload_unknown_name" 1 "no policy named 'nosuch' is pinned, by its pin name or its ops name"
run gmemctl unload fifo
expect "unload_by_ops_name" 0 "unloaded 1 pinned policy"
if active_policy fifo || [ -e $PIN_DIR/example_fifo ]; then
	not_ok "unload_by_ops_name_detaches"
else
	ok "unload_by_ops_name_detaches"
fi

# ---------------------------------------------------------------- hold without --pin
gmemctl load example_fifo >/tmp/hold_load.out 2>&1 &
loader=$!
if wait_for /tmp/hold_load.out 30 "press Ctrl-C" && active_policy fifo; then
	run gmemctl unload
	expect "unload_refuses_held_policy" 1 "policy 'fifo' is not pinned: it is held by a running 'gmemctl load'"
	kill -INT $loader
	wait $loader
	rc=$?
	out=$(cat /tmp/hold_load.out)
	if [ $rc = 0 ] && echo "$out" | grep -q "policy 'example_fifo' unloaded" && ! active_policy fifo; then
		ok "sigint_unloads_held_policy"
	else
		diag "sigint_unloads_held_policy"
		not_ok "sigint_unloads_held_policy"
	fi
else
	out=$(cat /tmp/hold_load.out); rc=none
	diag "held load never became active"
	kill -9 $loader 2>/dev/null
	not_ok "unload_refuses_held_policy"
	not_ok "sigint_unloads_held_policy"
fi

# The kernel ejects a held policy (error_exit gives up on its third device
# fault): gmemctl reports the exit record and exits 9.
gmemctl load error_exit >/tmp/eject.out 2>&1 &
loader=$!
if wait_for /tmp/eject.out 30 "press Ctrl-C"; then
	run gmem-example-layers 2 2
	expect "data_intact_across_ejection" 0 "OK: device and CPU results match"
	i=0
	while kill -0 $loader 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -INT $loader 2>/dev/null
	wait $loader
	rc=$?
	out=$(cat /tmp/eject.out)
	expect "ejection_reported" 9 "exit record: policy 'error_exit' policy error at .*gave up at fault 3"
else
	out=$(cat /tmp/eject.out); rc=none
	kill -9 $loader 2>/dev/null
	diag "ejection_reported: error_exit never loaded"
	not_ok "data_intact_across_ejection"
	not_ok "ejection_reported"
fi

# ---------------------------------------------------------------- error paths
run gmemctl load /gmem/bin/gmemctl
expect "bad_file_not_a_policy" 5 "is not a gmem policy"

run gmemctl load /gmem/bpf/nosuch.bpf.o
expect "missing_file" 5 "not found"

run gmemctl load example_fifo --set nosuch=1
expect "unknown_tunable" 8 "unknown tunable in 'nosuch=1' for policy 'example_fifo'"

if [ -e $REJECT ]; then
	run gmemctl load $REJECT
	expect "verifier_rejection_shows_log_tail" 6 "invalid mem access 'map_value_or_null'"
	if active_policy gmemctl_reject; then not_ok "rejected_policy_not_active"; else ok "rejected_policy_not_active"; fi
	# --json: the same failure as one document on stdout, nothing on stderr.
	out=$(gmemctl --json load $REJECT 2>/tmp/reject.err); rc=$?
	if [ $rc = 6 ] && [ ! -s /tmp/reject.err ] && [ "$(echo "$out" | wc -l)" = 1 ] &&
	   echo "$out" | grep -q '^{"error":"the kernel verifier rejected policy .*map_value_or_null.*","exit":6}$'; then
		ok "verifier_rejection_json"
	else
		diag "verifier_rejection_json"
		not_ok "verifier_rejection_json"
	fi
	# gmem-bench loads through the same library: the reason, not "permission denied".
	run gmem-bench -w seq -o 1 -p $REJECT
	if [ $rc != 0 ] && echo "$out" | grep -q "the kernel verifier rejected policy" &&
	   echo "$out" | grep -q "map_value_or_null" && ! echo "$out" | grep -qi "permission denied"; then
		ok "bench_verifier_rejection_says_why"
	else
		diag "bench_verifier_rejection_says_why"
		not_ok "bench_verifier_rejection_says_why"
	fi
else
	skip "verifier_rejection_shows_log_tail" "$REJECT not built"
	skip "bench_verifier_rejection_says_why" "$REJECT not built"
	skip "verifier_rejection_json" "$REJECT not built"
	skip "rejected_policy_not_active" "$REJECT not built"
fi

# Not root: the nobody user (busybox su needs no password when root runs it).
# The initramfs root directory is 0700, which would stop nobody from
# executing anything: open it up (the guest is a throwaway).
chmod 755 /
if su -s /bin/sh nobody -c "id -u" 2>/dev/null | grep -qx 65534; then
	run su -s /bin/sh nobody -c "PATH=$PATH GMEM_POLICY_DIR=/gmem/bpf gmemctl load example_fifo --pin"
	expect "non_root_permission_denied" 4 "permission denied; run as root"
	if active_policy fifo; then not_ok "non_root_left_nothing"; else ok "non_root_left_nothing"; fi
else
	skip "non_root_permission_denied" "cannot switch to nobody"
	skip "non_root_left_nothing" "cannot switch to nobody"
fi

# ---------------------------------------------------------------- module missing
if gmem-modules unload; then
	run gmemctl status
	expect "no_module_status" 3 "the gmem kernel module is not loaded (/dev/gmem is missing)"
	run gmemctl load example_fifo --pin
	expect "no_module_load" 3 "insmod gmem.ko"
	gmem-modules load || echo "# reloading the modules failed"
else
	not_ok "no_module_status"
	not_ok "no_module_load"
fi

run gmemctl devices
expect "devices_after_reload" 0 "^0 *gmem_sim0 *64 MiB"

run gmemctl stats --watch 1 --count 2
if [ $rc = 0 ] && [ "$(echo "$out" | grep -c '^dev_faults ')" = 2 ]; then
	ok "stats_watch_count"
else
	diag "stats_watch_count"
	not_ok "stats_watch_count"
fi

# top: while workloads run, two JSON frames, of which the first shows faults
# on device 0 and a live object; then the text view. A holder keeps one
# object mapped (a bench run may be over within a frame on a fast core), and
# bench runs repeat until the frames are taken (they are waited for, not
# killed, so the modules unload cleanly afterwards).
rm -f /tmp/top_hold.out
gmem-example-layers --hold 2 2 >/tmp/top_hold.out 2>&1 &
holder=$!
for i in $(seq 100); do grep -q '^holding' /tmp/top_hold.out && break; sleep 0.2; done
rm -f /tmp/top.stop
( while [ ! -e /tmp/top.stop ]; do
	gmem-bench -q -w zipf --passes 40 -o 2 -p builtin >/dev/null 2>&1
  done ) &
bench=$!
sleep 1
run gmemctl -j top --interval 1 --iterations 2
frames=$(echo "$out" | grep -c '^{"interval_ns":[1-9][0-9]*,"policy":{"active":false,')
first=$(echo "$out" | head -n 1)
faults=$(echo "$first" | sed -n 's/.*"devices":\[{"id":0,[^}]*"delta":{"cpu_faults":[0-9]*,"dev_faults":\([0-9]*\).*/\1/p')
objs=$(echo "$first" | grep -c '"objects":\[{"id":[0-9]*,"owner_pid":[0-9]*,')
if [ $rc = 0 ] && [ "$frames" = 2 ] && [ "${faults:-0}" -gt 0 ] && [ "$objs" = 1 ]; then
	ok "top_json_frames_show_the_workload"
else
	diag "top_json_frames_show_the_workload (frames=$frames faults=$faults objs=$objs)"
	not_ok "top_json_frames_show_the_workload"
fi
run gmemctl top --iterations 1
if [ $rc = 0 ] && echo "$out" | grep -q '^policy builtin: ' &&
   echo "$out" | grep -q '^0 *gmem_sim0 ' && echo "$out" | grep -q '^OBJ *PID'; then
	ok "top_text_frame"
else
	diag "top_text_frame"
	not_ok "top_text_frame"
fi
touch /tmp/top.stop
wait $bench
kill -INT $holder 2>/dev/null
wait $holder 2>/dev/null

# trace record honours --json: one result document, no prompt.
run gmemctl -j trace record /tmp/json.gt --seconds 1
expect "trace_record_json" 0 '^{"file":"/tmp/json.gt","records":[0-9]*,"dropped":0}$'

ktap_done
