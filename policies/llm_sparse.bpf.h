/* SPDX-License-Identifier: GPL-2.0 */
/*
 * llm_sparse.bpf.h: which blocks of a layer a visit actually uses, for
 * llm_layer (included by llm_layer.bpf.c only).
 *
 * Why: in a mixture-of-experts model a visit of a layer reads its attention
 * blocks and only the experts its router picks. Scoring every block by its
 * layer's next visit (Belady on the layer cycle) then keeps the whole layer,
 * mostly experts that will not run, and prefetching the layer reads them in
 * for nothing. Tags cannot say which experts run; the access stream can.
 *
 * Per block the policy counts the visits of its layer that used it, from
 * the layer's first visit (sparse_counts()):
 * p = uses / visits is the chance that the next visit uses it (1
 * for dense weights, which makes everything below a no-op for them). A block
 * used with chance p at each visit of its layer, next visited d visits
 * ahead in a cycle of C, is next used after d + C (1 - p) / p visits on
 * average; eviction ranks by that (sparse_score()), so rarely routed experts
 * go first and a popular expert stays. Prefetch takes only blocks whose p
 * is at least predict_pct percent, and blocks of a layer never visited
 * only into free HBM, only once a completed visit used its whole layer and
 * while none has left blocks of its layer unused: until a visit shows the
 * object dense, an unvisited layer's blocks are as likely to be dead weight
 * as not, and each wasted prefetch is a migration (sparse_predicted()).
 *
 * Measuring itself: every block the prefetch hook requests is a prediction;
 * it hits when the device uses the block before it leaves, and misses when
 * it is evicted unused. The totals and a window that halves every LLM_WIN
 * outcomes are in llm_obj (bpftool map dump name llm_obj). When more than
 * fallback_waste_pct percent of the window's predictions missed (by default
 * when misses outnumber hits: worse than chance), the object falls back to
 * demand paging: its prefetches stop evicting (free
 * HBM only), so a wrong prediction can no longer push out a block that is
 * used. Eviction keeps its ranking, which rests on observed use counts, not
 * on the predictions being judged. Prefetches into free HBM keep being
 * measured, so an object whose predictions recover leaves fallback again.
 */
#ifndef __GMEM_LLM_SPARSE_BPF_H
#define __GMEM_LLM_SPARSE_BPF_H

#include "llm_layer.bpf.h"

#define LLM_WIN		64		/* outcomes per window half-life */
#define LLM_NEVER	0xffffffffu	/* llm_blk.first of a block never used */

/*
 * Minimum chance of use, in percent, for a block to be prefetched into full
 * HBM. 100: only blocks every visit of their layer used (dense weights,
 * always-routed experts): an evicting prefetch of a block that may not run
 * costs a migration for a fault it may not save.
 */
const volatile u32 predict_pct = 100;

/*
 * Fall back to demand paging when more than this percentage of the
 * window's predictions were evicted unused. 50: when they miss more than
 * they hit (the break-even for faults). For migrations any waste is a loss:
 * a wasted prefetch that evicts costs one or two, a used one saves none.
 */
const volatile u32 fallback_waste_pct = 50;


struct llm_blk {
	u32 first;	/* its layer's visit count (lvis) at its first use, LLM_NEVER */
	u32 last;	/* lvis at its latest use: counted once per visit */
	u32 uses;	/* visits of its layer that used it */
	u32 pf;		/* 1: prefetched and not used yet */
};

/* Per block id; LRU so that a working set larger than the map forgets the coldest. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, u64);		/* block id */
	__type(value, struct llm_blk);
} llm_blk SEC(".maps");

static __always_inline struct llm_blk *blk_get(u64 id)
{
	struct llm_blk zero = { .first = LLM_NEVER };
	struct llm_blk *b = bpf_map_lookup_elem(&llm_blk, &id);

	if (b)
		return b;
	bpf_map_update_elem(&llm_blk, &id, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&llm_blk, &id);
}

/* One prediction outcome; re-decides the fallback. */
static __always_inline void sparse_outcome(struct llm_obj *o, bool hit)
{
	u32 fb;

	if (hit) {
		__sync_fetch_and_add(&o->pred_hits, 1);
		__sync_fetch_and_add(&o->win_hits, 1);
	} else {
		__sync_fetch_and_add(&o->pred_misses, 1);
		__sync_fetch_and_add(&o->win_misses, 1);
	}
	if (o->win_hits + o->win_misses >= 2 * LLM_WIN) {
		o->win_hits /= 2;
		o->win_misses /= 2;
	}
	/* Wait for a few outcomes before judging. */
	fb = o->win_hits + o->win_misses >= 16 &&
	     o->win_misses * 100 > fallback_waste_pct * (o->win_hits + o->win_misses);
	if (fb != o->fallback) {
		o->fallback = fb;
		__sync_fetch_and_add(&o->fallback_switches, 1);
	}
}

