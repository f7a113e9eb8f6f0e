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
 * Tags (GMEM_ADV_TAG, as gmem_tag_layer() and gmem-bench write them): bits
 * 63..32 a kind, 31..0 a layer id. Kind 0: weights of the layer (layer 0 is
 * tag 0, told from untagged blocks by the ranges the advise hook saw tagged
 * 0, so tag while the policy is attached); kind 1: optimizer state; kind 2:
 * KV cache of the layer, used with it. Ids >= LLM_MAX_LAYERS: untagged.
 *
 * Learning the order: per vm_object, accesses to weights form *visits* (a run
 * of accesses to one layer; going back to a block already touched in the
 * current run starts a new visit of the same layer, e.g. forward then
 * backward through the last layer; which blocks a visit touched is kept
 * per block, not as a range, since a device with several accesses in
 * flight reports a window's faults before the hits ahead of them, and a
 * block a batched fault brought in counts as used only after its batch:
 * visit_state()). The last LLM_HIST visits are kept. After
 * each new visit the policy looks for the previous visit with the same
 * two-visit context (same layer, same layer before it; this tells a forward
 * from a backward pass) and predicts that what followed then follows now:
 * their distance is the period. Until a context repeats it guesses: a sweep
 * over neighbouring layers runs on to the last layer, then the history
 * restarts (seq_guess()). Either way seq[] holds the predicted visits and a
 * layer's next use is its first visit in seq[].
 *
 * Eviction, per device, in this order:
 *   1. untagged blocks that are not HOT, least recently accessed first;
 *   2. layer blocks by predicted next use, farthest first (Belady on the
 *      predicted cycle, a dirty block's distance halved for its write-back:
 *      dirty_rank(), an object waiting for its turn a cycle farther:
 *      idle_rank()); blocks of the current visit not touched yet are
 *      needed now and go last. Among equals the most recently accessed goes
 *      first: a layer is swept in the same order each time, so its most
 *      recent block is needed last. Objects compare as fractions of their
 *      cycles. HOT non-layer blocks (optimizer state) rank here too once
 *      their place in the cycle was seen (hot_score());
 *   3. the other HOT blocks (KV cache, embeddings: GMEM_ADV_HOT), least
 *      recently accessed first, only when nothing else can go; a layer's
 *      HOT blocks (KV cache) of an object waiting for its turn rank in 2.
 *      instead, as its weights do.
 * Prefetch, on a fault: the blocks the predicted cycle uses next, nearest
 * first, up to prefetch_blocks; in a tagged range that is not a layer, the
 * rest of the range. Into free HBM always; into full HBM only where the
 * victim the eviction order would take is one Belady drops before its next
 * use anyway, so that prefetching costs no migration, plus prefetch_slack
 * blocks per fault that trade a migration per period for fewer faults
 * (pf_admit()).
 * Streaming, on each access the device reports to the current layer's
 * weights: the same window, but only stream_ahead blocks deep (plus the
 * largest batch of faults the device delivered: a device with that many
 * accesses in flight checks them all at once) and each admitted under the
 * slack rule (stream()), so that a device streaming through a loop larger
 * than HBM finds the next blocks there, their copies made while it
 * computes, instead of stopping on a fault for each.
 *
 * Maps (bpftool map dump name ...):
 *   llm_obj  per vm_object id: struct llm_obj (counters, the learnt period,
 *            the visit history and predicted visits, each layer's predicted
 *            distance and extent)
 */
#include "llm_layer.bpf.h"
#include "llm_sparse.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile char gmem_desc[96] =
	"layer-aware: learns the layer order, evicts the farthest next use, keeps HOT";

/* Blocks one fault may prefetch (0: no prefetch; at most 32). */
const volatile u32 prefetch_blocks = 32;
/* 0: prefetch into free HBM only. 1: also evict, as pf_admit() allows. */
const volatile u32 prefetch_evict = 1;
/*
 * Evicting prefetches per fault that may cost a migration (pf_admit()).
 * 0 by default: each costs about one migration per cycle to save a fault,
 * which is 5-13% over MIN for two tenants and more on sparse layers.
 */
const volatile u32 prefetch_slack = 0;
/*
 * Blocks of the predicted order the accessed hook keeps requested ahead of
 * the device (0: prefetch at faults only; at most 32). Each may cost about
 * one migration per cycle, as a slack admission does, and saves a fault.
 */
