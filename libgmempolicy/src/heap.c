// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * gm_heap: first-fit allocator bookkeeping over arenas (see heap.h).
 *
 * Locking: none here; mem.c serializes every call with its mutex.
 *
 * Why first fit over an address-ordered list: unified memory migrates by
 * blocks, so keeping live data packed at low addresses of few arenas keeps
 * the number of blocks a workload touches small; address order also makes
 * coalescing a neighbour check. Each arena's list is a sorted array, which
 * is short in practice (fragments, not allocations, are listed).
 *
 * Failure rule: every path that can fail (a realloc, a mapping) runs before
 * the first change to the heap, so an error leaves it exactly as it was.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"

static bool is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

static uintptr_t align_up(uintptr_t x, size_t a)
{
	return (x + a - 1) & ~(uintptr_t)(a - 1);
}

/* ------------------------------------------------------------------ */
/* Allocation records: address -> (len, arena), open addressing.       */
/* ------------------------------------------------------------------ */

static size_t rec_home(const struct gm_heap *h, uintptr_t addr)
{
	uint64_t x = (uint64_t)(addr / GM_HEAP_GRANULE) * 0x9E3779B97F4A7C15ull;

	return (size_t)(x >> 29) & (h->cap_recs - 1);
}

static struct gm_alloc_rec *rec_find(const struct gm_heap *h, uintptr_t addr)
{
	size_t i;

	if (!h->cap_recs || !addr)
		return NULL;
	for (i = rec_home(h, addr); h->recs[i].addr; i = (i + 1) & (h->cap_recs - 1))
		if (h->recs[i].addr == addr)
			return &h->recs[i];
	return NULL;
}

static void rec_put(struct gm_heap *h, const struct gm_alloc_rec *r)
{
	size_t i = rec_home(h, r->addr);

	while (h->recs[i].addr)
		i = (i + 1) & (h->cap_recs - 1);
	h->recs[i] = *r;
	h->nr_recs++;
}

/* Make room for one more record (load factor <= 1/2). */
static int rec_reserve(struct gm_heap *h)
{
	struct gm_alloc_rec *old = h->recs;
	size_t i, old_cap = h->cap_recs;

	if ((h->nr_recs + 1) * 2 <= h->cap_recs)
		return 0;
	h->recs = calloc(old_cap ? old_cap * 2 : 64, sizeof(*h->recs));
	if (!h->recs) {
		h->recs = old;
		return -ENOMEM;
	}
	h->cap_recs = old_cap ? old_cap * 2 : 64;
	h->nr_recs = 0;
	for (i = 0; i < old_cap; i++)
		if (old[i].addr)
			rec_put(h, &old[i]);
	free(old);
	return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void rec_del(struct gm_heap *h, struct gm_alloc_rec *r)
{
	size_t mask = h->cap_recs - 1, i = (size_t)(r - h->recs), j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (!h->recs[j].addr)
			break;
		k = rec_home(h, h->recs[j].addr);
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			h->recs[i] = h->recs[j];
			i = j;
		}
	}
	h->recs[i].addr = 0;
	h->nr_recs--;
}

/* ------------------------------------------------------------------ */
/* Arenas and their free extents.                                      */
/* ------------------------------------------------------------------ */

