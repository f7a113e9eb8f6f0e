/* SPDX-License-Identifier: GPL-2.0 */
/*
 * llm_layer.bpf.h: llm_layer's per-object state and how it learns the layer
 * order (the part of the policy that only watches accesses). Included by
 * llm_layer.bpf.c only; split out to keep each file readable. The design is
 * described at the top of llm_layer.bpf.c.
 */
#ifndef __GMEM_LLM_LAYER_BPF_H
#define __GMEM_LLM_LAYER_BPF_H

#include "common.bpf.h"

#define LLM_MAX_LAYERS	64
#define LLM_HIST	256		/* visits remembered; a power of two */
#define LLM_HMASK	(LLM_HIST - 1)
#define LLM_NO_LAYER	0xffu
#define LLM_FAR		0xffffu		/* no predicted use within the period */
#define LLM_SCALE	4096		/* a full period, in score units */
#define LLM_SCORE_FAR	(8 * LLM_SCALE)	/* unpredicted; rarely used experts cap below */
#define LLM_NO_SCORE	0xffffffffu	/* not ranked: a HOT block with no predicted use */

/*
 * Blocks of a layer the per-visit touch map covers, from the visit's base;
 * blocks past it fall back to the visit's [visit_lo, visit_hi] range.
 */
#define LLM_VMAP_BITS	4096
#define LLM_VMAP_WORDS	(LLM_VMAP_BITS / 64)

#define LLM_KIND_LAYER	0
#define LLM_KIND_KV	2

enum llm_class { LLM_OTHER, LLM_LAYER, LLM_HOT, LLM_NR_CLASSES };

