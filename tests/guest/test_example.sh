#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest run of the libgmempolicy example (examples/layers.c): a layered
# "model" in unified memory, larger than one device's HBM, computed on the
# simulated devices and checked by content on the device and on the CPU.
echo "KTAP version 1"
echo "1..2"
out=$(gmem-example-layers 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc = 0 ] && echo "$out" | grep -q "^OK: device and CPU results match"; then
	echo "ok 1 example_layers_results_match"
else
	echo "not ok 1 example_layers_results_match"
fi
# 8 x 16 MiB of weights, alternating over two devices of 64 MiB HBM each, do
# not fit: the run must have evicted.
ev=$(echo "$out" | sed -n 's/.* \([0-9]*\) evictions.*/\1/p')
if [ -n "$ev" ] && [ "$ev" -gt 0 ]; then
	echo "ok 2 example_layers_oversubscribed"
else
	echo "not ok 2 example_layers_oversubscribed"
fi
