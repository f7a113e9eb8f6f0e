// SPDX-License-Identifier: GPL-2.0
/*
 * stride_prefetch: find strided streams in each vm_object's device fault
 * stream and prefetch ahead of them, as far as the prefetches pay off.
 *
 * What it decides: prefetch only (placement and eviction stay built-in).
 *
 * Why: accelerator kernels walk tensors with constant strides (rows, tiles,
 * channels), often several at once and sometimes backwards. A device fault
 * costs tens of microseconds; a block that is already there when the kernel
 * reaches it costs nothing. The built-in read-ahead only knows stride +1.
 *
 * How: each object has SP_STREAMS stream slots. A fault continues a stream
 * when it lands exactly where the stream's next fault is expected (just past
 * what it prefetched), or inside its prefetch window on the stride (a block
 * of the window that was evicted before use). Otherwise the slot whose last
 * fault is nearest (at most max_stride blocks away) re-learns its stride from
 * the two faults; failing that the least recently used slot starts a new
 * stream. A stream with a stride prefetches `degree` blocks along it:
 * min_degree at first, doubling with every confirming fault up to
 * max_degree, halving whenever one of its prefetched blocks leaves the device
 * without having been touched (a wasted prefetch), which this policy sees as
 * evicted() without accessed() and tracks per block in sp_pf.
 *
 * Concurrency: hooks run on several CPUs at once, and one fault's prefetch
 * hook and the activated() calls of its blocks need not run on the same
 * CPU. So the stream that asked for a block is recorded per block when it
 * asks (sp_pf), not in a global, and counters are atomic adds. Two faults
 * of one object at the same moment may still interleave their updates of
 * its stream slots: a worse guess at worst, as the core checks every
 * request.
 *
 * Maps (bpftool map dump name ...):
 *   sp_obj  per vm_object id: struct sp_obj (faults, stream hits, prefetches
 *           requested/arrived/used/wasted, and the stream slots)
 *   sp_pf   per block id requested (then arrived) and not touched yet:
 *           struct sp_pf
 */
#include "common.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile char gmem_desc[96] =
	"per-object stride detection (+/-, interleaved) with adaptive prefetch degree";

/* Largest stride, in blocks, a stream may have. */
const volatile u32 max_stride = 64;
/* Prefetch degree of a newly detected stream, and its ceiling (<= 32). */
const volatile u32 min_degree = 2;
const volatile u32 max_degree = GMEM_PREFETCH_BUDGET;

#define SP_STREAMS	4

struct sp_stream {
	s64 last;		/* block index of the stream's last fault */
	s64 next;		/* where its next fault is expected */
	s32 stride;		/* blocks, 0 while unknown */
	u32 degree;		/* blocks prefetched per fault */
	u64 hits;		/* faults that continued the stream */
	u64 used;		/* its prefetched blocks the device touched */
	u64 wasted;		/* its prefetched blocks that left untouched */
	u64 lru;		/* sp_obj.faults at its last fault: slot reuse order */
};

struct sp_obj {
	u64 faults;		/* device faults that migrated a block */
	u64 hits;		/* faults that continued a known stream */
	u64 streams;		/* streams started */
	u64 requested;		/* blocks requested (new to the fault's prefetch list) */
	u64 arrived;		/* prefetched blocks that arrived on a device */
	u64 used;		/* prefetched blocks touched before leaving */
	u64 wasted;		/* prefetched blocks that left without a touch */
	struct sp_stream stream[SP_STREAMS];
};

struct sp_pf {
	u32 slot;		/* the stream that asked for it */
	u32 arrived;		/* 0: requested, not (yet) arrived by prefetch */
	u64 fault;		/* sp_obj.faults when it was asked for */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);		/* vm_object id */
	__type(value, struct sp_obj);
} sp_obj SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, u64);		/* block id */
	__type(value, struct sp_pf);
} sp_pf SEC(".maps");

static const struct sp_obj sp_obj_zero;

static __always_inline s64 sp_abs(s64 v)
{
	return v < 0 ? -v : v;
}

static __always_inline u32 sp_clamp_degree(u32 d)
{
	u32 hi = max_degree < GMEM_PREFETCH_BUDGET ? max_degree : GMEM_PREFETCH_BUDGET;

	if (d > hi)
		d = hi;
	return d ? d : 1;
}