const volatile u32 stream_ahead = 4;
#define LLM_STREAM_MAX	32
/* Candidate blocks one fault looks at (resident ones are skipped). */
const volatile u32 prefetch_scan = 1024;
/* Longest list walk in one pass of an evict call. */
const volatile u32 scan_max = 1 << 16;
/* Distinct distances an evict call tries before taking any layer block. */
const volatile u32 evict_rounds = 16;
/*
 * Accesses in a row to one object on a device after which the other
 * objects there count as idle (0: never), or the length of a turn after
 * which the next turn makes them idle at once: their blocks rank a cycle
 * farther (idle_rank()).
 */
const volatile u32 idle_after = 64;
/* Longest range a HOT hint re-sorts at once. */
const volatile u32 advise_max = 1 << 14;

/* ---- residency bookkeeping -------------------------------------------------- */

/*
 * Per device, the object the device used last and how many uses in a row
 * it has had: tenants that take turns on a device (two models decoding in
 * alternation) show as long runs of one object. Hooks on several CPUs may
 * race here; a lost update only delays the idle ranking by an access.
 */
struct llm_run {
	u32 obj;
	u32 run;	/* uses in a row, up to idle_after */
	u32 prev_run;	/* run of the object before, when it ended */
};
struct llm_run llm_run[GMP_MAX_DEVS];

static __always_inline void note_run(u32 dev, u32 obj)
{
	struct llm_run *r = &llm_run[gmp_idx(dev, GMP_MAX_DEVS)];

	if (r->obj != obj) {
		r->prev_run = r->run;
		r->obj = obj;
		r->run = 0;
	} else if (r->run < idle_after) {
		r->run++;
	}
}

/*
 * @base, or a cycle farther for a block of @obj while another object has
 * had the device @dev for idle_after uses in a row, or for two once the
 * turn before lasted idle_after (tenants that take long turns: the first
 * uses of a turn are when the running tenant needs room most): each
 * object's scores are fractions of its own cycle, frozen while it waits,
 * so without this a waiting tenant's blocks could look needed sooner than
 * the running one's, whose next uses all come before the waiting one
 * resumes. Tenants whose jobs interleave finely never look idle. A global
 * function: the verifier checks it once and sees one unknown result.
 */
__noinline u32 idle_rank(u32 base, u32 obj, u32 dev)
{
	struct llm_run *r;

	if (!idle_after || dev >= GMP_MAX_DEVS)
		return base;
	r = &llm_run[gmp_idx(dev, GMP_MAX_DEVS)];
	if (r->obj == obj)
		return base;
	if (r->run < idle_after && (r->prev_run < idle_after || !r->run))
		return base;
	return base + LLM_SCALE;
}

/*
 * Keep @blk_id on its class's list of @dev: layer blocks most recent first
 * (the head goes first among equals), the others least recent first.
 * @touched: the device used it; a prefetched arrival is not a use.
 */
static __always_inline void place(u32 dev, u64 blk_id, bool touched)
{
	struct gmem_block_info bi = {};
	u32 idx = gmem_blk_idx(blk_id), class, l;
	struct llm_obj *o;

	if (bpf_gmem_block_state(blk_id, &bi) || !(bi.flags & GMEM_BF_RESIDENT))
		return;
	o = obj_get(gmem_blk_obj(blk_id));
	if (!o)
		return;
	class = class_of(o, &bi, idx);
	if (touched) {
		note_run(dev, gmem_blk_obj(blk_id));
		l = weights_layer_of(o, bi.tag, idx);
		if (l != LLM_NO_LAYER) {
			note_weights(o, l, idx, bi.flags & GMEM_BF_BATCH);
			sparse_used(o, l, blk_id);
		} else if (class == LLM_HOT && layer_of(o, bi.tag, idx) == LLM_NO_LAYER)
			note_hot(o, &bi);
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
			if (!bpf_gmem_block_state(id, &bi) && (bi.flags & GMEM_BF_RESIDENT))
				bpf_gmem_list_move(gmp_list(bi.dev, LLM_HOT), id, true);
		}
		return;
	}
	if (advice != GMEM_ADV_TAG || (u32)value >= LLM_MAX_LAYERS ||
	    (value >> 32 != LLM_KIND_LAYER && value >> 32 != LLM_KIND_KV))
		return;
	o = obj_get(obj);
	if (!o)
		return;
	if (value >> 32 == LLM_KIND_KV)
		extend_kv(o, (u32)value, first, first + nr);
	else
		extend_layer(o, (u32)value, first, first + nr);
}

