// SPDX-License-Identifier: GPL-2.0
/*
 * llm_layer: eviction and prefetch for model weights that are used layer by
 * layer in a repeating order (training sweeps, decode loops).
 *
 * What it decides: eviction and prefetch (placement stays built-in).
 *
 * Why: a transformer touches its weights one layer at a time in an order that
 * repeats: 0..L-1 per generated token when decoding, 0..L-1 then L-1..0 per
 * training step. For such loops LRU is the worst choice: the block it evicts
 * is the one needed soonest. If the order is known, Belady's rule (evict what
 * is needed farthest in the future) is optimal, and the order is easy to
 * learn from the device's accesses once ranges carry their layer id.
 *
 * Tags (GMEM_ADV_TAG values, as libgmempolicy's gmem_tag_layer() and
 * gmem-bench write them): bits 63..32 are a kind, bits 31..0 a layer id.
 *   kind 0  weights of layer <id>      (tag = layer id, so layer 0 is tag 0)
 *   kind 1  optimizer state            (not a layer)
 *   kind 2  KV cache of layer <id>     (used with that layer)
 * An untagged block also has tag 0; the policy tells it from layer 0 by the
 * ranges it saw tagged 0 through the advise hook, so tag layer 0 while the
 * policy is attached (or it is treated as untagged). Layer ids at or above
 * LLM_MAX_LAYERS count as untagged.
 *
 * Learning the order: per vm_object, accesses to weights form *visits* (a run
 * of accesses to one layer; going back to a block already touched in the
 * current run starts a new visit of the same layer, e.g. forward then
 * backward through the last layer). The last LLM_HIST visits are kept. After
 * each new visit the policy finds the previous visit with the same two-visit
 * context (same layer, same layer before it) and predicts that what followed
 * then follows now: the distance between the two is the period P, and the
 * next use of layer x is the first k in 1..P with hist[now - P + k] == x.
 * The two-visit context tells a forward from a backward pass through the
 * same layer. Until a context repeats, nothing is predicted.
 *
 * Eviction, per device, in this order:
 *   1. untagged blocks that are not HOT, least recently accessed first;
 *   2. layer blocks by predicted next use, farthest first (Belady on the
 *      learned cycle). Blocks of the current layer already touched in this
 *      visit are next needed at the layer's next visit; the ones not yet
 *      touched are needed now and go last. Among equal distances the most
 *      recently accessed goes first: a layer is swept in the same order each
 *      time, so its most recent block is the one it needs last. Distances of
 *      different objects are compared as fractions of their periods;
 *   3. HOT blocks (KV cache, embeddings, optimizer state: GMEM_ADV_HOT),
 *      least recently accessed first, only when nothing else can go.
 * Prefetch: on a fault in layer l, up to prefetch_blocks blocks: the rest of
 * l in sweep order, then the start of the layer predicted to come next; by
 * default only as many as HBM has free (see prefetch_evict).
 *
 * Maps (bpftool map dump name ...):
 *   llm_obj  per vm_object id: struct llm_obj (counters, the learned period,
 *            the visit history, each layer's predicted distance and extent)
 */
#include "common.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile char gmem_desc[96] =
	"layer-aware: learns the layer order, evicts the farthest next use, keeps HOT";

/* Blocks one fault may prefetch (0: no prefetch; at most 32). */
const volatile u32 prefetch_blocks = 4;
/*
 * 0: prefetch only into free HBM. 1: also when that evicts. In a loop larger
 * than HBM every prefetch that evicts costs migrations (the blocks in flight
 * displace ones the loop keeps), so by default the policy spends no more
 * migrations than demand paging with Belady's choices, and trades faults for
 * migrations only when asked to.
 */
const volatile u32 prefetch_evict = 0;
/* Longest list walk in one pass of an evict call. */
const volatile u32 scan_max = 1 << 16;
/* Distinct distances an evict call tries before taking any layer block. */
const volatile u32 evict_rounds = 16;
/* Longest range a HOT hint re-sorts at once. */
const volatile u32 advise_max = 1 << 14;