struct llm_obj {
	u64 faults;		/* device faults that migrated a block */
	u64 accesses;		/* device accesses to resident blocks */
	u64 visits;		/* layer visits so far */
	u64 victims[4];		/* nominated: untagged, layer, HOT (by enum llm_class) */
	u64 prefetched;		/* blocks requested by the prefetch hook */
	u64 pf_slack;		/*   of which admitted as slack (pf_admit()) */
	u64 hot_visit;		/* visits when the latest pass over HOT non-layer blocks */
	u64 hot_clock;		/*   began, and the core clock then (0: none yet) */
	u32 cur_layer;		/* layer of the current visit, LLM_NO_LAYER before any */
	u32 period;		/* learned period in visits, 0 while unknown */
	u32 cycle;		/* visits in seq[]: the period, or the guess's length */
	u32 nr_layers;		/* 1 + highest layer id seen */
	u32 visit_lo;		/* weight blocks touched in the current visit lie */
	u32 visit_hi;		/*   in [visit_lo, visit_hi]; which ones: */
	u32 visit_base;		/*   bit i of visit_map is block visit_base + i */
	u32 last_idx;		/* last weight block touched */
	u8 hist[LLM_HIST];	/* hist[v % LLM_HIST]: layer of visit v */
	u8 seq[LLM_HIST];	/* seq[k]: layer of the visit k ahead (0: this one) */
	u16 dist[LLM_MAX_LAYERS];	/* visits until each layer's next use, LLM_FAR */
	u32 lo[LLM_MAX_LAYERS];	/* each layer's weights: blocks [lo, hi) */
	u32 hi[LLM_MAX_LAYERS];
	u32 kv_lo[LLM_MAX_LAYERS];	/* each layer's KV cache (tag kind 2): */
	u32 kv_hi[LLM_MAX_LAYERS];	/*   blocks [kv_lo, kv_hi) */
	u32 lvis[LLM_MAX_LAYERS];	/* visits of each layer so far */
	/* Prediction quality (llm_sparse.bpf.h): prefetched blocks used / */
	u64 pred_hits;		/*   evicted unused, since the start, and */
	u64 pred_misses;
	u32 win_hits;		/*   in a window that halves every LLM_WIN */
	u32 win_misses;		/*   outcomes */
	u32 fallback;		/* 1: predictions miss more than they hit */
	u32 fallback_switches;	/* times fallback changed */
	u32 visit_n;		/* weight blocks the current visit touched */
	u32 sparse_seen;	/* 1: a visit left blocks of its layer unused */
	u32 dense_seen;		/* 1: a visit used every block of its layer */
	u32 seen_whole;		/* 1: created under this policy, so its first visits were
				 * seen from their start (sparse_counts()) */
	u64 visit_map[LLM_VMAP_WORDS];
	/*
	 * Blocks of the current visit a batch of faults brought in, by
	 * visit_map's numbering: about to be used (note_pending()).
	 */
	u64 pend_map[LLM_VMAP_WORDS];
	u32 pend_open;		/* the last touch was one of a batch */
	u32 dev_window;		/* most blocks one batch of faults held: the accesses the
				 * device issues at once, which the stream must lead by */
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

/* [@first, @end) joins the range [*lo, *hi) (empty while *hi is 0). */
static __always_inline void extend_range(u32 *lo, u32 *hi, u32 first, u32 end)
{
	if (!*hi || first < *lo)
		*lo = first;
	if (end > *hi)
		*hi = end;
}

/* Layer @l's weights cover [@first, @end) too. */
static __always_inline void extend_layer(struct llm_obj *o, u32 l, u32 first, u32 end)
{
	if (l >= LLM_MAX_LAYERS)
		return;
	l = gmp_idx(l, LLM_MAX_LAYERS);
	extend_range(&o->lo[l], &o->hi[l], first, end);
	if (l + 1 > o->nr_layers)
		o->nr_layers = l + 1;
}

/* Layer @l's KV cache covers [@first, @end) too. */
static __always_inline void extend_kv(struct llm_obj *o, u32 l, u32 first, u32 end)
{
	if (l >= LLM_MAX_LAYERS)
		return;
	l = gmp_idx(l, LLM_MAX_LAYERS);
	extend_range(&o->kv_lo[l], &o->kv_hi[l], first, end);
}

static __always_inline u32 class_of(const struct llm_obj *o, const struct gmem_block_info *bi,
				    u32 idx)
{
	if (bi->flags & GMEM_BF_HOT)
		return LLM_HOT;
	return layer_of(o, bi->tag, idx) == LLM_NO_LAYER ? LLM_OTHER : LLM_LAYER;
}

/* ---- learning the order --------------------------------------------------- */

/* The learnt cycle: visit k ahead is what followed the matching visit. */
static __always_inline void seq_learnt(struct llm_obj *o, u64 v)
{
	u32 k;

	bpf_for(k, 0, o->period)
		o->seq[gmp_idx(k, LLM_HIST)] = o->hist[(v - o->period + k) & LLM_HMASK];
	o->cycle = o->period;
}

/*
 * Before a context repeated, a guess: a run of neighbouring layers (l-1 then
 * l, or l+1 then l) goes on to the last tagged layer in its direction, then
 * the history restarts from its first visit. Exact for a decode loop's first
 * token and a training step's backward pass and optimizer step; wrong only
 * where the first forward pass turns back. o->cycle counts the length as it
 * grows (in map memory, which the verifier does not track value by value).
 */
static __always_inline void seq_guess(struct llm_obj *o, u64 v, u32 cur, u32 prev)
{
	u32 j, n = v + 1 < LLM_HIST ? v + 1 : LLM_HIST, first = v + 1 - n;
	s32 dir = 0, x;

	if (v && prev + 1 == cur)
		dir = 1;
	else if (v && cur + 1 == prev)
		dir = -1;
	o->seq[0] = cur;
	o->cycle = 1;
	bpf_for(j, 1, dir ? LLM_MAX_LAYERS : 1) {
		x = (s32)cur + dir * (s32)j;
		if (x < 0 || x >= o->nr_layers || !o->hi[gmp_idx(x, LLM_MAX_LAYERS)])
			break;
		o->seq[gmp_idx(o->cycle, LLM_HIST)] = x;
		o->cycle++;
	}
	bpf_for(j, 0, n) {
		if (o->cycle >= LLM_HIST)
			break;
		o->seq[gmp_idx(o->cycle, LLM_HIST)] = o->hist[(first + j) & LLM_HMASK];
		o->cycle++;
	}
}

/*
 * After each new visit: find the last earlier visit with the same two-visit
 * context; its distance is the period, and what followed it then is
 * predicted to follow now (else seq_guess()). Each layer's next use is where
 * it first appears in the predicted cycle.
 */
static __always_inline void predict(struct llm_obj *o)
{
	u64 v = o->visits - 1;
	u32 i, k, period = 0, span = v < LLM_HIST - 2 ? (u32)v : LLM_HIST - 2;
	u8 cur = o->hist[v & LLM_HMASK], prev = o->hist[(v - 1) & LLM_HMASK], l;

	bpf_for(i, 1, v ? span : 1) {
		if (o->hist[(v - i) & LLM_HMASK] == cur &&
		    o->hist[(v - i - 1) & LLM_HMASK] == prev) {
			period = i;
			break;
		}
	}
	o->period = period;
	if (period)
		seq_learnt(o, v);
	else
		seq_guess(o, v, cur, prev);
	__builtin_memset(o->dist, 0xff, sizeof(o->dist));
	bpf_for(k, 1, o->cycle + 1) {
		l = o->seq[gmp_idx(k % o->cycle, LLM_HIST)];
		if (l < LLM_MAX_LAYERS && o->dist[gmp_idx(l, LLM_MAX_LAYERS)] == LLM_FAR)
			o->dist[gmp_idx(l, LLM_MAX_LAYERS)] = k;
	}
}

/* Bit of block @idx in visit_map, or -1 when the map does not cover it. */
static __always_inline s32 visit_bit(const struct llm_obj *o, u32 idx)
{
	u32 off = idx - o->visit_base;

	return idx >= o->visit_base && off < LLM_VMAP_BITS ? (s32)off : -1;
}

/* visit_state() */
enum { VISIT_UNTOUCHED, VISIT_USED, VISIT_PENDING };

/*
 * Has the device used weight block @idx in the current visit? VISIT_PENDING:
 * a batched fault brought it in and the device runs its access only once
 * the batch is serviced, so it is needed now and must not become the victim
 * of a later fault of the same batch. Per block, not "inside the range seen
 * so far": a device with several accesses in flight reports a window's
 * faults before the hits ahead of them. A global function: eviction scores
 * every listed block with it, and the verifier checks it once instead of
 * in every state of those loops.
 */
__noinline int visit_state(const struct llm_obj *o, u32 idx)
{
	u32 w;
	s32 b;

	if (!o)
		return VISIT_UNTOUCHED;
	b = visit_bit(o, idx);
	if (b < 0)
		return idx >= o->visit_lo && idx <= o->visit_hi ? VISIT_USED : VISIT_UNTOUCHED;
	w = gmp_idx((u32)b >> 6, LLM_VMAP_WORDS);
	if ((o->pend_map[w] >> (b & 63)) & 1)
		return VISIT_PENDING;
	return (o->visit_map[w] >> (b & 63)) & 1 ? VISIT_USED : VISIT_UNTOUCHED;
}

/* Set (@on) or clear block @idx's bit in @map (visit_map or pend_map), if covered. */
static __always_inline void vmap_set(const struct llm_obj *o, u64 *map, u32 idx, bool on)
{
	s32 b = visit_bit(o, idx);
	u64 *w;

	if (b < 0)
		return;
	w = &map[gmp_idx((u32)b >> 6, LLM_VMAP_WORDS)];
	if (on)
		*w |= 1ULL << (b & 63);
	else
		*w &= ~(1ULL << (b & 63));
}

static __always_inline void new_visit(struct llm_obj *o, u32 l, u32 idx)
{
	u32 c = o->cur_layer, li = gmp_idx(l, LLM_MAX_LAYERS);

	/* A visit that skipped blocks of its layer: the layers are sparse; one
	 * that used them all: they look dense (llm_sparse.bpf.h). */
	if (c < LLM_MAX_LAYERS) {
		if (o->visit_n < o->hi[gmp_idx(c, LLM_MAX_LAYERS)] -
				 o->lo[gmp_idx(c, LLM_MAX_LAYERS)])
			o->sparse_seen = 1;
		else
			o->dense_seen = 1;
	}
	o->visit_n = 1;
	__builtin_memset(o->visit_map, 0, sizeof(o->visit_map));
	__builtin_memset(o->pend_map, 0, sizeof(o->pend_map));
	/* The layer's first block when its extent is known, so that a device
	 * that reports the blocks of a visit out of order still maps them. */
	o->visit_base = o->hi[li] && o->lo[li] <= idx ? o->lo[li] : idx;
	vmap_set(o, o->visit_map, idx, true);
	o->hist[o->visits & LLM_HMASK] = l;
	o->visits++;
	o->lvis[li]++;
	o->cur_layer = l;
	o->visit_lo = o->visit_hi = idx;
	predict(o);
}

/*
 * Pending blocks: a touch the core reports while the batch of faults that
 * serviced the block is still being serviced (GMEM_BF_BATCH) is not the
 * device's access yet, and the device reports none of those accesses once
 * they run. They stay pending until the object's next batch begins, which
 * the device delivers only after running the accesses of this one.
 */
static __always_inline void note_pending(struct llm_obj *o, u32 idx, bool batched)
{
	if (!batched) {
		o->pend_open = 0;
		return;
	}
	if (!o->pend_open) {
		__builtin_memset(o->pend_map, 0, sizeof(o->pend_map));
		o->pend_open = 1;
	}
	vmap_set(o, o->pend_map, idx, true);
}

/*
 * The first fault of a batch of several (the prefetch hook's batch_pos 0)
 * begins the object's next batch: the device ran the accesses of the one
 * before first, so its blocks are pending no more; only @idx, this fault's
 * block, which its activation has just marked, is. note_pending() alone
 * sees a new batch only after a touch outside one, and a device that
 * delivers every fault in a batch makes none: its blocks stayed "needed
 * now" until the layer's visit ended (llm-decode at 3x with a window of two
 * and no prefetching: 2069 blocks in against 1808 one at a time).
 */
static __always_inline void pending_batch_begins(struct llm_obj *o, u32 idx)
{
	bool pending = visit_state(o, idx) == VISIT_PENDING;

	__builtin_memset(o->pend_map, 0, sizeof(o->pend_map));
	if (pending)
		vmap_set(o, o->pend_map, idx, true);
	o->pend_open = 1;
}

/* A device touched weight block @idx of layer @l (@batched: GMEM_BF_BATCH). */
static __always_inline void note_weights(struct llm_obj *o, u32 l, u32 idx, bool batched)
{
	int v = l == o->cur_layer ? visit_state(o, idx) : VISIT_UNTOUCHED;

	if (l != o->cur_layer || (v == VISIT_USED && idx != o->last_idx)) {
		new_visit(o, l, idx);
	} else {
		if (v == VISIT_UNTOUCHED) {
			o->visit_n++;
			vmap_set(o, o->visit_map, idx, true);
		} else if (v == VISIT_PENDING && !batched) {
			/* Faulted again after its batch: this is its access. */
			vmap_set(o, o->pend_map, idx, false);
		}
		if (idx < o->visit_lo)
			o->visit_lo = idx;
		if (idx > o->visit_hi)
			o->visit_hi = idx;
	}
	o->last_idx = idx;
	note_pending(o, idx, batched);
}

/* A HOT non-layer block was used: the first since the last weights visit starts a pass. */
static __always_inline void note_hot(struct llm_obj *o, const struct gmem_block_info *bi)
{
	if (o->hot_visit == o->visits && o->hot_visit)
		return;
	o->hot_visit = o->visits;
	o->hot_clock = bi->last_access;
}


#endif /* __GMEM_LLM_LAYER_BPF_H */
