// SPDX-License-Identifier: GPL-2.0
/*
 * builtin_twin: the built-in C policy (kernel/gm_builtin.c) in BPF, making
 * the same decisions, so that a run under each differs only in where the
 * decisions are made: what `make bench-hook` measures (docs/benchmarks.md).
 *
 *   placement  migrate to the faulting device; remote for blocks preferred
 *              on the host, unless pinned.
 *   prefetch   the next @ahead blocks (gmem.builtin_prefetch, default 1)
 *              not preferred on the host, within the object's recent
 *              sequential runs (followed as up to 4 interleaved streams)
 *              exactly as gm_builtin_ra_blocks() does, requested from the
 *              fault hook (GMEM_OPS_FAULT_PREFETCH).
 *   eviction   least recently used first, COLD list, then NORMAL, then HOT,
 *              per device, walking the core's LRU lists (gmem_lru_list()),
 *              the order the built-in policy evicts in. Pinned and busy
 *              blocks are never nominated. Until 2026-12-07 the twin kept
 *              these lists itself through the activated, accessed and advise
 *              hooks: 1031 more hook calls in `make bench-hook`'s run
 *              (docs/benchmarks.md has both figures).
 *
 * Differences the decisions cannot see: the read-ahead evidence of an
 * object lives in a map here (no lock: concurrent faults of one object may
 * record a run twice, which only changes how far read-ahead goes).
 */
#include "gmem.bpf.h"
#include "../../policies/common.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile u32 ahead = 1;		/* gmem.builtin_prefetch */

#define RA_NONE		0xffffffff	/* GM_RA_NONE */
#define RA_STREAMS	4		/* GM_RA_STREAMS */
#define RA_STALE	16		/* GM_RA_STALE */
#define RA_RUNS		4		/* GM_RA_RUNS */
#define RA_STARTS_BITS	4		/* GM_RA_STARTS_BITS */
#define RA_STARTS	(1u << RA_STARTS_BITS)

/* gm_ra_slot(): the kernel's hash_32(start, RA_STARTS_BITS). */
static __always_inline u32 ra_slot(u32 start)
{
	return (start * 0x61C88647u) >> (32 - RA_STARTS_BITS);
}
#define EVICT_WALK	(4 * 64)	/* gm_builtin_evict()'s per-list look budget */

/* struct gm_ra_stream */
struct ra_stream {
	u32 prev, ahead, start, age;
};

/* gm_object's ra_* fields. */
struct ra {
	struct ra_stream st[RA_STREAMS];
	u32 clock, nr_runs, next_run;
	u32 runs[RA_RUNS];
	u32 seen_start[RA_STARTS], seen_len[RA_STARTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u32);
	__type(value, struct ra);
} twin_ra SEC(".maps");

static const struct ra ra_zero = {
	.st = { [0] = { .prev = RA_NONE } },
	.seen_start = { [0 ... RA_STARTS - 1] = RA_NONE },
};

/* gm_ra_used(): the device used what stream @st's last fault read ahead. */
static __always_inline bool tw_ra_used(const struct gmem_fault_ctx *fc, const struct ra_stream *st)
{
	struct gmem_block_info bi = {};

	if (st->prev == RA_NONE || !st->ahead || st->prev + 1 >= fc->nr_blocks)
		return false;
	if (st->prev + 1 == fc->idx)
		return true;
	if (bpf_gmem_block_state(gmem_blk_id(fc->obj, st->prev + 1), &bi))
		return false;
	return !(bi.flags & GMEM_BF_PREFETCHED);
}

/* gm_ra_end_run(): stream @st's run ended. */
static __always_inline void tw_end_run(const struct gmem_fault_ctx *fc, struct ra *ra,
				       const struct ra_stream *st)
{
	u32 len = st->prev - st->start + 1 + (tw_ra_used(fc, st) ? st->ahead : 0);
	u32 slot = ra_slot(st->start);

	ra->seen_start[slot] = st->start;
	ra->seen_len[slot] = len;
	ra->runs[ra->next_run % RA_RUNS] = len;
	ra->next_run = (ra->next_run + 1) % RA_RUNS;
	if (ra->nr_runs < RA_RUNS)
		ra->nr_runs++;
}

/*
 * gm_ra_stream_of(): the stream the fault continues (*@seq), or a new one.
 * Plain loops over the 4 streams and 4 runs, which clang unrolls: bpf_for()
 * costs an iterator kfunc call per step, 160 of the 1010 ns a hook call
 * took in `make bench-hook` (icount).
 */
