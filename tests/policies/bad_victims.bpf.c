// SPDX-License-Identifier: GPL-2.0
/*
 * bad_victims (broken on purpose): every evict call nominates a block id
 * that does not exist, the block being faulted in, the last block that left
 * the device, then walks its list of resident blocks without skipping pinned
 * ones, and finally offers the first listed block again (a duplicate when
 * the core asked for more than one victim). Each invalid kind must be
 * rejected and counted by reason while the built-in policy completes the
 * eviction when needed.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

static s64 resident;
static u64 last_evicted;

s32 GMEM_HOOK(bv_init)
{
	resident = bpf_gmem_list_create();
	return resident < 0 ? resident : 0;
}

void GMEM_HOOK(bv_activated, u32 dev, u64 blk_id, u32 how)
{
	bpf_gmem_list_add(resident, blk_id, true);
}

void GMEM_HOOK(bv_evicted, u32 dev, u64 blk_id)
{
	last_evicted = blk_id;
}

void GMEM_HOOK(bv_evict, struct gmem_evict_ctx *ec)
{
	u64 first = bpf_gmem_list_first(resident), id;

	bpf_gmem_evict_nominate(ec, gmem_blk_id(0x7fffffff, 0));	/* BAD_ID */
	bpf_gmem_evict_nominate(ec, ec->busy_blk_id);			/* BUSY */
	if (last_evicted)
		bpf_gmem_evict_nominate(ec, last_evicted);		/* NOT_RESIDENT */
	gmem_list_for_each(resident, id, 64)				/* PINNED, ok */
		if (bpf_gmem_evict_nominate(ec, id) == 0)
			break;
	if (first)
		bpf_gmem_evict_nominate(ec, first);			/* DUP */
}

GMEM_OPS_DEFINE(bad_victims_ops,
	.init		= (void *)bv_init,
	.activated	= (void *)bv_activated,
	.evicted	= (void *)bv_evicted,
	.evict		= (void *)bv_evict,
	.name		= "bad_victims");
