// SPDX-License-Identifier: GPL-2.0
/*
 * builtin_twin: the built-in C policy (kernel/gm_builtin.c) in BPF, making
 * the same decisions, so that a run under each differs only in where the
 * decisions are made: what `make bench-hook` measures (docs/benchmarks.md).
 *
 *   placement  migrate to the faulting device; remote for blocks preferred
 *              on the host, unless pinned.
 *   prefetch   the next @ahead blocks (gmem.builtin_prefetch, default 1)
 *              not preferred on the host, judged per object every
 *              RA_WINDOW faults exactly as gm_builtin_ra_on() does.
 *   eviction   least recently used first, COLD list, then NORMAL, then HOT,
 *              per device: a block goes to the tail of its class list when it
 *              arrives (activated) and when the device uses it (accessed),
 *              and when a hint changes its class (advise), as the core's
 *              device LRU does. Pinned and busy blocks are never nominated.
 *
 * Differences the decisions cannot see: the read-ahead evidence of an
 * object lives in a map here (no lock: concurrent faults of one object may
 * count a fault twice, which only changes when read-ahead pauses).
 */
#include "gmem.bpf.h"
#include "../../policies/common.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile u32 ahead = 1;		/* gmem.builtin_prefetch */

#define RA_WINDOW	8		/* GM_RA_WINDOW */
#define RA_ON_SEQ	(RA_WINDOW - 1)	/* GM_RA_ON_SEQ */
#define EVICT_WALK	(4 * 64)	/* gm_builtin_evict()'s per-list look budget */

enum { L_COLD, L_NORMAL, L_HOT, L_NR };

struct ra {
	u32 prev, faults, seq, off;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u32);
	__type(value, struct ra);
} twin_ra SEC(".maps");

static const struct ra ra_zero;

s32 GMEM_HOOK(tw_init)
{
	return gmp_create_lists(L_NR);
}

/* gm_lru_class(): COLD before HOT; pinned blocks are on no list of ours. */
static __always_inline u32 tw_class(u32 flags)
{
	if (flags & GMEM_BF_COLD)
		return L_COLD;
	if (flags & GMEM_BF_HOT)
		return L_HOT;
	return L_NORMAL;
}

/* The device used or received @blk_id: the tail of its class list. */
static __always_inline void tw_touch(u64 blk_id)
{
	struct gmem_block_info bi = {};

	if (bpf_gmem_block_state(blk_id, &bi) || !(bi.flags & GMEM_BF_RESIDENT) ||
	    (bi.flags & GMEM_BF_PINNED))
		return;
	bpf_gmem_list_move(gmp_list(bi.dev, tw_class(bi.flags)), blk_id, true);
}

void GMEM_HOOK(tw_activated, u32 dev, u64 blk_id, u32 how)
{
	tw_touch(blk_id);
}

void GMEM_HOOK(tw_accessed, u32 dev, u64 blk_id, u32 write)
{
	tw_touch(blk_id);
}

s32 GMEM_HOOK(tw_fault, struct gmem_fault_ctx *fc)
{
	struct gmem_block_info bi = {};

	if (!bpf_gmem_block_state(fc->blk_id, &bi) && bi.pref_dev == GMEM_PREF_HOST &&
	    !(bi.flags & GMEM_BF_PINNED))
		return GMEM_PLACE_REMOTE;
	return GMEM_PLACE_MIGRATE;
}