/* ---- eviction ----------------------------------------------------------------- */

/*
 * A HOT block that is not a layer's (optimizer state): such ranges are taken
 * to be used once per cycle, where their latest pass was (the optimizer step
 * after each backward pass). A block used in that pass is needed a cycle
 * later, after that visit's weights (the half visit); one the ongoing pass
 * has yet to use is needed now (0). Anything else is not predicted
 * (LLM_NO_SCORE: evicted last, as HOT asks).
 */
static __always_inline u32 hot_score(const struct llm_obj *o, const struct gmem_block_info *bi)
{
	s64 d;

	if (!o->cycle || !o->hot_visit)
		return LLM_NO_SCORE;
	if (bi->last_access < o->hot_clock || (bi->flags & GMEM_BF_PREFETCHED))
		return o->hot_visit == o->visits ? 0 : LLM_NO_SCORE;
	d = (s64)(o->hot_visit + o->cycle) - (s64)o->visits;
	if (d < 0 || d > o->cycle)
		return LLM_NO_SCORE;
	return (2 * (u32)d + 1) * LLM_SCALE / (2 * o->cycle);
}

/*
 * Evicting a written block costs a write-back besides its next miss, so it
 * ranks as if needed twice as soon (the cost-weighted form of Belady's rule).
 * A global function: the verifier checks it once and sees one unknown
 * result, not a state per branch in every loop that scores blocks.
 */
__noinline u32 dirty_rank(u32 base, u32 dirty)
{
	return dirty ? base / 2 : base;
}

/*
 * How far ahead @bi's block is needed, LLM_SCALE per cycle (bigger goes
 * first); 0: in the current visit; LLM_NO_SCORE: a HOT block, unpredicted.
 * A global function, so the verifier checks it once and the eviction loops
 * see one unknown result instead of a state per outcome.
 */
__noinline u32 score(const struct gmem_block_info *bi, u64 id)
{
	u32 idx = gmem_blk_idx(id), l, d, base;
	struct llm_obj *o = bpf_map_lookup_elem(&llm_obj, &(u32){ gmem_blk_obj(id) });
	int v;

	if (!bi)
		return LLM_NO_SCORE;
	if (!o)
		return bi->flags & GMEM_BF_HOT ? LLM_NO_SCORE : LLM_SCORE_FAR;
	l = layer_of(o, bi->tag, idx);
	if (bi->flags & GMEM_BF_HOT) {
		if (l == LLM_NO_LAYER)
			return hot_score(o, bi);
		/*
		 * A layer's HOT block (its KV cache) is kept over every layer
		 * block while its object runs; while another object has the
		 * device it ranks as its layer's weights do, a cycle farther:
		 * the running one would otherwise evict its own blocks, needed
		 * within its cycle, to keep it.
		 */
		if (l >= LLM_MAX_LAYERS || idle_rank(0, gmem_blk_obj(id), bi->dev) == 0)
			return LLM_NO_SCORE;
		d = o->dist[gmp_idx(l, LLM_MAX_LAYERS)];
		if (d == LLM_FAR || !o->cycle)
			return LLM_SCORE_FAR;
		return idle_rank(d * LLM_SCALE / o->cycle, gmem_blk_obj(id), bi->dev);
	}
	if (l >= LLM_MAX_LAYERS)
		return LLM_SCORE_FAR;
	if (bi->tag >> 32 != LLM_KIND_LAYER)
		d = l == o->cur_layer ? 0 : o->dist[gmp_idx(l, LLM_MAX_LAYERS)];
	else if (l == o->cur_layer && (v = visit_state(o, idx)) != VISIT_USED)
		/* About to be used, or this visit's if it is used at all. */
		return v == VISIT_PENDING ? 0 : sparse_score(l, id, 0);
	else
		d = o->dist[gmp_idx(l, LLM_MAX_LAYERS)];
	if (!d)
		return 0;
	if (d == LLM_FAR || !o->cycle)
		return LLM_SCORE_FAR;
	base = d * LLM_SCALE / o->cycle;
	base = idle_rank(dirty_rank(base, bi->flags & GMEM_BF_DIRTY), gmem_blk_obj(id), bi->dev);
	return bi->tag >> 32 == LLM_KIND_LAYER ? sparse_score(l, id, base) : base;
}