#define LLM_MAX_LAYERS	64
#define LLM_HIST	256		/* visits remembered; a power of two */
#define LLM_HMASK	(LLM_HIST - 1)
#define LLM_NO_LAYER	0xffu
#define LLM_FAR		0xffffu		/* no predicted use within the period */
#define LLM_SCALE	4096		/* a full period, in score units */
#define LLM_SCORE_FAR	(2 * LLM_SCALE)

#define LLM_KIND_LAYER	0
#define LLM_KIND_KV	2

enum llm_class { LLM_OTHER, LLM_LAYER, LLM_HOT, LLM_NR_CLASSES };

struct llm_obj {
	u64 faults;		/* device faults that migrated a block */
	u64 accesses;		/* device accesses to resident blocks */
	u64 visits;		/* layer visits so far */
	u64 victims[4];		/* nominated: untagged, layer, HOT (by enum llm_class) */
	u64 prefetched;		/* blocks requested by the prefetch hook */
	u32 cur_layer;		/* layer of the current visit, LLM_NO_LAYER before any */
	u32 period;		/* learned period in visits, 0 while unknown */
	u32 nr_layers;		/* 1 + highest layer id seen */
	u32 visit_lo;		/* weight blocks touched in the current visit: */
	u32 visit_hi;		/*   [visit_lo, visit_hi] */
	u32 last_idx;		/* last weight block touched */
	u8 hist[LLM_HIST];	/* hist[v % LLM_HIST]: layer of visit v */
	u16 dist[LLM_MAX_LAYERS];	/* visits until each layer's next use, LLM_FAR */
	u32 lo[LLM_MAX_LAYERS];	/* each layer's weights: blocks [lo, hi) */
	u32 hi[LLM_MAX_LAYERS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u32);		/* vm_object id */
	__type(value, struct llm_obj);
} llm_obj SEC(".maps");

static struct llm_obj llm_obj_zero;	/* never written: the template of a new record */

static __always_inline struct llm_obj *obj_get(u32 obj)
{
	struct llm_obj *o = bpf_map_lookup_elem(&llm_obj, &obj);

	if (o)
		return o;
	if (bpf_map_update_elem(&llm_obj, &obj, &llm_obj_zero, BPF_NOEXIST))
		return NULL;
	o = bpf_map_lookup_elem(&llm_obj, &obj);
	if (o) {
		o->cur_layer = LLM_NO_LAYER;
		__builtin_memset(o->dist, 0xff, sizeof(o->dist));
	}
	return o;
}

/* ---- tags and layers ------------------------------------------------------ */

/* Layer of block @idx with tag @tag (weights or KV cache), or LLM_NO_LAYER. */
static __always_inline u32 layer_of(const struct llm_obj *o, u64 tag, u32 idx)
{
	u32 kind = tag >> 32, l = (u32)tag;

	if ((kind != LLM_KIND_LAYER && kind != LLM_KIND_KV) || l >= LLM_MAX_LAYERS)
		return LLM_NO_LAYER;
	/* Tag 0 is also "untagged": layer 0 only where a TAG 0 hint went. */
	if (!tag && (idx < o->lo[0] || idx >= o->hi[0]))
		return LLM_NO_LAYER;
	return l;
}

/* Weights only (kind 0): these drive visits and prefetch. */
static __always_inline u32 weights_layer_of(const struct llm_obj *o, u64 tag, u32 idx)
{
	return tag >> 32 == LLM_KIND_LAYER ? layer_of(o, tag, idx) : LLM_NO_LAYER;
}

static __always_inline void extend_layer(struct llm_obj *o, u32 l, u32 first, u32 end)
{
	if (l >= LLM_MAX_LAYERS)
		return;
	l = gmp_idx(l, LLM_MAX_LAYERS);
	if (o->hi[l] == 0) {
		o->lo[l] = first;
		o->hi[l] = end;
	} else {
		if (first < o->lo[l])
			o->lo[l] = first;
		if (end > o->hi[l])
			o->hi[l] = end;
	}
	if (l + 1 > o->nr_layers)
		o->nr_layers = l + 1;
}

