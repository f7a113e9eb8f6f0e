// SPDX-License-Identifier: GPL-2.0
/*
 * s3fifo: S3-FIFO eviction (Yang et al., "FIFO queues are all you need for
 * cache eviction", SOSP 2023) over each device's HBM.
 *
 * What it decides: eviction only (placement and prefetch stay built-in).
 *
 * Why: most blocks brought in by a one-off pass are never used again. A
 * small FIFO filters them out quickly, while blocks that proved useful live
 * in a main FIFO with a second chance per reuse; a ghost list catches blocks
 * the small FIFO let go too early. A hit moves nothing, it only counts.
 *
 * Per device two kernel-owned lists, oldest first: `small` (new arrivals) and
 * `main`. A block arrives in main if it is a ghost (it left the small FIFO
 * no more than ghost_pct percent of HBM capacity ghosts ago), else in small.
 * Device accesses raise its frequency (0..3); the fault that brought it in
 * does not count. To evict: while small holds at least small_pct percent of
 * HBM, its oldest block moves to main if it was used at least move_to_main
 * times since arriving, else it goes and becomes a ghost; otherwise the
 * oldest block of main goes if its frequency is 0, or has it decremented and
 * moves to main's tail. Blocks that may not go now (pinned, busy) are rotated
 * to their list's tail.
 *
 * Maps (bpftool map dump name ...):
 *   s3_obj    per vm_object id: struct s3_obj (arrivals by list, moves to
 *             main, second chances, victims by list)
 *   s3_blk    per resident block id: struct s3_blk (frequency)
 *   s3_ghost  per block id that left the small FIFO: its ghost sequence number
 */
#include "common.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile char gmem_desc[96] =
	"S3-FIFO: small FIFO filters one-off blocks, main FIFO with reuse credit, ghosts";

/* Share of HBM, in percent, the small FIFO may hold before it must give up blocks. */
const volatile u32 small_pct = 10;
/* Accesses while in the small FIFO that earn a place in main. */
const volatile u32 move_to_main = 2;
/* Ghosts remembered, in percent of HBM capacity (the paper: main's size). */
const volatile u32 ghost_pct = 90;
/* Longest walk of one evict call, counting moves and skips. */
const volatile u32 scan_max = 1 << 16;

enum s3_which { S3_SMALL, S3_MAIN, S3_NR_LISTS };
#define S3_FREQ_MAX	3

struct s3_obj {
	u64 arrivals[2];	/* into small, into main (ghost hit) */
	u64 to_main;		/* small -> main: reused while small */
	u64 second_chances;	/* main blocks reused since their last pass: kept */
	u64 victims[2];		/* nominated from small, from main */
};

struct s3_blk {
	u32 freq;		/* device accesses since arrival or last pass, max 3 */
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);		/* vm_object id */
	__type(value, struct s3_obj);
} s3_obj SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 17);
	__type(key, u64);		/* block id, resident */
	__type(value, struct s3_blk);
} s3_blk SEC(".maps");

/*
 * The size only bounds memory (LRU hashes are preallocated): ghost_pct
 * decides what still counts as a ghost. 90% of a 64 MiB HBM of 4 KiB blocks
 * is 14746 ghosts.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 15);
	__type(key, u64);		/* block id */
	__type(value, u64);		/* s3_ghost_seq when it became a ghost */
} s3_ghost SEC(".maps");

static const struct s3_obj s3_obj_zero;
static u64 s3_ghost_seq;		/* ghosts made so far (atomic) */

static __always_inline struct s3_obj *obj_of(u64 blk_id)
{
	u32 obj = gmem_blk_obj(blk_id);

	return gmp_lookup_or_init(&s3_obj, &obj, &s3_obj_zero);
}

/* Was @blk_id a ghost recent enough to count? Either way it is one no more. */
static __always_inline bool s3_was_ghost(u32 dev, u64 blk_id)
{
	u64 *seq = bpf_map_lookup_elem(&s3_ghost, &blk_id);
	s64 cap;
	bool hit;

	if (!seq)
		return false;
	cap = bpf_gmem_dev_capacity(dev);
	hit = cap > 0 && s3_ghost_seq - *seq < (u64)cap * ghost_pct / 100;
	bpf_map_delete_elem(&s3_ghost, &blk_id);
	return hit;
}

s32 GMEM_HOOK(s3_init)
{
	return gmp_create_lists(S3_NR_LISTS);
}

void GMEM_HOOK(s3_activated, u32 dev, u64 blk_id, u32 how)
{
	u32 to = s3_was_ghost(dev, blk_id) ? S3_MAIN : S3_SMALL;
	struct s3_blk b = {};
	struct s3_obj *o;

	bpf_map_update_elem(&s3_blk, &blk_id, &b, BPF_ANY);
	bpf_gmem_list_move(gmp_list(dev, to), blk_id, true);
	o = obj_of(blk_id);
	if (o)
		__sync_fetch_and_add(&o->arrivals[gmp_idx(to, 2)], 1);
}

