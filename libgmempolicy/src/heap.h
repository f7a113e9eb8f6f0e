/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * gm_heap: the allocator's bookkeeping, independent of /dev/gmem.
 *
 * Memory comes from a mapper (in the library: mmap of /dev/gmem; in tests: a
 * fake) in arenas of cfg.arena_size; small requests are carved from arenas by
 * first fit over an address-ordered free list per arena, and freed ranges are
 * coalesced with their neighbours. Requests of large_min bytes or more get a
 * mapping of their own. All bookkeeping is out of band (arrays and a hash
 * table in malloc memory): the heap never reads or writes the memory it hands
 * out, because touching unified memory from the CPU would migrate it.
 *
 * Not thread-safe: the caller serializes (mem.c holds a mutex).
 * Every call that fails returns a negative errno and leaves the heap as it was.
 */
#ifndef GM_HEAP_H
#define GM_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define GM_HEAP_GRANULE	64	/* size and alignment quantum: one cache line */

struct gm_heap_mapper {
	/* Map @len bytes aligned to @align; return the base, or NULL with errno set. */
	void *(*map)(void *priv, size_t len, size_t align);
	void (*unmap)(void *priv, void *base, size_t len);
	void *priv;
};

struct gm_heap_cfg {
	size_t arena_size;	/* multiple of max_align */
	size_t max_align;	/* largest alignment served; power of two >= GRANULE */
	size_t large_min;	/* requests >= this get their own mapping; <= arena_size */
};

struct gm_extent {
	uintptr_t start;
	size_t len;
};

struct gm_arena {
	uintptr_t base;
	size_t size;
	size_t used;
	struct gm_extent *free;	/* sorted by start, never adjacent (coalesced) */
	unsigned int nr_free, cap_free;
	struct gm_arena *next;
};

/* One live allocation; key of the hash table. */
struct gm_alloc_rec {
	uintptr_t addr;		/* 0: empty slot */
	size_t len;		/* rounded size handed out */
	struct gm_arena *arena;	/* NULL: its own mapping of len bytes */
};

struct gm_heap {
	struct gm_heap_mapper mapper;
	struct gm_heap_cfg cfg;
	struct gm_arena *arenas;
	struct gm_alloc_rec *recs;	/* open addressing, linear probing */
	size_t nr_recs, cap_recs;	/* cap a power of two, load <= 1/2 */
	unsigned int nr_arenas, nr_large;
	uint64_t mapped, used;
};

/* -EINVAL for a config that breaks the rules above. */
int gm_heap_init(struct gm_heap *h, const struct gm_heap_mapper *m, const struct gm_heap_cfg *cfg);
/* Unmaps everything, live allocations included. */
void gm_heap_fini(struct gm_heap *h);
/*
 * Drop all bookkeeping without unmapping: for a forked child, which did not
 * inherit the mappings (/dev/gmem mappings are VM_DONTCOPY).
 */
void gm_heap_forget(struct gm_heap *h);

/* -EINVAL size 0 / align not a power of two or > max_align; -ENOMEM; mapper errno. */
int gm_heap_alloc(struct gm_heap *h, size_t size, size_t align, void **out);
/* -EINVAL not a live allocation (never allocated, freed, or interior pointer). */
int gm_heap_free(struct gm_heap *h, void *p);
/* Rounded size of the live allocation at @p, or 0. */
size_t gm_heap_size(const struct gm_heap *h, const void *p);

/* Self-check of every invariant, for tests: 0 or -EUCLEAN. */
int gm_heap_check(const struct gm_heap *h);

#endif /* GM_HEAP_H */
