// SPDX-License-Identifier: GPL-2.0
/*
 * map_fifo: FIFO eviction kept in the policy's own memory instead of a
 * kernel list, the way a policy with its own data structure works. A block
 * takes a slot when it arrives (activated) and gives it back when it leaves
 * (evicted); the evict hook nominates the oldest slots, without asking
 * bpf_gmem_block_state() first. A block of an object that munmap is
 * destroying keeps its slot until its own evicted call, so this policy
 * names dying blocks: the core must answer -ENOENT without counting an
 * invalid decision (test_bpf_lifecycle `map_policy_names_dying_blocks`). It drops
 * such an id and counts it in `stale`.
 *
 * Hooks run concurrently on different CPUs: a slot changes hands only by
 * compare-and-swap of its id. 64 slots: for tests with small HBMs; a block
 * that finds none is left to the built-in policy.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

#define NR_SLOTS	64
#define ENOENT		2
#define ENOSPC		28
#define EVICT_MAX	8	/* nominations tried per evict call */

struct mf_slot {
	u64 id;		/* block id; 0: free */
	u64 seq;	/* arrival order */
};

struct mf_slot slots[NR_SLOTS];
u64 arrivals;		/* last seq handed out */
u64 nominated;		/* nominations accepted */
u64 stale;		/* nominations answered -ENOENT (block unknown or dying) */
u64 unslotted;		/* arrivals that found no free slot */

void GMEM_HOOK(mf_activated, u32 dev, u64 blk_id, u32 how)
{
	u32 i;

	bpf_for(i, 0, NR_SLOTS) {
		struct mf_slot *s = &slots[i];

		if (__sync_val_compare_and_swap(&s->id, 0, blk_id) == 0) {
			s->seq = __sync_add_and_fetch(&arrivals, 1);
			return;
		}
	}
	__sync_fetch_and_add(&unslotted, 1);
}

void GMEM_HOOK(mf_evicted, u32 dev, u64 blk_id)
{
	u32 i;

	bpf_for(i, 0, NR_SLOTS)
		if (__sync_val_compare_and_swap(&slots[i].id, blk_id, 0) == blk_id)
			return;
}

/* The oldest slot not in @tried, or NR_SLOTS. */
static u32 oldest(u64 tried)
{
	u64 best = ~0ull;
	u32 i, at = NR_SLOTS;

	bpf_for(i, 0, NR_SLOTS) {
		struct mf_slot *s = &slots[i];

		if (s->id && !(tried & (1ull << i)) && s->seq < best) {
			best = s->seq;
			at = i;
		}
	}
	return at;
}

void GMEM_HOOK(mf_evict, struct gmem_evict_ctx *ec)
{
	u64 tried = 0, id;
	u32 n, i;
	s32 left;

	bpf_for(n, 0, EVICT_MAX) {
		i = oldest(tried);
		if (i >= NR_SLOTS)
			return;
		tried |= 1ull << i;
		id = slots[i].id;
		left = bpf_gmem_evict_nominate(ec, id);
		if (left >= 0)
			__sync_fetch_and_add(&nominated, 1);
		if (left == -ENOENT) {
			__sync_val_compare_and_swap(&slots[i].id, id, 0);
			__sync_fetch_and_add(&stale, 1);
		}
		if (left == 0 || left == -ENOSPC)
			return;
	}
}

GMEM_OPS_DEFINE(map_fifo_ops,
	.activated	= (void *)mf_activated,
	.evicted	= (void *)mf_evicted,
	.evict		= (void *)mf_evict,
	.name		= "map_fifo");