/*
 * Does a fault at @idx continue @s? Exactly at s->next is the stream going on
 * as predicted; on the stride inside the window it already prefetched means
 * one of its blocks did not survive until use (the waste count handles that).
 */
static __always_inline bool sp_continues(const struct sp_stream *s, s64 idx, bool *exact)
{
	s64 d = idx - s->last, span = s->next - s->last;

	*exact = false;
	if (!s->stride)
		return false;
	if (idx == s->next) {
		*exact = true;
		return true;
	}
	if (d == 0 || (d < 0) != (s->stride < 0) || sp_abs(d) >= sp_abs(span))
		return false;
	return (u64)sp_abs(d) % (u64)sp_abs(s->stride) == 0;
}

/* Pick and update the slot for a fault at @idx; returns the slot index. */
static __always_inline u32 sp_classify(struct sp_obj *o, s64 idx)
{
	s64 dist, best_dist = (s64)max_stride + 1;
	u32 i, near = SP_STREAMS, old = 0;
	u64 old_lru = ~0ULL;
	struct sp_stream *s;
	bool exact;

	bpf_for(i, 0, SP_STREAMS) {
		s = &o->stream[i];
		if (s->lru && sp_continues(s, idx, &exact)) {
			__sync_fetch_and_add(&s->hits, 1);
			__sync_fetch_and_add(&o->hits, 1);
			if (exact)
				s->degree = sp_clamp_degree(s->degree * 2);
			s->last = idx;
			s->lru = o->faults;
			return i;
		}
	}
	/* Else the nearest live stream re-learns its stride; or the oldest slot restarts. */
	bpf_for(i, 0, SP_STREAMS) {
		s = &o->stream[i];
		if (s->lru < old_lru) {
			old_lru = s->lru;
			old = i;
		}
		if (!s->lru)
			continue;
		dist = sp_abs(idx - s->last);
		if (dist && dist < best_dist) {
			best_dist = dist;
			near = i;
		}
	}
	if (near < SP_STREAMS) {
		s = &o->stream[gmp_idx(near, SP_STREAMS)];
		s->stride = idx - s->last;
	} else {
		near = old;
		if (near >= SP_STREAMS)
			return SP_STREAMS;
		s = &o->stream[gmp_idx(near, SP_STREAMS)];
		s->stride = 0;
		s->hits = s->used = s->wasted = 0;
		__sync_fetch_and_add(&o->streams, 1);
	}
	s->degree = sp_clamp_degree(min_degree);
	s->last = idx;
	s->next = idx + s->stride;
	s->lru = o->faults;
	return near;
}

/*
 * Ask for up to s->degree blocks along the stride after the faulting one.
 * Blocks already resident are skipped by the core but still covered: the
 * stream's next fault is expected just past the window (or past an older,
 * longer window).
 */
static __always_inline void sp_issue(struct gmem_fault_ctx *fc, struct sp_obj *o,
				     struct sp_stream *s, u32 slot)
{
	struct sp_pf pf = { .slot = slot, .fault = o->faults };
	s64 end = fc->idx, t, nx;
	u64 id;
	u32 k;

	if (!s->stride)
		return;
	bpf_for(k, 0, s->degree) {
		t = end + s->stride;
		if (t < 0 || t >= fc->nr_blocks)
			break;
		end = t;
		id = gmem_blk_id(fc->obj, t);
		if (bpf_gmem_prefetch(fc, id, 1) > 0) {
			__sync_fetch_and_add(&o->requested, 1);
			bpf_map_update_elem(&sp_pf, &id, &pf, BPF_ANY);
		}
	}
	nx = end + s->stride;
	if (s->stride > 0 ? nx > s->next : nx < s->next)
		s->next = nx;
}

void GMEM_HOOK(sp_prefetch, struct gmem_fault_ctx *fc)
{
	u32 obj = fc->obj, slot;
	struct sp_obj *o;

	o = gmp_lookup_or_init(&sp_obj, &obj, &sp_obj_zero);
	if (!o)
		return;
	__sync_fetch_and_add(&o->faults, 1);
	slot = sp_classify(o, fc->idx);
	if (slot >= SP_STREAMS)
		return;
	sp_issue(fc, o, &o->stream[gmp_idx(slot, SP_STREAMS)], slot);
}

