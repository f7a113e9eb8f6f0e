// SPDX-License-Identifier: GPL-2.0
/*
 * lru_cold: evict the blocks the devices accessed least recently, with the
 * kernel page LRU's two-list ageing so that one touch long ago loses to
 * repeated touches.
 *
 * What it decides: eviction only (placement and prefetch stay built-in).
 *
 * Why: UVM evicts by allocation time, so a block the accelerator reads every
 * iteration goes as soon as it is the oldest arrival. Access recency keeps the
 * working set; the active/inactive split, as in mm/vmscan.c, keeps a large
 * one-off scan from flushing it: a block arrives on the inactive list, and
 * only a second touch while it is there promotes it to the active list.
 *
 * Per device the policy keeps four kernel-owned lists of resident blocks,
 * least recently accessed first, and takes victims in this order:
 *   cold      blocks the user hinted GMEM_ADV_COLD: first to go
 *   inactive  touched once since they arrived (or since demoted)
 *   active    touched at least twice
 *   hot       blocks hinted GMEM_ADV_HOT: only when nothing else can go
 * A fault counts as the first touch of the block it brings in; a prefetched
 * block arrives untouched. Ageing runs before victims are picked: while the
 * active list holds more than active_pct percent of the active + inactive
 * blocks, its oldest block is demoted to the inactive tail and must earn its
 * promotion again (the kernel's inactive_is_low()/shrink_active_list()).
 * Pinned blocks stay listed but are never nominated (the core would refuse
 * them anyway). Blocks already resident when the policy attached join a list
 * at their next access; until then only the built-in LRU can evict them.
 *
 * Maps (bpftool map dump name ...):
 *   lru_obj  per vm_object id: struct lru_obj_stat (arrivals, touches,
 *            promotions, demotions, victims by list, hints seen)
 *   lru_blk  per resident block id: struct lru_blk (touches, last touch tick,
 *            referenced bit)
 */
#include "common.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile char gmem_desc[96] =
	"LRU by device access with active/inactive ageing; COLD first, HOT last";

/* Largest share of the active + inactive blocks, in percent, the active list may hold. */
const volatile u32 active_pct = 50;
/* Longest list walk of one evict call (a 64 MiB HBM of 4 KiB blocks: 16384). */
const volatile u32 scan_max = 1 << 16;
/* Blocks one evict call may demote from active to inactive. */
const volatile u32 demote_max = 64;
/* Longest range an advise call re-sorts (HOT/COLD hints on resident blocks). */
const volatile u32 advise_max = 1 << 14;

/* The lists of each device (gmp_list(dev, which)), in victim order. */
enum lru_which { LRU_COLD, LRU_INACTIVE, LRU_ACTIVE, LRU_HOT, LRU_NR_LISTS };

static u64 lru_tick;		/* device accesses seen: the policy's clock (atomic) */

struct lru_obj_stat {
	u64 arrivals;		/* blocks that became resident (demand, prefetch, hint) */
	u64 touches;		/* device accesses to resident blocks */
	u64 promotions;		/* inactive -> active */
	u64 demotions;		/* active -> inactive by ageing */
	u64 victims[LRU_NR_LISTS];	/* nominated, by list (cold, inactive, active, hot) */
	u64 departures;		/* blocks that left a device (evicted or pulled back) */
	u64 hot_hinted;		/* blocks named by GMEM_ADV_HOT hints */
	u64 cold_hinted;	/* blocks named by GMEM_ADV_COLD hints */
};

struct lru_blk {
	u64 touches;		/* device accesses since it arrived */
	u64 last_touch;		/* lru_tick at the last one */
	u32 referenced;		/* touched on the inactive list: next touch promotes */
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);		/* vm_object id */
	__type(value, struct lru_obj_stat);
} lru_obj SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 17);	/* resident blocks of all devices */
	__type(key, u64);		/* block id */
	__type(value, struct lru_blk);
} lru_blk SEC(".maps");

static const struct lru_obj_stat lru_obj_zero;

static __always_inline struct lru_obj_stat *obj_stat(u64 blk_id)
{
	u32 obj = gmem_blk_obj(blk_id);

	return gmp_lookup_or_init(&lru_obj, &obj, &lru_obj_zero);
}

/* Hints choose the list; otherwise where recency put it. */
static __always_inline u32 hinted_list(u32 flags, u32 otherwise)
{
	if (flags & GMEM_BF_HOT)
		return LRU_HOT;
	if (flags & GMEM_BF_COLD)
		return LRU_COLD;
	return otherwise;
}

s32 GMEM_HOOK(lru_init)
{
	return gmp_create_lists(LRU_NR_LISTS);
}

void GMEM_HOOK(lru_activated, u32 dev, u64 blk_id, u32 how)
{
	struct lru_blk b = { .last_touch = lru_tick };
	struct gmem_block_info bi = {};
	struct lru_obj_stat *os;

	if (bpf_gmem_block_state(blk_id, &bi))
		return;
	/* The fault that brought it in was its first touch; a prefetch is not one. */
	if (how == GMEM_ACT_DEMAND) {
		b.touches = 1;
		b.referenced = 1;
	}
	bpf_map_update_elem(&lru_blk, &blk_id, &b, BPF_ANY);
	bpf_gmem_list_move(gmp_list(dev, hinted_list(bi.flags, LRU_INACTIVE)), blk_id, true);
	os = obj_stat(blk_id);
	if (os)
		__sync_fetch_and_add(&os->arrivals, 1);
}

