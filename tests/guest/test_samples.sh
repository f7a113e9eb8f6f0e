#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest runs of the samples (examples/matmul.c, examples/llm_decode.c) in
# a short configuration: 64 KiB blocks, 4 MiB of HBM. Each run checks every
# result against the CPU reference (the sample's exit status and its "OK" /
# "check=ok" line); the runs cover 0.5x to 4x oversubscription, the shipped
# policies, a policy ejected mid-run, two tenants, and the device clock's
# determinism (same events, same device time).
echo "KTAP version 1"
echo "1..14"
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); echo "not ok $n $1"; }
# run NAME CMD...: the command's output, commented, in $out; its status in $rc.
run() {
	name=$1; shift
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" | grep -v '^tenant' | sed "s/^/# $name: /"
}
sample() { echo "$out" | sed -n "s/.* $1=\([^ ]*\).*/\1/p" | tail -1; }
matmul_ok() { [ $rc = 0 ] && echo "$out" | grep -q "^OK: C matches the CPU reference"; }
evictions() { echo "$out" | sed -n 's/.* \([0-9]*\) evictions$/\1/p'; }
dev_ms() { echo "$out" | sed -n 's/.*device time \([0-9.]*\) ms.*/\1/p'; }
decode_ok() { [ $rc = 0 ] && [ "$(sample check)" = ok ] && [ "$(sample tokens_ok)" = "$1" ]; }

gmem-modules reload block_size=65536 -- hbm_mb=4 nr_devices=1 || exit 1

run matmul gmem-matmul --oversub 1.5 --policy builtin
t1=$(dev_ms)
ev=$(evictions)
if matmul_ok && [ -n "$ev" ] && [ "$ev" -gt 0 ]; then ok matmul_1.5x_builtin_exact; else notok matmul_1.5x_builtin_exact; fi

# The device clock depends on the order of events only, not on how fast
# the guest ran: the same run again must take the same device time.
run matmul gmem-matmul --oversub 1.5 --policy builtin
t2=$(dev_ms)
if matmul_ok && [ -n "$t1" ] && [ "$t1" = "$t2" ] && [ "$t1" != 0.000 ]; then
	ok device_clock_deterministic
else
	notok "device_clock_deterministic # $t1 ms then $t2 ms"
fi

run matmul gmem-matmul --oversub 0.5 --policy uvm_like
if matmul_ok && [ "$(evictions)" = 0 ]; then ok matmul_0.5x_uvm_like_exact; else notok matmul_0.5x_uvm_like_exact; fi

run matmul gmem-matmul --oversub 4 --policy llm_layer
if matmul_ok && [ "$(evictions)" -gt 0 ]; then ok matmul_4x_llm_layer_exact; else notok matmul_4x_llm_layer_exact; fi

D="gmem-llm-decode --dim 256 --ffn 512 --tokens 4"
run decode $D --oversub 2 --policy llm_layer
if decode_ok 4 && [ "$(sample policy_after)" = llm_layer ]; then ok decode_dense_2x_llm_layer_exact; else notok decode_dense_2x_llm_layer_exact; fi

run decode $D --oversub 0.5 --policy builtin
if decode_ok 4; then ok decode_dense_0.5x_builtin_exact; else notok decode_dense_0.5x_builtin_exact; fi

run decode $D --oversub 4 --policy uvm_like
if decode_ok 4; then ok decode_dense_4x_uvm_like_exact; else notok decode_dense_4x_uvm_like_exact; fi

run decode $D --oversub 2 --moe 8,2 --policy llm_layer
if decode_ok 4; then ok decode_moe_2x_llm_layer_exact; else notok decode_moe_2x_llm_layer_exact; fi

# error_exit gives up (bpf_gmem_error) on the third device fault, after the
# decode has started: the built-in policy takes over and the output must not
# change.
ej0=$(gmemctl status 2>/dev/null | sed -n 's/.*ejections[ :=]*\([0-9]*\).*/\1/p' | head -1)
run decode $D --oversub 2 --moe 8,2 --policy error_exit
ej1=$(gmemctl status 2>/dev/null | sed -n 's/.*ejections[ :=]*\([0-9]*\).*/\1/p' | head -1)
if decode_ok 4 && [ "$(sample policy_after)" = builtin ] && [ -n "$ej1" ] && [ "$ej1" = $((ej0 + 1)) ]; then
	ok decode_moe_policy_ejected_mid_run_exact
else
	notok "decode_moe_policy_ejected_mid_run_exact # ejections $ej0 -> $ej1"
fi

run decode $D --oversub 2 --tenants 2 --policy llm_layer
if decode_ok 8; then ok decode_two_tenants_exact; else notok decode_two_tenants_exact; fi

# Every other shipped policy: both samples at 2x, each result exact.
# (file name, then the name its struct_ops registers)
for pn in lru_cold:lru_cold stride_prefetch:stride_prefetch s3fifo:s3fifo example_fifo:fifo; do
	p=${pn%%:*}
	run matmul gmem-matmul --oversub 2 --policy $p
	matmul_ok && mm=0 || mm=1
	run decode $D --oversub 2 --moe 8,2 --policy $p
	if [ $mm = 0 ] && decode_ok 4 && [ "$(sample policy_after)" = "${pn#*:}" ]; then
		ok samples_2x_${p}_exact
	else
		notok samples_2x_${p}_exact
	fi
done