/* A hit only counts; a block that lost its list (a failed eviction) rejoins main. */
void GMEM_HOOK(s3_accessed, u32 dev, u64 blk_id, u32 write)
{
	struct s3_blk *b = bpf_map_lookup_elem(&s3_blk, &blk_id);
	struct gmem_block_info bi = {};

	/* Racing accesses may both pass the check: freq may reach MAX + 1 (harmless). */
	if (b && b->freq < S3_FREQ_MAX)
		__sync_fetch_and_add(&b->freq, 1);
	if (!bpf_gmem_block_state(blk_id, &bi) && (bi.flags & GMEM_BF_RESIDENT) && bi.list < 0)
		bpf_gmem_list_move(gmp_list(dev, S3_MAIN), blk_id, true);
}

void GMEM_HOOK(s3_evicted, u32 dev, u64 blk_id)
{
	bpf_map_delete_elem(&s3_blk, &blk_id);
}

/*
 * Nominate @id; it leaves the lists now so no later step sees it again.
 * Returns victims still wanted, or < 0 if the core refused it.
 */
static __always_inline s32 s3_take(struct gmem_evict_ctx *ec, u64 id, u32 from)
{
	s32 left = bpf_gmem_evict_nominate(ec, id);
	struct s3_obj *o;
	u64 seq;

	if (left < 0)
		return left;
	bpf_gmem_list_del(id);
	o = obj_of(id);
	if (o)
		__sync_fetch_and_add(&o->victims[gmp_idx(from, 2)], 1);
	if (from == S3_SMALL) {
		__sync_fetch_and_add(&s3_ghost_seq, 1);
		seq = s3_ghost_seq;	/* ours or later: an age, not an identity */
		bpf_map_update_elem(&s3_ghost, &id, &seq, BPF_ANY);
	}
	return left;
}

/*
 * One less, never below 0, from one read of the value: an evict call on
 * another CPU may take the same block's second chance, or an access raise
 * it, meanwhile; then one of the updates is lost, which costs at most one
 * pass of the block, never an underflow. (A compare-and-swap would need
 * -mcpu=v3.)
 */
static __always_inline void s3_freq_dec(struct s3_blk *b)
{
	volatile u32 *freq = &b->freq;
	u32 f = *freq;

	if (f)
		*freq = f - 1;
}

/*
 * One step on the oldest block of @from: move it on, or nominate it.
 * Returns victims still wanted (0: done), or -1 when @from is empty. Blocks
 * that may not go now are rotated to the tail and counted in *@skips.
 */
static __always_inline s32 s3_step(struct gmem_evict_ctx *ec, u32 from, u32 *skips)
{
	s64 main = gmp_list(ec->dev, S3_MAIN), list = gmp_list(ec->dev, from);
	struct gmem_block_info bi = {};
	u64 id = bpf_gmem_list_first(list);
	struct s3_blk *b;
	struct s3_obj *o;
	s32 left;

	if (!id)
		return -1;
	if (!gmp_victim_ok(ec, id, &bi))
		goto skip;
	b = bpf_map_lookup_elem(&s3_blk, &id);
	if (from == S3_SMALL && b && b->freq >= move_to_main) {
		bpf_gmem_list_move(main, id, true);
		o = obj_of(id);
		if (o)
			__sync_fetch_and_add(&o->to_main, 1);
		return 1;
	}
	if (from == S3_MAIN && b && b->freq) {
		s3_freq_dec(b);
		bpf_gmem_list_move(main, id, true);
		o = obj_of(id);
		if (o)
			__sync_fetch_and_add(&o->second_chances, 1);
		return 1;
	}
	left = s3_take(ec, id, from);
	if (left >= 0)
		return left;
skip:
	(*skips)++;
	bpf_gmem_list_move(list, id, true);
	return 1;
}

void GMEM_HOOK(s3_evict, struct gmem_evict_ctx *ec)
{
	s64 small = gmp_list(ec->dev, S3_SMALL), main = gmp_list(ec->dev, S3_MAIN);
	s64 cap = bpf_gmem_dev_capacity(ec->dev), ns, nm;
	u32 i, skips = 0;
	s32 left;

	bpf_for(i, 0, scan_max) {
		ns = bpf_gmem_list_len(small);
		nm = bpf_gmem_list_len(main);
		/* Empty, or every block left was skipped: none of them may go now. */
		if ((ns <= 0 && nm <= 0) || skips > ns + nm)
			break;
		if (ns > 0 && (nm <= 0 || ns * 100 >= (s64)small_pct * cap))
			left = s3_step(ec, S3_SMALL, &skips);
		else
			left = s3_step(ec, S3_MAIN, &skips);
		if (left <= 0)
			break;
	}
}

void GMEM_HOOK(s3_obj_exit, u32 obj)
{
	bpf_map_delete_elem(&s3_obj, &obj);
}

GMEM_OPS_DEFINE(s3fifo_ops,
	.init		= (void *)s3_init,
	.activated	= (void *)s3_activated,
	.accessed	= (void *)s3_accessed,
	.evicted	= (void *)s3_evicted,
	.evict		= (void *)s3_evict,
	.obj_exit	= (void *)s3_obj_exit,
	.name		= "s3fifo");