/* The largest score below @below on @list, or -1 if none. */
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

/* Nominate blocks of @class scoring @lo..@hi (list order); true when done. */
static __always_inline bool take_scored(struct gmem_evict_ctx *ec, u32 class, s64 lo, s64 hi)
{
	struct gmem_block_info bi = {};
	s64 list = gmp_list(ec->dev, class), s;
	struct llm_obj *o;
	s32 left;
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
		o = bpf_map_lookup_elem(&llm_obj, &(u32){ gmem_blk_obj(id) });
		if (o)
			__sync_fetch_and_add(&o->victims[gmp_idx(class, 4)], 1);
		if (left == 0)
			return true;
	}
	return false;
}

/* Belady on the predicted cycle: farthest first, layer before HOT among equals. */
static __always_inline bool take_layers(struct gmem_evict_ctx *ec)
{
	s64 below = LLM_SCORE_FAR + 1, s, h;
	u32 r;

	bpf_for(r, 0, evict_rounds) {
		s = next_score(ec, gmp_list(ec->dev, LLM_LAYER), below);
		h = next_score(ec, gmp_list(ec->dev, LLM_HOT), below);
		if (h > s)
			s = h;
		if (s < 0)
			return false;
		if (take_scored(ec, LLM_LAYER, s, s) || take_scored(ec, LLM_HOT, s, s))
			return true;
		below = s;
	}
	/* Out of rounds: whatever is left, most recent first. */
	return take_scored(ec, LLM_LAYER, 0, below - 1) ||
	       take_scored(ec, LLM_HOT, 0, below - 1);
}

void GMEM_HOOK(llm_evict, struct gmem_evict_ctx *ec)
{
	if (take_scored(ec, LLM_OTHER, 0, LLM_NO_SCORE) || take_layers(ec))
		return;
	take_scored(ec, LLM_HOT, 0, LLM_NO_SCORE);
}

/* ---- prefetch ----------------------------------------------------------------- */

/*
 * Admission. A prefetch into full HBM evicts the evict hook's next victim:
 * untagged first, then by score, farthest first. So the hook counts the
 * victims by score bucket once per fault (st->above[b]: victims in bucket b
 * or above, untagged ones at the top) and admits the n-th evicting request
 * only if n victims score above its threshold. With 64 buckets per cycle
 * visits stay apart up to cycles of 64; beyond, admission gets stricter.
 */
#define LLM_BKT_SHIFT	6
#define LLM_NR_BKT	((LLM_SCORE_FAR >> LLM_BKT_SHIFT) + 2)	/* + the "none above" slot */
#define LLM_BKT_ARR	1024				/* power of two >= LLM_NR_BKT */
#define LLM_PF_VISITS	32		/* visits the window may look ahead */
#define LLM_KV_SCAN	64		/* KV blocks of a layer pf_kv() looks at */

/*
 * One prefetch round's state (a fault's, or the streaming window's), in the
 * object's score units. In a map value because the verifier does not track
 * those: on the stack each budget or threshold value is a state to explore.
 * Per CPU (llm_pf) because prefetch and accessed hooks of different blocks
 * run on several CPUs at once; the core runs every hook with preemption
 * off (gm_hook_begin()), so no other call uses this CPU's copy meanwhile.
 */
struct pf_state {
	/* Where: the faulting block (prefetch hook) or the accessed one. */
	u32 dev, obj, idx, nr_blocks;
	u64 blk_id, tag;
	u32 budget;		/* requests left */
	u32 scan;		/* candidate blocks left to look at */
	u32 free;		/* free HBM blocks left */
	u32 evicting;		/* admitted requests that evict */
	u32 slack;		/* admissions left under the do-no-harm rule alone */
	u32 own;		/* next use of the candidates, as a score */
	u32 reach;		/* latest reuse in the window so far, as a score */
	bool known;		/* reach holds: victims above it are free */
	bool stop;		/* a candidate was refused: later ones would be too */
	bool no_evict;		/* the object is in fallback: into free HBM only */
	bool stream;		/* the streaming window (stream()) */
	u64 seen;		/* layers the window has looked at */
	u32 above[LLM_BKT_ARR];	/* victims in score bucket b or above */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct pf_state);
} llm_pf SEC(".maps");