static __always_inline u32 class_of(const struct llm_obj *o, const struct gmem_block_info *bi,
				    u32 idx)
{
	if (bi->flags & GMEM_BF_HOT)
		return LLM_HOT;
	return layer_of(o, bi->tag, idx) == LLM_NO_LAYER ? LLM_OTHER : LLM_LAYER;
}

/* ---- learning the order --------------------------------------------------- */

/*
 * Find the last visit before the current one with the same two-visit
 * context; its distance is the period. Then each layer's next use is where
 * it first appears in the period that follows that earlier visit.
 */
static __always_inline void predict(struct llm_obj *o)
{
	u64 v = o->visits - 1;
	u32 i, k, period = 0, span = v < LLM_HIST - 2 ? (u32)v : LLM_HIST - 2;
	u8 cur = o->hist[v & LLM_HMASK], prev = o->hist[(v - 1) & LLM_HMASK], l;

	__builtin_memset(o->dist, 0xff, sizeof(o->dist));
	if (!v)
		goto out;
	bpf_for(i, 1, span) {
		if (o->hist[(v - i) & LLM_HMASK] == cur &&
		    o->hist[(v - i - 1) & LLM_HMASK] == prev) {
			period = i;
			break;
		}
	}
	bpf_for(k, 1, period + 1) {
		l = o->hist[(v - period + k) & LLM_HMASK];
		if (l < LLM_MAX_LAYERS && o->dist[gmp_idx(l, LLM_MAX_LAYERS)] == LLM_FAR)
			o->dist[gmp_idx(l, LLM_MAX_LAYERS)] = k;
	}
out:
	o->period = period;
}

static __always_inline void new_visit(struct llm_obj *o, u32 l, u32 idx)
{
	o->hist[o->visits & LLM_HMASK] = l;
	o->visits++;
	o->cur_layer = l;
	o->visit_lo = o->visit_hi = idx;
	predict(o);
}

/* A device touched weight block @idx of layer @l. */
static __always_inline void note_weights(struct llm_obj *o, u32 l, u32 idx)
{
	bool seen = idx >= o->visit_lo && idx <= o->visit_hi;

	if (l != o->cur_layer || (seen && idx != o->last_idx)) {
		new_visit(o, l, idx);
	} else {
		if (idx < o->visit_lo)
			o->visit_lo = idx;
		if (idx > o->visit_hi)
			o->visit_hi = idx;
	}
	o->last_idx = idx;
}

/* ---- residency bookkeeping -------------------------------------------------- */

/*
 * Keep @blk_id on its class's list of @dev: layer blocks most recent first
 * (the head is the first victim among equals), the others least recent first.
 * @touched: the device used it (a fault or an access), so it counts for
 * visits and recency; a prefetched arrival is not a use.
 */
static __always_inline void place(u32 dev, u64 blk_id, bool touched)
{
	struct gmem_block_info bi = {};
	u32 idx = gmem_blk_idx(blk_id), class, l;
	struct llm_obj *o;

	if (bpf_gmem_block_state(blk_id, &bi) || bi.state != GMEM_BLK_DEVICE)
		return;
	o = obj_get(gmem_blk_obj(blk_id));
	if (!o)
		return;
	class = class_of(o, &bi, idx);
	if (touched) {
		l = weights_layer_of(o, bi.tag, idx);
		if (l != LLM_NO_LAYER)
			note_weights(o, l, idx);
	}
	/* Layer blocks: a touch goes to the head, a prefetch to the tail. */
	if (class == LLM_LAYER)
		bpf_gmem_list_move(gmp_list(dev, class), blk_id, !touched);
	else
		bpf_gmem_list_move(gmp_list(dev, class), blk_id, true);
}

s32 GMEM_HOOK(llm_init)
{
	return gmp_create_lists(LLM_NR_CLASSES);
}

void GMEM_HOOK(llm_activated, u32 dev, u64 blk_id, u32 how)
{
	place(dev, blk_id, how == GMEM_ACT_DEMAND);
}

void GMEM_HOOK(llm_accessed, u32 dev, u64 blk_id, u32 write)
{
	struct llm_obj *o = bpf_map_lookup_elem(&llm_obj, &(u32){ gmem_blk_obj(blk_id) });

	if (o)
		o->accesses++;
	place(dev, blk_id, true);
}