/*
 * A block we asked for arrived: track it until its first touch or departure.
 * One that arrived otherwise (a demand fault, a hint) is not our prefetch.
 */
void GMEM_HOOK(sp_activated, u32 dev, u64 blk_id, u32 how)
{
	struct sp_pf *pf = bpf_map_lookup_elem(&sp_pf, &blk_id);
	u32 obj = gmem_blk_obj(blk_id);
	struct sp_obj *o;

	if (!pf)
		return;
	if (how != GMEM_ACT_PREFETCH) {
		bpf_map_delete_elem(&sp_pf, &blk_id);
		return;
	}
	pf->arrived = 1;
	o = bpf_map_lookup_elem(&sp_obj, &obj);
	if (o)
		__sync_fetch_and_add(&o->arrived, 1);
}

/* Our prefetch of @pf's block arrived; forget a request that never did. */
static __always_inline bool sp_arrived(struct sp_pf *pf, u64 blk_id)
{
	if (pf->arrived)
		return true;
	bpf_map_delete_elem(&sp_pf, &blk_id);
	return false;
}

static __always_inline struct sp_stream *sp_stream_of(struct sp_obj *o, u32 slot)
{
	return slot < SP_STREAMS ? &o->stream[gmp_idx(slot, SP_STREAMS)] : NULL;
}

void GMEM_HOOK(sp_accessed, u32 dev, u64 blk_id, u32 write)
{
	struct sp_pf *pf = bpf_map_lookup_elem(&sp_pf, &blk_id);
	u32 obj = gmem_blk_obj(blk_id);
	struct sp_stream *s;
	struct sp_obj *o;

	if (!pf || !sp_arrived(pf, blk_id))
		return;
	o = bpf_map_lookup_elem(&sp_obj, &obj);
	if (o) {
		__sync_fetch_and_add(&o->used, 1);
		s = sp_stream_of(o, pf->slot);
		if (s)
			__sync_fetch_and_add(&s->used, 1);
	}
	bpf_map_delete_elem(&sp_pf, &blk_id);
}

/* Left the device untouched: wasted, and its stream reaches less far. */
void GMEM_HOOK(sp_evicted, u32 dev, u64 blk_id)
{
	struct sp_pf *pf = bpf_map_lookup_elem(&sp_pf, &blk_id);
	u32 obj = gmem_blk_obj(blk_id), lo;
	struct sp_stream *s;
	struct sp_obj *o;

	if (!pf || !sp_arrived(pf, blk_id))
		return;
	o = bpf_map_lookup_elem(&sp_obj, &obj);
	if (o) {
		__sync_fetch_and_add(&o->wasted, 1);
		s = sp_stream_of(o, pf->slot);
		if (s) {
			__sync_fetch_and_add(&s->wasted, 1);
			lo = sp_clamp_degree(min_degree);
			s->degree = s->degree / 2 > lo ? s->degree / 2 : lo;
		}
	}
	bpf_map_delete_elem(&sp_pf, &blk_id);
}

/* bpf_for_each_map_elem() callback: drop @key if it is a block of *@obj. */
static long sp_pf_drop_obj(struct bpf_map *map, u64 *key, struct sp_pf *val, u32 *obj)
{
	if (gmem_blk_obj(*key) == *obj)
		bpf_map_delete_elem(map, key);
	return 0;
}

/* Object ids are reused: requests that never arrived must not outlive it. */
void GMEM_HOOK(sp_obj_exit, u32 obj)
{
	bpf_map_delete_elem(&sp_obj, &obj);
	bpf_for_each_map_elem(&sp_pf, sp_pf_drop_obj, &obj, 0);
}

GMEM_OPS_DEFINE(stride_prefetch_ops,
	.prefetch	= (void *)sp_prefetch,
	.activated	= (void *)sp_activated,
	.accessed	= (void *)sp_accessed,
	.evicted	= (void *)sp_evicted,
	.obj_exit	= (void *)sp_obj_exit,
	.name		= "stride_prefetch");