/* The device used weight block @id of layer @l (after note_weights()). */
static __always_inline void sparse_used(struct llm_obj *o, u32 l, u64 id)
{
	struct llm_blk *b = blk_get(id);
	u32 now;

	if (!b || l >= LLM_MAX_LAYERS)
		return;
	now = o->lvis[gmp_idx(l, LLM_MAX_LAYERS)];
	if (b->pf) {
		b->pf = 0;
		sparse_outcome(o, true);
	}
	if (b->first == LLM_NEVER) {
		b->first = now;
		b->last = now;
		b->uses = 1;
	} else if (b->last != now) {
		b->last = now;
		__sync_fetch_and_add(&b->uses, 1);
	}
}

/* The prefetch hook requested @id. */
static __always_inline void sparse_prefetched(u64 id)
{
	struct llm_blk *b = blk_get(id);

	if (b)
		b->pf = 1;
}

/* @id left its device: a prefetched block that was never used is a miss. */
static __always_inline void sparse_evicted(u64 id)
{
	struct llm_blk *b = bpf_map_lookup_elem(&llm_blk, &id);
	struct llm_obj *o;

	if (!b || !b->pf)
		return;
	b->pf = 0;
	o = bpf_map_lookup_elem(&llm_obj, &(u32){ gmem_blk_obj(id) });
	if (o)
		sparse_outcome(o, false);
}

/*
 * Visits of layer @l that could have used @b, and how many did: the current
 * visit counts only once @b was used in it (until then it may still be).
 */
static __always_inline void sparse_counts(const struct llm_obj *o, u32 l,
					  const struct llm_blk *b, u32 *uses, u32 *span)
{
	u32 now = o->lvis[gmp_idx(l, LLM_MAX_LAYERS)], from;
	bool open = l == o->cur_layer;

	if (!b || b->first == LLM_NEVER) {
		/* Never used: every completed visit of its layer missed it. */
		*uses = 0;
		*span = open && now ? now - 1 : now;
		return;
	}
	*uses = b->uses;
	/*
	 * Counted from the layer's first visit for a block first used later:
	 * the visits that passed it over are evidence too, and a block used
	 * once would otherwise look certain (1 of 1). From the second for an
	 * object that existed before the policy was attached: it may have
	 * seen only the end of a first visit.
	 */
	from = o->seen_whole ? 1 : 2;
	*span = now - (b->first < from ? b->first : from) + 1;
	if (open && b->last != now)
		(*span)--;
}

/*
 * What block @id of layer @l adds to its layer's distance, in score units
 * (LLM_SCALE a cycle): the C (1 - p) / p expected extra visits; 0 for a
 * block of a layer with no completed visit yet (nothing to learn from).
 * A global function: the verifier checks it once, not at every call site
 * inside the eviction loops (whose states would otherwise multiply).
 */
__noinline u32 sparse_extra(u32 obj, u32 l, u64 id)
{
	struct llm_obj *o = bpf_map_lookup_elem(&llm_obj, &obj);
	struct llm_blk *b = bpf_map_lookup_elem(&llm_blk, &id);
	u32 uses, span;

	if (!o || l >= LLM_MAX_LAYERS)
		return 0;
	sparse_counts(o, l, b, &uses, &span);
	if (!span || uses >= span)
		return 0;
	if (!uses)
		return LLM_SCORE_FAR;
	return (span - uses) * LLM_SCALE / uses;
}

/* Block @id of layer @l scores @base by its layer's next visit: add the odds. */
static __always_inline u32 sparse_score(u32 l, u64 id, u32 base)
{
	u32 s = base + sparse_extra(gmem_blk_obj(id), l, id);

	return s < LLM_SCORE_FAR ? s : LLM_SCORE_FAR - 1;
}

/* sparse_predicted(): */
enum { PRED_NO, PRED_YES, PRED_UNKNOWN, PRED_FIRST };

/*
 * Is block @id of layer @l worth prefetching? PRED_YES: its chance of use
 * at the next visit is at least predict_pct; PRED_UNKNOWN: its layer has no
 * completed visit to learn from and the object's layers look dense (some
 * visit used its whole layer, none left blocks unused: worth free HBM, not
 * a victim); PRED_FIRST: no visit of any layer has completed yet (worth
 * free HBM to the streaming window only, whose few blocks ahead are all it
 * can waste before the first visit shows what the object is). A global
 * function for the same reason as sparse_extra().
 */
__noinline u32 sparse_predicted(u32 obj, u32 l, u64 id)
{
	struct llm_obj *o = bpf_map_lookup_elem(&llm_obj, &obj);
	struct llm_blk *b = bpf_map_lookup_elem(&llm_blk, &id);
	u32 uses, span;

	if (!o || l >= LLM_MAX_LAYERS)
		return PRED_UNKNOWN;
	sparse_counts(o, l, b, &uses, &span);
	if (!span)
		return o->sparse_seen ? PRED_NO : o->dense_seen ? PRED_UNKNOWN : PRED_FIRST;
	return uses * 100 >= span * predict_pct ? PRED_YES : PRED_NO;
}

#endif /* __GMEM_LLM_SPARSE_BPF_H */