static __always_inline struct ra_stream *tw_stream_of(const struct gmem_fault_ctx *fc,
						      struct ra *ra, bool *seq)
{
	u32 idx = fc->idx, k, old = 0;
	bool restart = false;
	struct ra_stream *st;

	for (k = 0; k < RA_STREAMS; k++) {
		st = &ra->st[k];
		if ((st->age ? ra->clock - st->age < RA_STALE : st->prev == RA_NONE) &&
		    (idx == st->prev + 1 ||
		     (idx == st->prev + 1 + st->ahead && tw_ra_used(fc, st)))) {
			*seq = true;
			if (st->prev == RA_NONE)
				st->start = 0;
			return st;
		}
		if (restart)
			continue;
		if (st->age && st->start == idx) {
			old = k;
			restart = true;
		} else if (st->age < ra->st[old & (RA_STREAMS - 1)].age) {
			old = k;
		}
	}
	*seq = false;
	st = &ra->st[old & (RA_STREAMS - 1)];
	if (st->age && st->prev != RA_NONE)
		tw_end_run(fc, ra, st);
	st->start = idx;
	return st;
}

/* gm_builtin_ra_blocks(): how many of the @n blocks after the fault to read ahead. */
static __always_inline u32 tw_ra_blocks(const struct gmem_fault_ctx *fc, u32 n)
{
	u32 obj = fc->obj, idx = fc->idx, i, shortest = 0xffffffff, end, got;
	struct ra_stream *st;
	bool seq = false;
	struct ra *ra;

	ra = gmp_lookup_or_init(&twin_ra, &obj, &ra_zero);
	if (!ra)
		return n;
	st = tw_stream_of(fc, ra, &seq);
	for (i = 0; i < RA_RUNS; i++)
		if (i < ra->nr_runs && ra->runs[i] < shortest)
			shortest = ra->runs[i];
	if (ra->seen_start[ra_slot(st->start)] == st->start)
		shortest = ra->seen_len[ra_slot(st->start)];
	if (!ra->nr_runs) {
		got = seq ? n : 0;
	} else {
		end = st->start + shortest;
		got = end > idx + 1 ? end - idx - 1 : 0;
		if (got > n)
			got = n;
	}
	st->prev = idx;
	st->ahead = got;
	st->age = ++ra->clock;
	return got;
}

static __always_inline void tw_prefetch(struct gmem_fault_ctx *fc)
{
	u32 n = ahead < GMEM_PREFETCH_BUDGET ? ahead : GMEM_PREFETCH_BUDGET, i, idx;
	struct gmem_block_info bi = {};

	if (n)
		n = tw_ra_blocks(fc, n);
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

/*
 * Placement, then the read-ahead of a migrating fault: GMEM_OPS_FAULT_PREFETCH,
 * one hook call where the built-in policy is asked twice (placement, then
 * prefetch once the block is in). The read-ahead is judged here before the
 * block moves rather than after, which gm_ra_used() makes no difference to;
 * the decisions differ only if the block does not migrate after all (no
 * room, pinned host pages: the built-in policy then records no run), or the
 * device cannot map a REMOTE block (then the built-in policy migrates it
 * and reads ahead, this twin does not).
 */
s32 GMEM_HOOK(tw_fault, struct gmem_fault_ctx *fc)
{
	struct gmem_block_info bi = {};

	if (!bpf_gmem_block_state(fc->blk_id, &bi) && bi.pref_dev == GMEM_PREF_HOST &&
	    !(bi.flags & GMEM_BF_PINNED))
		return GMEM_PLACE_REMOTE;
	tw_prefetch(fc);
	return GMEM_PLACE_MIGRATE;
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
	if (tw_evict_list(ec, gmem_lru_list(ec->dev, GMEM_LRU_COLD)) &&
	    tw_evict_list(ec, gmem_lru_list(ec->dev, GMEM_LRU_NORMAL)))
		tw_evict_list(ec, gmem_lru_list(ec->dev, GMEM_LRU_HOT));
}

void GMEM_HOOK(tw_obj_exit, u32 obj)
{
	bpf_map_delete_elem(&twin_ra, &obj);
}

GMEM_OPS_DEFINE(builtin_twin_ops,
	.fault		= (void *)tw_fault,
	.evict		= (void *)tw_evict,
	.obj_exit	= (void *)tw_obj_exit,
	.flags		= GMEM_OPS_FAULT_PREFETCH,
	.name		= "builtin_twin");
