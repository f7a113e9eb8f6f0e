// SPDX-License-Identifier: GPL-2.0
/*
 * mru: evict the most recently used block first. Not a good policy for most
 * workloads; the tests use it because its victims differ from LRU's and
 * FIFO's on the same trace, so a changed eviction order is visible in the
 * fault counts. The list keeps the most recent block at the head.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

static s64 mru;

s32 GMEM_HOOK(mru_init)
{
	mru = bpf_gmem_list_create();
	return mru < 0 ? mru : 0;
}

void GMEM_HOOK(mru_activated, u32 dev, u64 blk_id, u32 how)
{
	bpf_gmem_list_move(mru, blk_id, false);
}

/* Remote (bus-mapped) blocks are not resident: list_move refuses them. */
void GMEM_HOOK(mru_accessed, u32 dev, u64 blk_id, u32 write)
{
	bpf_gmem_list_move(mru, blk_id, false);
}

void GMEM_HOOK(mru_evict, struct gmem_evict_ctx *ec)
{
	struct gmem_block_info bi = {};
	u64 id;

	gmem_list_for_each(mru, id, 1 << 16) {
		if (bpf_gmem_block_state(id, &bi) || bi.dev != ec->dev ||
		    (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)))
			continue;
		if (bpf_gmem_evict_nominate(ec, id) == 0)
			break;
	}
}

GMEM_OPS_DEFINE(mru_ops,
	.init		= (void *)mru_init,
	.activated	= (void *)mru_activated,
	.accessed	= (void *)mru_accessed,
	.evict		= (void *)mru_evict,
	.name		= "mru");