/* Second touch on the inactive list promotes; any touch refreshes recency. */
void GMEM_HOOK(lru_accessed, u32 dev, u64 blk_id, u32 write)
{
	struct lru_blk fresh = {}, *b;
	struct gmem_block_info bi = {};
	struct lru_obj_stat *os;
	u64 now;
	u32 to;

	/* Remote (bus-mapped) blocks take no HBM: nothing to order. */
	if (bpf_gmem_block_state(blk_id, &bi) || !(bi.flags & GMEM_BF_RESIDENT))
		return;
	__sync_fetch_and_add(&lru_tick, 1);
	now = lru_tick;		/* ours or a later tick: recency, not an identity */
	b = bpf_map_lookup_elem(&lru_blk, &blk_id);
	if (!b) {
		/* Resident since before the policy attached: starts inactive. */
		bpf_map_update_elem(&lru_blk, &blk_id, &fresh, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&lru_blk, &blk_id);
		if (!b)
			return;
	}
	os = obj_stat(blk_id);
	__sync_fetch_and_add(&b->touches, 1);
	b->last_touch = now;
	if (bi.list == gmp_list(dev, LRU_ACTIVE)) {
		to = LRU_ACTIVE;
	} else if (bi.list == gmp_list(dev, LRU_INACTIVE) && b->referenced) {
		to = LRU_ACTIVE;
		b->referenced = 0;
		if (os)
			__sync_fetch_and_add(&os->promotions, 1);
	} else {
		to = LRU_INACTIVE;
		b->referenced = 1;
	}
	bpf_gmem_list_move(gmp_list(dev, hinted_list(bi.flags, to)), blk_id, true);
	if (os)
		__sync_fetch_and_add(&os->touches, 1);
}

void GMEM_HOOK(lru_evicted, u32 dev, u64 blk_id)
{
	u32 obj = gmem_blk_obj(blk_id);
	struct lru_obj_stat *os = bpf_map_lookup_elem(&lru_obj, &obj);

	bpf_map_delete_elem(&lru_blk, &blk_id);
	if (os)
		__sync_fetch_and_add(&os->departures, 1);
}

/* Ageing: keep the active list within active_pct of the listed blocks. */
static __always_inline void lru_age(u32 dev)
{
	s64 active = gmp_list(dev, LRU_ACTIVE), inactive = gmp_list(dev, LRU_INACTIVE);
	struct lru_obj_stat *os;
	struct lru_blk *b;
	s64 na, ni;
	u64 id;
	u32 i;

	bpf_for(i, 0, demote_max) {
		na = bpf_gmem_list_len(active);
		ni = bpf_gmem_list_len(inactive);
		if (na <= 0 || na * 100 <= (s64)active_pct * (na + ni))
			break;
		id = bpf_gmem_list_first(active);
		if (bpf_gmem_list_move(inactive, id, true))
			break;
		b = bpf_map_lookup_elem(&lru_blk, &id);
		if (b)
			b->referenced = 0;
		os = obj_stat(id);
		if (os)
			__sync_fetch_and_add(&os->demotions, 1);
	}
}

/* Nominate from @which, oldest first; true once enough victims are chosen. */
static __always_inline bool lru_take(struct gmem_evict_ctx *ec, u32 which)
{
	struct gmem_block_info bi = {};
	struct lru_obj_stat *os;
	s64 list = gmp_list(ec->dev, which);
	s32 left;
	u64 id;

	gmem_list_for_each(list, id, scan_max) {
		if (!gmp_victim_ok(ec, id, &bi))
			continue;
		left = bpf_gmem_evict_nominate(ec, id);
		if (left < 0)
			continue;
		os = obj_stat(id);
		if (os)
			__sync_fetch_and_add(&os->victims[gmp_idx(which, LRU_NR_LISTS)], 1);
		if (left == 0)
			return true;
	}
	return false;
}

void GMEM_HOOK(lru_evict, struct gmem_evict_ctx *ec)
{
	lru_age(ec->dev);
	if (lru_take(ec, LRU_COLD) || lru_take(ec, LRU_INACTIVE) ||
	    lru_take(ec, LRU_ACTIVE))
		return;
	lru_take(ec, LRU_HOT);
}

/* HOT/COLD changed the class of the range: re-sort its resident blocks now. */
void GMEM_HOOK(lru_advise, u32 obj, u32 first, u32 nr, u32 advice, u64 value)
{
	struct gmem_block_info bi = {};
	struct lru_obj_stat *os;
	u32 i, n = nr < advise_max ? nr : advise_max;
	u64 id;

	if (advice != GMEM_ADV_HOT && advice != GMEM_ADV_COLD)
		return;
	os = obj_stat(gmem_blk_id(obj, first));
	if (os) {
		if (advice == GMEM_ADV_HOT)
			__sync_fetch_and_add(&os->hot_hinted, nr);
		else
			__sync_fetch_and_add(&os->cold_hinted, nr);
	}
	bpf_for(i, 0, n) {
		id = gmem_blk_id(obj, first + i);
		if (bpf_gmem_block_state(id, &bi) || !(bi.flags & GMEM_BF_RESIDENT))
			continue;
		bpf_gmem_list_move(gmp_list(bi.dev, hinted_list(bi.flags, LRU_INACTIVE)), id, true);
	}
}

void GMEM_HOOK(lru_obj_exit, u32 obj)
{
	bpf_map_delete_elem(&lru_obj, &obj);
}

GMEM_OPS_DEFINE(lru_cold_ops,
	.init		= (void *)lru_init,
	.activated	= (void *)lru_activated,
	.accessed	= (void *)lru_accessed,
	.evicted	= (void *)lru_evicted,
	.evict		= (void *)lru_evict,
	.advise		= (void *)lru_advise,
	.obj_exit	= (void *)lru_obj_exit,
	.name		= "lru_cold");