static __always_inline u32 bkt(u32 score)
{
	return score >> LLM_BKT_SHIFT;
}

/* A victim the evict hook may take for a prefetch from @st (see gmp_victim_ok()). */
static __always_inline bool pf_victim_ok(const struct pf_state *st, u64 id,
					 struct gmem_block_info *bi)
{
	if (id == st->blk_id || bpf_gmem_block_state(id, bi))
		return false;
	return gmem_resident_on(bi, st->dev) &&
	       !(bi->flags & (GMEM_BF_PINNED | GMEM_BF_BUSY));
}

/* Fill st->above[] from the untagged and layer lists of st->dev. */
static __always_inline void count_victims(struct pf_state *st)
{
	struct gmem_block_info bi = {};
	u32 b, s, others = 0;
	u64 id;

	bpf_for(b, 0, LLM_NR_BKT)
		st->above[gmp_idx(b, LLM_BKT_ARR)] = 0;
	gmem_list_for_each(gmp_list(st->dev, LLM_OTHER), id, scan_max)
		if (pf_victim_ok(st, id, &bi))
			others++;
	gmem_list_for_each(gmp_list(st->dev, LLM_LAYER), id, scan_max)
		if (pf_victim_ok(st, id, &bi))
			st->above[gmp_idx(bkt(score(&bi, id)), LLM_BKT_ARR)]++;
	gmem_list_for_each(gmp_list(st->dev, LLM_HOT), id, scan_max)
		if (pf_victim_ok(st, id, &bi) && (s = score(&bi, id)) != LLM_NO_SCORE)
			st->above[gmp_idx(bkt(s), LLM_BKT_ARR)]++;
	/* Suffix sums, top down; the last slot stays 0 (nothing above FAR). */
	st->above[gmp_idx(LLM_NR_BKT - 2, LLM_BKT_ARR)] += others;
	bpf_for(b, 1, LLM_NR_BKT - 1)
		st->above[gmp_idx(LLM_NR_BKT - 2 - b, LLM_BKT_ARR)] +=
			st->above[gmp_idx(LLM_NR_BKT - 1 - b, LLM_BKT_ARR)];
}

/* Victims that score above @score. */
static __always_inline u32 victims_above(const struct pf_state *st, u32 score)
{
	u32 b = bkt(score) + 1;

	return b < LLM_NR_BKT ? st->above[gmp_idx(b, LLM_BKT_ARR)] : 0;
}

/*
 * May one more block be requested? Into free HBM always. Else its victim
 * must be needed after every block the window touches before it (reach):
 * then the eviction order would pick that victim at the block's own fault
 * too, and evicting it early costs no migration. Failing that, up to
 * prefetch_slack requests per fault need only a victim needed after the
 * block itself ("do no harm"): in a loop larger than HBM each keeps one more
 * block in flight, about one migration per cycle, and saves a fault.
 * Returns 0 (refused), 1 (into free HBM), 2 (evicts), 3 (evicts, slack).
 */
static __always_inline u32 pf_admit(const struct pf_state *st)
{
	u32 n = st->evicting + 1;

	if (st->free)
		return 1;
	if (!prefetch_evict || st->no_evict)
		return 0;
	if (st->known && victims_above(st, st->reach) >= n)
		return 2;
	if (st->slack && victims_above(st, st->own) >= n)
		return 3;
	return 0;
}

/* Request one block; false once nothing more may be requested. */
static __always_inline bool pf_one(struct llm_obj *o, struct pf_state *st, u64 id)
{
	struct gmem_block_info bi = {};
	u32 how;

	if (bpf_gmem_block_state(id, &bi) || (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)) ||
	    gmem_resident_on(&bi, st->dev))
		return true;		/* there already, or not movable now */
	how = pf_admit(st);
	if (!how) {
		st->stop = true;
		return false;
	}
	if (bpf_gmem_prefetch_dev(st->dev, id, 1) <= 0)
		return true;
	sparse_prefetched(id);
	__sync_fetch_and_add(&o->prefetched, 1);
	st->budget--;
	if (how == 1) {
		st->free--;
	} else {
		st->evicting++;
		if (how == 3) {
			st->slack--;
			__sync_fetch_and_add(&o->pf_slack, 1);
		}
	}
	return st->budget > 0;
}

