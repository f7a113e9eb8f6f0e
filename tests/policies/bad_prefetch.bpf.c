// SPDX-License-Identifier: GPL-2.0
/*
 * bad_prefetch (broken on purpose): prefetches a block past the end of the
 * faulting object on every fault (rejected as out of range, counted, and
 * ejected past gmem.max_rejects per second), and calls bpf_gmem_prefetch()
 * from the fault hook, where it has no request to add to (-EINVAL).
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

s32 range_ret;		/* last bpf_gmem_prefetch() result past the end */
u32 prefetch_calls;
s32 wrong_hook_ret;	/* bpf_gmem_prefetch() from the fault hook */

s32 GMEM_HOOK(bp_fault, struct gmem_fault_ctx *fc)
{
	wrong_hook_ret = bpf_gmem_prefetch(fc, fc->blk_id, 1);
	return GMEM_PLACE_DEFAULT;
}

void GMEM_HOOK(bp_prefetch, struct gmem_fault_ctx *fc)
{
	prefetch_calls++;
	range_ret = bpf_gmem_prefetch(fc, gmem_blk_id(fc->obj, fc->nr_blocks + 5), 1);
}

GMEM_OPS_DEFINE(bad_prefetch_ops,
	.fault		= (void *)bp_fault,
	.prefetch	= (void *)bp_prefetch,
	.name		= "bad_prefetch");
