// SPDX-License-Identifier: GPL-2.0
/*
 * fault_prefetch: prefetch_ahead's fault-time prefetch requested from the
 * fault hook itself (GMEM_OPS_FAULT_PREFETCH): on every device fault, the
 * next `ahead` blocks of the object. There is no prefetch hook, and the
 * flag keeps the built-in read-ahead off: with ahead = 0 nothing is
 * prefetched even when gmem.builtin_prefetch is on.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile u32 ahead = 3;

u64 requested;		/* blocks bpf_gmem_prefetch() accepted */
s32 last_ret;		/* its last return value */

s32 GMEM_HOOK(fp_fault, struct gmem_fault_ctx *fc)
{
	u32 n = ahead;

	if (!n || fc->idx + 1 >= fc->nr_blocks)
		return GMEM_PLACE_MIGRATE;
	if (n > fc->nr_blocks - fc->idx - 1)
		n = fc->nr_blocks - fc->idx - 1;
	last_ret = bpf_gmem_prefetch(fc, fc->blk_id + 1, n);
	if (last_ret > 0)
		requested += last_ret;
	return GMEM_PLACE_MIGRATE;
}

GMEM_OPS_DEFINE(fault_prefetch_ops,
	.fault		= (void *)fp_fault,
	.flags		= GMEM_OPS_FAULT_PREFETCH,
	.name		= "fault_prefetch");