/* Candidates: blocks of layer @l's weights from @from on, in sweep order. */
static __always_inline void pf_layer(struct llm_obj *o, struct pf_state *st, u32 l, u32 from)
{
	u32 i, n, end, nr = st->nr_blocks, lo, pred;
	u64 id;

	if (l >= LLM_MAX_LAYERS)
		return;
	l = gmp_idx(l, LLM_MAX_LAYERS);
	end = o->hi[l];
	lo = o->lo[l];
	/* Loaded apart: one load from either pointer is refused by the verifier. */
	barrier_var(end);
	barrier_var(nr);
	if (end > nr)
		end = nr;
	if (from < lo)
		from = lo;
	if (from >= end)
		return;
	n = end - from < st->scan ? end - from : st->scan;
	st->scan -= n;
	bpf_for(i, 0, n) {
		id = gmem_blk_id(st->obj, from + i);
		if (bpf_gmem_block_tag(id) != l)
			continue;
		pred = sparse_predicted(st->obj, l, id);
		/* An unvisited layer of a dense-looking object: free HBM, or streamed. */
		if (pred == PRED_NO || (pred == PRED_UNKNOWN && !st->free && !st->stream))
			continue;
		/*
		 * Nothing learnt yet: only streamed, into free HBM, and only
		 * while the visit has used its blocks one after another (a
		 * sparse layer's first jump to an expert ends it).
		 */
		if (pred == PRED_FIRST &&
		    !(st->stream && st->free && o->visit_n == o->visit_hi - o->visit_lo + 1))
			continue;
		if (!pf_one(o, st, id))
			return;
	}
}

/*
 * Candidates: layer @l's KV cache, used right after its weights, the blocks
 * the device has had before (a cache fills as it goes: a block never
 * brought in holds nothing the visit reads yet). Back after its object's
 * turn, a waiting tenant's cache (idle_rank()) comes with its weights
 * instead of faulting block by block.
 */
static __always_inline void pf_kv(struct llm_obj *o, struct pf_state *st, u32 l)
{
	struct gmem_block_info bi = {};
	u32 i, n, lo, end, nr = st->nr_blocks;

	if (l >= LLM_MAX_LAYERS)
		return;
	l = gmp_idx(l, LLM_MAX_LAYERS);
	end = o->kv_hi[l];
	lo = o->kv_lo[l];
	barrier_var(end);
	barrier_var(nr);
	if (end > nr)
		end = nr;
	if (lo >= end)
		return;
	/* Not from st->scan: a resident cache (the usual case) must not use up the weights'. */
	n = end - lo < LLM_KV_SCAN ? end - lo : LLM_KV_SCAN;
	bpf_for(i, 0, n) {
		if (st->stop || !st->budget)
			return;
		if (bpf_gmem_block_state(gmem_blk_id(st->obj, lo + i), &bi) || !bi.last_access)
			continue;
		if (!pf_one(o, st, gmem_blk_id(st->obj, lo + i)))
			return;
	}
}

/* Layer of the predicted visit @k ahead (0: the current one); o->cycle > 0. */
static __always_inline u32 visit_ahead(const struct llm_obj *o, u32 k)
{
	return o->seq[gmp_idx(k % o->cycle, LLM_HIST)];
}

/* Visits from now until layer @l, visited @k ahead, is visited again. */
static __always_inline u32 reuse_after(const struct llm_obj *o, u32 k, u32 l)
{
	u32 g;

	bpf_for(g, 1, o->cycle + 1)
		if (visit_ahead(o, k + g) == l)
			return k + g;
	return k + o->cycle;	/* not reached: visit k + cycle is layer l again */
}

/* Score of a use @d visits ahead (score() units). */
static __always_inline u32 pf_score(const struct llm_obj *o, u32 d)
{
	return d >= o->cycle ? LLM_SCALE : d * LLM_SCALE / o->cycle;
}

/*
 * The rest of the current visit, then the layers of the visits ahead, each
 * once. Before visit k's blocks, reach takes in visit k: its blocks, once
 * touched, are next needed at their layer's following visit.
 */
