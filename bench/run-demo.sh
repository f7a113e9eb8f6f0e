#!/usr/bin/env bash
# make demo: the LLM training sweep at 2x, built-in/uvm_like vs llm_layer, in
# the guest (bench/guest-demo.sh). Well under two minutes under TCG.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$top/vmtest/run.sh" --no-build --timeout 300 -- gmem-demo
