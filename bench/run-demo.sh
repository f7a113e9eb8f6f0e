#!/usr/bin/env bash
# make demo: the LLM training sweep at 2x, built-in/uvm_like vs llm_layer
# (bench/guest-demo.sh), then the decode sample dense and MoE under the same
# policies (examples/guest-samples-demo.sh), in one guest. About three minutes
# under TCG.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$top/vmtest/run.sh" --no-build --timeout 480 -- \
	sh -c 'gmem-demo; a=$?; gmem-samples-demo; b=$?; [ $a = 0 ] && [ $b = 0 ]'