static __always_inline void pf_cycle(struct llm_obj *o, struct pf_state *st, u32 cur, u32 from)
{
	u32 k, l, reach, visits = o->cycle < LLM_PF_VISITS ? o->cycle : LLM_PF_VISITS;

	st->known = true;
	st->seen = 1ULL << (cur & (LLM_MAX_LAYERS - 1));
	st->own = 0;
	st->reach = pf_score(o, reuse_after(o, 0, cur));
	pf_layer(o, st, cur, from);
	pf_kv(o, st, cur);
	bpf_for(k, 1, visits) {
		if (st->stop || !st->budget || !st->scan)
			return;
		l = visit_ahead(o, k);
		if (l >= LLM_MAX_LAYERS)
			continue;
		reach = pf_score(o, reuse_after(o, k, l));
		if (reach > st->reach)
			st->reach = reach;
		if (st->seen & (1ULL << l))
			continue;
		st->seen |= 1ULL << l;
		st->own = pf_score(o, k);
		pf_layer(o, st, l, 0);
		pf_kv(o, st, l);
	}
}

/*
 * A fault in a tagged range that is not a layer (optimizer state): such a
 * range is used as a whole, so read the rest of it ahead in order. A used
 * block of a HOT range ranks a cycle ahead (hot_score()), so only victims
 * past that are free; a range that is not HOT gets the slack only.
 */
static __always_inline void pf_run(struct llm_obj *o, struct pf_state *st)
{
	struct gmem_block_info bi = {};
	u32 i, n = st->nr_blocks - st->idx - 1;
	u64 id;

	st->known = !bpf_gmem_block_state(st->blk_id, &bi) && (bi.flags & GMEM_BF_HOT);
	st->own = 0;
	st->reach = o->cycle ? (2 * o->cycle + 1) * LLM_SCALE / (2 * o->cycle) : 0;
	if (n > st->scan)
		n = st->scan;
	bpf_for(i, 0, n) {
		id = gmem_blk_id(st->obj, st->idx + 1 + i);
		if (bpf_gmem_block_tag(id) != st->tag || !pf_one(o, st, id))
			return;
	}
}

/* Set up @st for a prefetch round from block @idx of @obj (tag @tag) on @dev. */
static __always_inline void pf_begin(struct llm_obj *o, struct pf_state *st, u32 dev,
				     u32 obj, u32 idx, u32 nr_blocks, u64 tag, u32 blocks)
{
	s64 free = bpf_gmem_dev_capacity(dev) - bpf_gmem_dev_used(dev);

	st->dev = dev;
	st->obj = obj;
	st->idx = idx;
	st->nr_blocks = nr_blocks;
	st->blk_id = gmem_blk_id(obj, idx);
	st->tag = tag;
	st->free = free > 0 ? free : 0;
	st->budget = blocks < GMEM_PREFETCH_BUDGET ? blocks : GMEM_PREFETCH_BUDGET;
	st->scan = prefetch_scan;
	st->slack = prefetch_slack;
	st->evicting = 0;
	st->known = false;
	st->stop = false;
	st->no_evict = o->fallback;
	st->stream = false;
}

/*
 * The blocks used next after st's block, nearest first, each admitted by
 * pf_admit(). Weights continue their layer after the block; a KV block
 * continues after the last weights used.
 */
static __always_inline void pf_window(struct llm_obj *o, struct pf_state *st)
{
	u32 cur, from, kind;

	if (prefetch_evict && !st->no_evict)
		count_victims(st);
	kind = st->tag >> 32;
	if (kind != LLM_KIND_LAYER && kind != LLM_KIND_KV) {
		pf_run(o, st);
		return;
	}
	cur = o->cur_layer;
	if (cur >= LLM_MAX_LAYERS)
		return;
	from = o->last_idx + 1;
	barrier_var(from);
	if (weights_layer_of(o, st->tag, st->idx) == cur)
		from = st->idx + 1;
	if (o->cycle)
		pf_cycle(o, st, cur, from);
	else
		pf_layer(o, st, cur, from);	/* no order yet: the rest of this layer */
}

/*
 * The streaming window from block @idx of @obj on @dev: the next
 * stream_ahead blocks of the predicted order, plus the device's window (a
 * device that issues several accesses at once checks them all before it
 * reports the first: o->dev_window), each admitted under the slack rule.
 * Each request evicts a block needed after it, so each keeps one
 * more block in flight for about one migration per cycle, and the device
 * finds the blocks there, their copies made while it computed, instead of
 * stopping on a fault for each. On sparse layers (experts) only blocks
 * predicted to run are streamed (sparse_predicted()).
 */