/*
 * Layer extents come from the tags the application gives. A HOT hint moves
 * the range's resident blocks to the HOT list now rather than at their next
 * access (which, for a block the hint protects, may be long away).
 */
void GMEM_HOOK(llm_advise, u32 obj, u32 first, u32 nr, u32 advice, u64 value)
{
	u32 i, n = nr < advise_max ? nr : advise_max;
	struct gmem_block_info bi = {};
	struct llm_obj *o;
	u64 id;

	if (advice == GMEM_ADV_HOT) {
		bpf_for(i, 0, n) {
			id = gmem_blk_id(obj, first + i);
			if (!bpf_gmem_block_state(id, &bi) && bi.state == GMEM_BLK_DEVICE)
				bpf_gmem_list_move(gmp_list(bi.dev, LLM_HOT), id, true);
		}
		return;
	}
	if (advice != GMEM_ADV_TAG || value >> 32 != LLM_KIND_LAYER ||
	    (u32)value >= LLM_MAX_LAYERS)
		return;
	o = obj_get(obj);
	if (o)
		extend_layer(o, (u32)value, first, first + nr);
}

/* ---- eviction ----------------------------------------------------------------- */

/*
 * How far in the future @bi's block is needed, in units where one period is
 * LLM_SCALE (bigger goes first). 0: needed in the current visit.
 */
static __always_inline u32 score(const struct gmem_block_info *bi, u64 id)
{
	u32 idx = gmem_blk_idx(id), l, d;
	struct llm_obj *o = bpf_map_lookup_elem(&llm_obj, &(u32){ gmem_blk_obj(id) });

	if (!o)
		return LLM_SCORE_FAR;
	l = layer_of(o, bi->tag, idx);
	if (l >= LLM_MAX_LAYERS)
		return LLM_SCORE_FAR;
	if (l == o->cur_layer && (bi->tag >> 32 != LLM_KIND_LAYER ||
				  idx < o->visit_lo || idx > o->visit_hi))
		return 0;
	d = o->dist[gmp_idx(l, LLM_MAX_LAYERS)];
	if (d == LLM_FAR || !o->period)
		return LLM_SCORE_FAR;
	return d * LLM_SCALE / o->period;
}

static __always_inline void count_victim(u64 id, u32 class)
{
	struct llm_obj *o = bpf_map_lookup_elem(&llm_obj, &(u32){ gmem_blk_obj(id) });

	if (o)
		o->victims[gmp_idx(class, 4)]++;
}

/* Nominate valid blocks of @list in order; true once enough are chosen. */
static __always_inline bool take_all(struct gmem_evict_ctx *ec, u32 class)
{
	struct gmem_block_info bi = {};
	s64 list = gmp_list(ec->dev, class);
	s32 left;
	u64 id;

	gmem_list_for_each(list, id, scan_max) {
		if (!gmp_victim_ok(ec, id, &bi))
			continue;
		left = bpf_gmem_evict_nominate(ec, id);
		if (left < 0)
			continue;
		count_victim(id, class);
		if (left == 0)
			return true;
	}
	return false;
}

/* The largest score below @below among valid layer blocks, or -1 if none. */
static __always_inline s64 next_score(struct gmem_evict_ctx *ec, s64 list, s64 below)
{
	struct gmem_block_info bi = {};
	s64 best = -1, s;
	u64 id;

	gmem_list_for_each(list, id, scan_max) {
		if (!gmp_victim_ok(ec, id, &bi))
			continue;
		s = score(&bi, id);
		if (s < below && s > best)
			best = s;
	}
	return best;
}

/* Nominate layer blocks scoring @lo..@hi (most recent first); true when done. */
static __always_inline bool take_scored(struct gmem_evict_ctx *ec, s64 list, s64 lo, s64 hi)
{
	struct gmem_block_info bi = {};
	s32 left;
	s64 s;
	u64 id;

	gmem_list_for_each(list, id, scan_max) {
		if (!gmp_victim_ok(ec, id, &bi))
			continue;
		s = score(&bi, id);
		if (s < lo || s > hi)
			continue;
		left = bpf_gmem_evict_nominate(ec, id);
		if (left < 0)
			continue;
		count_victim(id, LLM_LAYER);
		if (left == 0)
			return true;
	}
	return false;
}

