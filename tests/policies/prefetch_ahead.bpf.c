// SPDX-License-Identifier: GPL-2.0
/*
 * prefetch_ahead: on every device fault, prefetch the next `ahead` blocks of
 * the object. With ahead = 0 the hook prefetches nothing, which also turns
 * the built-in prefetch off (a policy with a prefetch hook owns prefetch):
 * the tests' no-prefetch baseline.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile u32 ahead = 3;

u64 requested;		/* blocks bpf_gmem_prefetch() accepted */

void GMEM_HOOK(pa_prefetch, struct gmem_fault_ctx *fc)
{
	u32 n = ahead;
	s32 ret;

	if (!n || fc->idx + 1 >= fc->nr_blocks)
		return;
	if (n > fc->nr_blocks - fc->idx - 1)
		n = fc->nr_blocks - fc->idx - 1;
	ret = bpf_gmem_prefetch(fc, fc->blk_id + 1, n);
	if (ret > 0)
		requested += ret;
}

GMEM_OPS_DEFINE(prefetch_ahead_ops,
	.prefetch	= (void *)pa_prefetch,
	.name		= "prefetch_ahead");