static __always_inline void stream(struct llm_obj *o, struct pf_state *st, u32 dev, u32 obj,
				   u32 idx, u32 nr_blocks, u64 tag)
{
	u32 depth = stream_ahead + o->dev_window;

	if (depth > LLM_STREAM_MAX)
		depth = LLM_STREAM_MAX;
	pf_begin(o, st, dev, obj, idx, nr_blocks, tag, depth);
	st->scan = depth;
	st->slack = depth;
	st->stream = true;
	pf_window(o, st);
}

/*
 * On a fault: up to prefetch_blocks of the window, then the streaming
 * window, which a fault means the device ran past (the blocks the first
 * pass requested count as there).
 */
void GMEM_HOOK(llm_prefetch, struct gmem_fault_ctx *fc)
{
	struct pf_state *st = bpf_map_lookup_elem(&llm_pf, &(u32){ 0 });
	struct llm_obj *o = obj_get(fc->obj);

	if (!o || !st)
		return;
	__sync_fetch_and_add(&o->faults, 1);
	if (fc->batch_nr > 1 && !fc->batch_pos)
		pending_batch_begins(o, fc->idx);
	if (fc->tag >> 32 == LLM_KIND_LAYER && fc->tag)
		extend_layer(o, (u32)fc->tag, fc->idx, fc->idx + 1);
	if (fc->batch_nr > 1 && fc->batch_nr > o->dev_window)
		o->dev_window = fc->batch_nr < LLM_STREAM_MAX ? fc->batch_nr : LLM_STREAM_MAX;
	if (!prefetch_blocks)
		return;
	pf_begin(o, st, fc->dev, fc->obj, fc->idx, fc->nr_blocks, fc->tag, prefetch_blocks);
	pf_window(o, st);
	if (stream_ahead && o->cycle)
		stream(o, st, fc->dev, fc->obj, fc->idx, fc->nr_blocks, fc->tag);
}

/*
 * The device reported a use of @blk_id (a hit: it did not fault): keep the
 * streaming window ahead of it, from the current layer's weights or from a
 * tagged range that is not a layer (optimizer state), read in order. Not
 * from KV blocks or untagged ones: the weights that follow them are
 * streamed from the weights' own accesses.
 */
static __always_inline void stream_on_access(struct llm_obj *o, u32 dev, u64 blk_id)
{
	struct pf_state *st = bpf_map_lookup_elem(&llm_pf, &(u32){ 0 });
	u32 obj = gmem_blk_obj(blk_id), idx = gmem_blk_idx(blk_id), kind;
	u64 start, size, tag;
	s64 nr;

	if (!st || !o->cycle)
		return;
	tag = bpf_gmem_block_tag(blk_id);
	kind = tag >> 32;
	if (kind == LLM_KIND_LAYER || kind == LLM_KIND_KV) {
		if (weights_layer_of(o, tag, idx) != o->cur_layer)
			return;
	} else if (layer_of(o, tag, idx) != LLM_NO_LAYER) {
		return;
	}
	nr = bpf_gmem_obj_range(obj, &start, &size);
	if (nr > 0)
		stream(o, st, dev, obj, idx, nr, tag);
}

void GMEM_HOOK(llm_accessed, u32 dev, u64 blk_id, u32 write)
{
	struct llm_obj *o = bpf_map_lookup_elem(&llm_obj, &(u32){ gmem_blk_obj(blk_id) });

	place(dev, blk_id, true);
	if (!o)
		return;
	__sync_fetch_and_add(&o->accesses, 1);
	if (stream_ahead)
		stream_on_access(o, dev, blk_id);
}

void GMEM_HOOK(llm_evicted, u32 dev, u64 blk_id)
{
	sparse_evicted(blk_id);
}

/* Created while this policy decides: every visit of it will be seen whole. */
void GMEM_HOOK(llm_obj_init, u32 obj, u64 start, u64 size, u32 nr_blocks)
{
	struct llm_obj *o = obj_get(obj);

	if (o)
		o->seen_whole = 1;
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
	.evicted	= (void *)llm_evicted,
	.obj_init	= (void *)llm_obj_init,
	.obj_exit	= (void *)llm_obj_exit,
	.name		= "llm_layer");