/* gm_builtin_ra_on(): is read-ahead on for @fc's object after this fault? */
static __always_inline bool tw_ra_on(const struct gmem_fault_ctx *fc, u32 n)
{
	struct gmem_block_info bi = {};
	u32 obj = fc->obj, idx = fc->idx, p;
	bool seq, next_used = false;
	struct ra *ra;

	ra = gmp_lookup_or_init(&twin_ra, &obj, &ra_zero);
	if (!ra)
		return true;
	p = ra->prev;
	/* Past the read-ahead: sequential only if the read-ahead was used. */
	if (!ra->off && idx == p + 1 + n &&
	    !bpf_gmem_block_state(gmem_blk_id(obj, p + 1), &bi))
		next_used = !(bi.flags & GMEM_BF_PREFETCHED);
	seq = idx == p + 1 || next_used;
	ra->seq += seq;
	ra->prev = idx;
	if (++ra->faults >= RA_WINDOW) {
		if (ra->off)
			ra->off = ra->seq < RA_ON_SEQ;
		else
			ra->off = 3 * ra->seq < 2 * ra->faults;
		ra->faults = ra->seq = 0;
	}
	return !ra->off;
}

void GMEM_HOOK(tw_prefetch, struct gmem_fault_ctx *fc)
{
	u32 n = ahead < GMEM_PREFETCH_BUDGET ? ahead : GMEM_PREFETCH_BUDGET, i, idx;
	struct gmem_block_info bi = {};

	if (n && !tw_ra_on(fc, n))
		return;
	bpf_for(i, 1, n + 1) {
		idx = fc->idx + i;
		if (idx >= fc->nr_blocks)
			break;
		bi.pref_dev = GMEM_NO_DEV;
		if (!bpf_gmem_block_state(gmem_blk_id(fc->obj, idx), &bi) &&
		    bi.pref_dev == GMEM_PREF_HOST)
			continue;
		bpf_gmem_prefetch(fc, gmem_blk_id(fc->obj, idx), 1);
	}
}

/* Nominate from the head of one list; false once no more victims are wanted. */
static __always_inline bool tw_evict_list(struct gmem_evict_ctx *ec, s64 list)
{
	struct gmem_block_info bi = {};
	u64 id;

	gmem_list_for_each(list, id, EVICT_WALK) {
		if (!gmp_victim_ok(ec, id, &bi))
			continue;
		if (bpf_gmem_evict_nominate(ec, id) == 0)
			return false;	/* enough */
	}
	return true;
}

void GMEM_HOOK(tw_evict, struct gmem_evict_ctx *ec)
{
	if (tw_evict_list(ec, gmp_list(ec->dev, L_COLD)) &&
	    tw_evict_list(ec, gmp_list(ec->dev, L_NORMAL)))
		tw_evict_list(ec, gmp_list(ec->dev, L_HOT));
}

/* A hint that changes a class moves resident blocks to their new list's tail. */
void GMEM_HOOK(tw_advise, u32 obj, u32 first, u32 nr, u32 advice, u64 value)
{
	struct gmem_block_info bi = {};
	u32 i, n = nr < 4096 ? nr : 4096;
	u64 id;

	if (advice != GMEM_ADV_HOT && advice != GMEM_ADV_COLD && advice != GMEM_ADV_UNPIN)
		return;
	bpf_for(i, 0, n) {
		id = gmem_blk_id(obj, first + i);
		if (bpf_gmem_block_state(id, &bi) || !(bi.flags & GMEM_BF_RESIDENT) ||
		    (bi.flags & GMEM_BF_PINNED))
			continue;
		if (bi.list != gmp_list(bi.dev, tw_class(bi.flags)))
			bpf_gmem_list_move(gmp_list(bi.dev, tw_class(bi.flags)), id, true);
	}
}

void GMEM_HOOK(tw_obj_exit, u32 obj)
{
	bpf_map_delete_elem(&twin_ra, &obj);
}

GMEM_OPS_DEFINE(builtin_twin_ops,
	.init		= (void *)tw_init,
	.fault		= (void *)tw_fault,
	.prefetch	= (void *)tw_prefetch,
	.activated	= (void *)tw_activated,
	.accessed	= (void *)tw_accessed,
	.evict		= (void *)tw_evict,
	.advise		= (void *)tw_advise,
	.obj_exit	= (void *)tw_obj_exit,
	.name		= "builtin_twin");
