// SPDX-License-Identifier: GPL-2.0
/*
 * lfu.bpf.c: the second policy of docs/writing-policies.md.
 * Evict the least frequently used of the oldest resident blocks: a block
 * in use stays, however long ago it arrived, while one that is no longer
 * used leaves once it is among the oldest.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile char gmem_desc[] = "tutorial: least frequently used of the oldest blocks";

const volatile u32 sample = 16;		/* oldest blocks compared per victim */
const volatile u32 scan_max = 65536;	/* longest walk of the list per victim */

/* Per resident block, keyed by block id: `bpftool map dump name lfu_blocks`. */
struct lfu_block {
	u64 uses;		/* device accesses since it arrived */
	u64 picked;		/* evict call that nominated it, to never pick it twice */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);	/* >= resident blocks of all devices */
	__type(key, u64);
	__type(value, struct lfu_block);
} lfu_blocks SEC(".maps");

static s64 resident;		/* kernel list of resident blocks, oldest first */
static u64 evict_calls;
/* Totals since the policy was attached: `bpftool map dump name lfu.bss`. */
static u64 arrivals, uses, victims;

s32 GMEM_HOOK(lfu_init)
{
	resident = bpf_gmem_list_create();
	return resident < 0 ? resident : 0;
}

void GMEM_HOOK(lfu_activated, u32 dev, u64 blk_id, u32 how)
{
	struct lfu_block b = { .uses = 1 };

	arrivals++;
	/* Track only what we can count: a block without a record is not listed. */
	if (bpf_map_update_elem(&lfu_blocks, &blk_id, &b, BPF_ANY) == 0)
		bpf_gmem_list_add(resident, blk_id, true);
}

void GMEM_HOOK(lfu_accessed, u32 dev, u64 blk_id, u32 write)
{
	struct lfu_block *b = bpf_map_lookup_elem(&lfu_blocks, &blk_id);

	uses++;
	if (b)
		b->uses++;
}

/* The block leaves its device (the core unlists it after this): forget it. */
void GMEM_HOOK(lfu_evicted, u32 dev, u64 blk_id)
{
	bpf_map_delete_elem(&lfu_blocks, &blk_id);
}

/* The least used of the first `sample` candidates on the list, or 0. */
static u64 lfu_pick(struct gmem_evict_ctx *ec)
{
	struct gmem_block_info bi = {};
	struct lfu_block *b;
	u64 id, best = 0, best_uses = ~0ULL;
	u32 seen = 0;

	gmem_list_for_each(resident, id, scan_max) {
		if (id == ec->busy_blk_id || bpf_gmem_block_state(id, &bi))
			continue;
		if (bi.dev != ec->dev || (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)))
			continue;
		b = bpf_map_lookup_elem(&lfu_blocks, &id);
		if (!b || b->picked == evict_calls)
			continue;
		if (b->uses < best_uses) {
			best = id;
			best_uses = b->uses;
		}
		if (++seen >= sample)
			break;
	}
	return best;
}

void GMEM_HOOK(lfu_evict, struct gmem_evict_ctx *ec)
{
	struct lfu_block *b;
	u64 victim;
	s32 left;
	u32 i;

	evict_calls++;
	bpf_for(i, 0, ec->nr) {
		victim = lfu_pick(ec);
		if (!victim)
			break;		/* the built-in policy finds the rest */
		left = bpf_gmem_evict_nominate(ec, victim);
		if (left < 0)
			break;		/* refused (and counted): let the built-in finish */
		b = bpf_map_lookup_elem(&lfu_blocks, &victim);
		if (b)
			b->picked = evict_calls;
		victims++;
		if (left == 0)
			break;
	}
}

GMEM_OPS_DEFINE(lfu_ops,
	.init		= (void *)lfu_init,
	.activated	= (void *)lfu_activated,
	.accessed	= (void *)lfu_accessed,
	.evicted	= (void *)lfu_evicted,
	.evict		= (void *)lfu_evict,
	.name		= "tutorial_lfu");
