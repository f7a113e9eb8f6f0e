// SPDX-License-Identifier: GPL-2.0
/*
 * builtin_lru: the built-in policy's LRU eviction written in BPF, to measure
 * what the hooks cost: the same victims as the C policy (arrival and every
 * device access move a block to the tail; victims come from the head), so
 * a run under each differs only in where the decision is made. Prefetch and
 * placement stay with the built-in policy.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

static s64 lru;

s32 GMEM_HOOK(blru_init)
{
	lru = bpf_gmem_list_create();
	return lru < 0 ? lru : 0;
}

void GMEM_HOOK(blru_activated, u32 dev, u64 blk_id, u32 how)
{
	bpf_gmem_list_move(lru, blk_id, true);
}

void GMEM_HOOK(blru_accessed, u32 dev, u64 blk_id, u32 write)
{
	bpf_gmem_list_move(lru, blk_id, true);
}

void GMEM_HOOK(blru_evict, struct gmem_evict_ctx *ec)
{
	struct gmem_block_info bi = {};
	u64 id;

	gmem_list_for_each(lru, id, 1 << 16) {
		if (bpf_gmem_block_state(id, &bi) || bi.dev != ec->dev ||
		    (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)))
			continue;
		if (bpf_gmem_evict_nominate(ec, id) == 0)
			break;
	}
}

GMEM_OPS_DEFINE(builtin_lru_ops,
	.init		= (void *)blru_init,
	.activated	= (void *)blru_activated,
	.accessed	= (void *)blru_accessed,
	.evict		= (void *)blru_evict,
	.name		= "builtin_lru");