static int extent_reserve(struct gm_arena *a)
{
	struct gm_extent *n;
	unsigned int cap;

	if (a->nr_free < a->cap_free)
		return 0;
	cap = a->cap_free ? a->cap_free * 2 : 8;
	n = realloc(a->free, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	a->free = n;
	a->cap_free = cap;
	return 0;
}

static void extent_insert_at(struct gm_arena *a, unsigned int i, uintptr_t start, size_t len)
{
	memmove(&a->free[i + 1], &a->free[i], (a->nr_free - i) * sizeof(*a->free));
	a->free[i] = (struct gm_extent){ start, len };
	a->nr_free++;
}

static void extent_remove_at(struct gm_arena *a, unsigned int i)
{
	memmove(&a->free[i], &a->free[i + 1], (a->nr_free - i - 1) * sizeof(*a->free));
	a->nr_free--;
}

/*
 * First fit of @len bytes at @align in @a. Needs one spare extent slot (a
 * split in the middle of an extent leaves two); the caller reserved it.
 * Returns the address or 0.
 */
static uintptr_t arena_carve(struct gm_arena *a, size_t len, size_t align)
{
	unsigned int i;

	for (i = 0; i < a->nr_free; i++) {
		struct gm_extent *e = &a->free[i];
		uintptr_t p = align_up(e->start, align), end = e->start + e->len;
		size_t lead = p - e->start, tail;

		if (p < e->start || p > end || end - p < len)
			continue;
		tail = end - (p + len);
		if (lead && tail) {
			e->len = lead;
			extent_insert_at(a, i + 1, p + len, tail);
		} else if (lead) {
			e->len = lead;
		} else if (tail) {
			e->start = p + len;
			e->len = tail;
		} else {
			extent_remove_at(a, i);
		}
		a->used += len;
		return p;
	}
	return 0;
}

/* Return [p, p + len) to @a, merging with neighbours. */
static int arena_release(struct gm_arena *a, uintptr_t p, size_t len)
{
	unsigned int lo = 0, hi = a->nr_free, i;
	bool prev, next;

	while (lo < hi) {		/* first extent starting above p */
		unsigned int mid = (lo + hi) / 2;

		if (a->free[mid].start < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	prev = i > 0 && a->free[i - 1].start + a->free[i - 1].len == p;
	next = i < a->nr_free && p + len == a->free[i].start;
	if (!prev && !next) {
		if (extent_reserve(a))
			return -ENOMEM;
		extent_insert_at(a, i, p, len);
	} else if (prev && next) {
		a->free[i - 1].len += len + a->free[i].len;
		extent_remove_at(a, i);
	} else if (prev) {
		a->free[i - 1].len += len;
	} else {
		a->free[i].start = p;
		a->free[i].len += len;
	}
	a->used -= len;
	return 0;
}

static void arena_destroy(struct gm_heap *h, struct gm_arena *a)
{
	h->mapper.unmap(h->mapper.priv, (void *)a->base, a->size);
	h->mapped -= a->size;
	h->nr_arenas--;
	free(a->free);
	free(a);
}

static int arena_new(struct gm_heap *h, struct gm_arena **out)
{
	struct gm_arena *a = calloc(1, sizeof(*a)), **pp;
	void *base;

	if (!a || extent_reserve(a))
		goto err_free;
	base = h->mapper.map(h->mapper.priv, h->cfg.arena_size, h->cfg.max_align);
	if (!base) {
		int err = errno ? -errno : -ENOMEM;

		free(a->free);
		free(a);
		return err;
	}
	a->base = (uintptr_t)base;
	a->size = h->cfg.arena_size;
	a->free[0] = (struct gm_extent){ a->base, a->size };
	a->nr_free = 1;
	/* Append: first fit then fills older arenas before newer ones. */
	for (pp = &h->arenas; *pp; pp = &(*pp)->next)
		;
	*pp = a;
	h->nr_arenas++;
	h->mapped += a->size;
	*out = a;
	return 0;
err_free:
	if (a)
		free(a->free);
	free(a);
	return -ENOMEM;
}

static void arena_unlink(struct gm_heap *h, struct gm_arena *a)
{
	struct gm_arena **pp;

	for (pp = &h->arenas; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Public entry points.                                                */
/* ------------------------------------------------------------------ */

int gm_heap_init(struct gm_heap *h, const struct gm_heap_mapper *m, const struct gm_heap_cfg *cfg)
{
	if (!m || !m->map || !m->unmap || !cfg)
		return -EINVAL;
	if (!is_pow2(cfg->max_align) || cfg->max_align < GM_HEAP_GRANULE ||
	    !cfg->arena_size || cfg->arena_size % cfg->max_align ||
	    !cfg->large_min || cfg->large_min > cfg->arena_size)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->mapper = *m;
	h->cfg = *cfg;
	return 0;
}

void gm_heap_fini(struct gm_heap *h)
{
	size_t i;

	for (i = 0; i < h->cap_recs; i++) {
		struct gm_alloc_rec *r = &h->recs[i];

		if (r->addr && !r->arena)
			h->mapper.unmap(h->mapper.priv, (void *)r->addr, r->len);
	}
	while (h->arenas) {
		struct gm_arena *a = h->arenas;

		h->arenas = a->next;
		arena_destroy(h, a);
	}
	free(h->recs);
	memset(h, 0, sizeof(*h));
}

void gm_heap_forget(struct gm_heap *h)
{
	struct gm_arena *a;

	while (h->arenas) {
		a = h->arenas;
		h->arenas = a->next;
		free(a->free);
		free(a);
	}
	free(h->recs);
	memset(h, 0, sizeof(*h));
}

static int alloc_large(struct gm_heap *h, size_t len, void **out)
{
	struct gm_alloc_rec r = { 0 };
	void *base;

	len = align_up(len, h->cfg.max_align);
	errno = 0;
	base = h->mapper.map(h->mapper.priv, len, h->cfg.max_align);
	if (!base)
		return errno ? -errno : -ENOMEM;
	r.addr = (uintptr_t)base;
	r.len = len;
	rec_put(h, &r);
	h->nr_large++;
	h->mapped += len;
	h->used += len;
	*out = base;
	return 0;
}

int gm_heap_alloc(struct gm_heap *h, size_t size, size_t align, void **out)
{
	struct gm_alloc_rec r = { 0 };
	struct gm_arena *a;
	size_t len;
	int err;

	if (!align)
		align = GM_HEAP_GRANULE;
	if (!size || !is_pow2(align) || align > h->cfg.max_align)
		return -EINVAL;
	if (size > SIZE_MAX / 2)
		return -ENOMEM;
	if (align < GM_HEAP_GRANULE)
		align = GM_HEAP_GRANULE;
	len = align_up(size, GM_HEAP_GRANULE);
	err = rec_reserve(h);
	if (err)
		return err;
	if (len >= h->cfg.large_min)
		return alloc_large(h, len, out);

	for (a = h->arenas; a; a = a->next) {
		if (a->size - a->used < len || extent_reserve(a))
			continue;
		r.addr = arena_carve(a, len, align);
		if (r.addr)
			goto found;
	}
	errno = 0;
	err = arena_new(h, &a);
	if (err)
		return err;
	r.addr = arena_carve(a, len, align);
	if (!r.addr) {		/* only if the mapper broke its alignment promise */
		arena_unlink(h, a);
		arena_destroy(h, a);
		return -ENOMEM;
	}
found:
	r.len = len;
	r.arena = a;
	rec_put(h, &r);
	h->used += len;
	*out = (void *)r.addr;
	return 0;
}

int gm_heap_free(struct gm_heap *h, void *p)
{
	struct gm_alloc_rec *r = rec_find(h, (uintptr_t)p);
	struct gm_arena *a;
	size_t len;
	int err;

	if (!r)
		return -EINVAL;
	a = r->arena;
	len = r->len;
	if (!a) {
		h->mapper.unmap(h->mapper.priv, p, len);
		h->nr_large--;
		h->mapped -= len;
	} else {
		err = arena_release(a, (uintptr_t)p, len);
		if (err)
			return err;
	}
	rec_del(h, r);
	h->used -= len;
	/* Keep one arena mapped so alloc/free loops do not map and unmap. */
	if (a && !a->used && h->nr_arenas > 1) {
		arena_unlink(h, a);
		arena_destroy(h, a);
	}
	return 0;
}

size_t gm_heap_size(const struct gm_heap *h, const void *p)
{
	const struct gm_alloc_rec *r = rec_find(h, (uintptr_t)p);

	return r ? r->len : 0;
}

/* ------------------------------------------------------------------ */
/* Invariant check (tests).                                            */
/* ------------------------------------------------------------------ */

static int check_arena(const struct gm_heap *h, const struct gm_arena *a)
{
	size_t free_bytes = 0, used = 0, i;
	unsigned int k;

	for (k = 0; k < a->nr_free; k++) {
		const struct gm_extent *e = &a->free[k];

		if (!e->len || e->start < a->base || e->start + e->len > a->base + a->size)
			return -EUCLEAN;
		if (k && a->free[k - 1].start + a->free[k - 1].len >= e->start)
			return -EUCLEAN;	/* overlapping, unsorted or not coalesced */
		free_bytes += e->len;
	}
	for (i = 0; i < h->cap_recs; i++) {
		const struct gm_alloc_rec *r = &h->recs[i];

		if (!r->addr || r->arena != a)
			continue;
		if (r->addr < a->base || r->addr + r->len > a->base + a->size)
			return -EUCLEAN;
		for (k = 0; k < a->nr_free; k++)
			if (r->addr < a->free[k].start + a->free[k].len &&
			    a->free[k].start < r->addr + r->len)
				return -EUCLEAN;	/* live memory on the free list */
		used += r->len;
	}
	if (used != a->used || used + free_bytes != a->size)
		return -EUCLEAN;
	return 0;
}

int gm_heap_check(const struct gm_heap *h)
{
	uint64_t mapped = 0, used = 0;
	unsigned int arenas = 0, large = 0;
	const struct gm_arena *a;
	size_t i, n = 0;

	for (a = h->arenas; a; a = a->next) {
		if (check_arena(h, a))
			return -EUCLEAN;
		mapped += a->size;
		arenas++;
	}
	for (i = 0; i < h->cap_recs; i++) {
		if (!h->recs[i].addr)
			continue;
		if (rec_find(h, h->recs[i].addr) != &h->recs[i])
			return -EUCLEAN;	/* unreachable: a broken probe chain */
		n++;
		used += h->recs[i].len;
		if (!h->recs[i].arena) {
			large++;
			mapped += h->recs[i].len;
		}
	}
	if (n != h->nr_recs || used != h->used || mapped != h->mapped ||
	    arenas != h->nr_arenas || large != h->nr_large)
		return -EUCLEAN;
	return 0;
}
