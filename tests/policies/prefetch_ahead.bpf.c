// SPDX-License-Identifier: GPL-2.0
/*
 * prefetch_ahead: on every device fault, prefetch the next `ahead` blocks of
 * the object; with `access_ahead`, also on every access the device reports
 * (bpf_gmem_prefetch_dev() from the accessed hook); with `access_behind`,
 * the blocks before the accessed one instead. With ahead = 0 the
 * prefetch hook prefetches nothing, which also turns the built-in prefetch
 * off (a policy with a prefetch hook owns prefetch): the tests' no-prefetch
 * baseline.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile u32 ahead = 3;
const volatile u32 access_ahead;
const volatile u32 access_behind;

u64 requested;		/* blocks bpf_gmem_prefetch() accepted */
u64 access_requested;	/* blocks bpf_gmem_prefetch_dev() accepted in accessed */
s32 wrong_dev_ret;	/* bpf_gmem_prefetch_dev() for another device */

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

void GMEM_HOOK(pa_accessed, u32 dev, u64 blk_id, u32 write)
{
	u32 n = access_ahead, idx = gmem_blk_idx(blk_id);
	u64 start, size;
	s64 nr;
	s32 ret;

	if (access_behind && idx) {
		n = access_behind < idx ? access_behind : idx;
		ret = bpf_gmem_prefetch_dev(dev, blk_id - n, n);
		if (ret > 0)
			access_requested += ret;
		return;
	}
	if (!n)
		return;
	nr = bpf_gmem_obj_range(gmem_blk_obj(blk_id), &start, &size);
	if (nr <= 0 || idx + 1 >= nr)
		return;
	if (n > nr - idx - 1)
		n = nr - idx - 1;
	wrong_dev_ret = bpf_gmem_prefetch_dev(dev + 1, blk_id + 1, n);
	ret = bpf_gmem_prefetch_dev(dev, blk_id + 1, n);
	if (ret > 0)
		access_requested += ret;
}

GMEM_OPS_DEFINE(prefetch_ahead_ops,
	.prefetch	= (void *)pa_prefetch,
	.accessed	= (void *)pa_accessed,
	.name		= "prefetch_ahead");