/* Belady on the learned cycle: farthest predicted use first. */
static __always_inline bool take_layers(struct gmem_evict_ctx *ec)
{
	s64 list = gmp_list(ec->dev, LLM_LAYER), below = LLM_SCORE_FAR + 1, s;
	u32 r;

	bpf_for(r, 0, evict_rounds) {
		s = next_score(ec, list, below);
		if (s < 0)
			return false;
		if (take_scored(ec, list, s, s))
			return true;
		below = s;
	}
	/* Out of rounds: whatever is left, most recent first. */
	return take_scored(ec, list, 0, below - 1);
}

void GMEM_HOOK(llm_evict, struct gmem_evict_ctx *ec)
{
	if (take_all(ec, LLM_OTHER) || take_layers(ec))
		return;
	take_all(ec, LLM_HOT);
}

/* ---- prefetch ----------------------------------------------------------------- */

/* Request blocks of layer @l with tag @tag from @from up; returns budget left. */
static __always_inline u32 prefetch_layer(struct gmem_fault_ctx *fc, struct llm_obj *o,
					  u32 l, u64 tag, u32 from, u32 budget)
{
	u32 i, end, idx;
	u64 id;

	if (l >= LLM_MAX_LAYERS)
		return budget;
	l = gmp_idx(l, LLM_MAX_LAYERS);
	end = o->hi[l] < fc->nr_blocks ? o->hi[l] : fc->nr_blocks;
	bpf_for(i, 0, GMEM_PREFETCH_BUDGET) {
		idx = from + i;
		if (!budget || idx >= end)
			break;
		id = gmem_blk_id(fc->obj, idx);
		if (bpf_gmem_block_tag(id) != tag)
			continue;
		if (bpf_gmem_prefetch(fc, id, 1) > 0) {
			o->prefetched++;
			budget--;
		}
	}
	return budget;
}

void GMEM_HOOK(llm_prefetch, struct gmem_fault_ctx *fc)
{
	u32 budget = prefetch_blocks < GMEM_PREFETCH_BUDGET ? prefetch_blocks :
			GMEM_PREFETCH_BUDGET;
	struct llm_obj *o = obj_get(fc->obj);
	s64 free;
	u32 l, next;

	if (!o)
		return;
	o->faults++;
	if (!prefetch_evict) {
		free = bpf_gmem_dev_capacity(fc->dev) - bpf_gmem_dev_used(fc->dev);
		if (free < budget)
			budget = free > 0 ? free : 0;
	}
	if (fc->tag >> 32 == LLM_KIND_LAYER && fc->tag)
		extend_layer(o, (u32)fc->tag, fc->idx, fc->idx + 1);
	l = weights_layer_of(o, fc->tag, fc->idx);
	if (!budget || l == LLM_NO_LAYER)
		return;
	budget = prefetch_layer(fc, o, l, fc->tag, fc->idx + 1, budget);
	if (!budget || !o->period)
		return;
	/* The layer the learned cycle visits next (maybe this one again). */
	next = o->hist[(o->visits - o->period) & LLM_HMASK];
	if (next < LLM_MAX_LAYERS)
		prefetch_layer(fc, o, next, (u64)next, o->lo[gmp_idx(next, LLM_MAX_LAYERS)],
			       budget);
}

void GMEM_HOOK(llm_obj_exit, u32 obj)
{
	bpf_map_delete_elem(&llm_obj, &obj);
}

GMEM_OPS_DEFINE(llm_layer_ops,
	.init		= (void *)llm_init,
	.activated	= (void *)llm_activated,
	.accessed	= (void *)llm_accessed,
	.advise		= (void *)llm_advise,
	.evict		= (void *)llm_evict,
	.prefetch	= (void *)llm_prefetch,
	.obj_exit	= (void *)llm_obj_exit,
	.name		= "llm_layer");
