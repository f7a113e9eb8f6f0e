// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests: the allocator's bookkeeping (libgmempolicy/src/heap.c) with a
 * fake mapper. The fake hands out addresses in an unmapped range (64 TiB up)
 * and never backs them: any access by the heap to the memory it manages
 * would crash the test, which is the point (the real heap must never touch
 * unified memory, or it would migrate it).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"

#define FAKE_BASE	(64ull << 40)
#define MiB		(1ull << 20)
#define KiB		(1ull << 10)

struct fake {
	uintptr_t next;
	int maps, unmaps, live, max_live;
	size_t last_len, last_align;
};

static void *fake_map(void *priv, size_t len, size_t align)
{
	struct fake *f = priv;
	uintptr_t p;

	if (f->max_live && f->live >= f->max_live) {
		errno = ENOMEM;
		return NULL;
	}
	p = (f->next + align - 1) & ~(uintptr_t)(align - 1);
	f->next = p + len + align;	/* a gap: neighbouring maps are never adjacent */
	f->maps++;
	f->live++;
	f->last_len = len;
	f->last_align = align;
	return (void *)p;
}

static void fake_unmap(void *priv, void *base, size_t len)
{
	struct fake *f = priv;

	(void)base;
	(void)len;
	f->unmaps++;
	f->live--;
}

static struct fake fk;
static struct gm_heap h;

static void setup_cfg(size_t arena, size_t max_align, size_t large_min, int max_live)
{
	struct gm_heap_mapper m = { fake_map, fake_unmap, &fk };
	struct gm_heap_cfg cfg = { arena, max_align, large_min };

	memset(&fk, 0, sizeof(fk));
	fk.next = FAKE_BASE;
	fk.max_live = max_live;
	cr_assert_eq(gm_heap_init(&h, &m, &cfg), 0);
}

static void setup(void)
{
	setup_cfg(4 * MiB, 2 * MiB, 2 * MiB, 0);
}

static void teardown(void)
{
	gm_heap_fini(&h);
	cr_expect_eq(fk.live, 0, "fini left %d mappings", fk.live);
}

static void *alloc_ok(size_t size, size_t align)
{
	void *p = NULL;
	int err = gm_heap_alloc(&h, size, align, &p);

	cr_assert_eq(err, 0, "alloc(%zu, %zu) = %d", size, align, err);
	cr_assert_not_null(p);
	cr_assert_eq(gm_heap_check(&h), 0, "invariants broken after alloc");
	return p;
}

static void free_ok(void *p)
{
	cr_assert_eq(gm_heap_free(&h, p), 0);
	cr_assert_eq(gm_heap_check(&h), 0, "invariants broken after free");
}

TestSuite(heap, .init = setup, .fini = teardown);

Test(heap, config_validation)
{
	struct gm_heap_mapper m = { fake_map, fake_unmap, &fk };
	struct gm_heap_mapper nomap = { NULL, fake_unmap, &fk };
	struct gm_heap tmp;
	struct gm_heap_cfg bad[] = {
		{ 4 * MiB, 3 * MiB, MiB },	/* align not a power of two */
		{ 4 * MiB, 32, MiB },		/* align below the granule */
		{ 3 * MiB, 2 * MiB, MiB },	/* arena not a multiple of align */
		{ 0, 2 * MiB, MiB },
		{ 4 * MiB, 2 * MiB, 0 },
		{ 4 * MiB, 2 * MiB, 8 * MiB },	/* large_min above the arena */
	};
	struct gm_heap_cfg good = { 4 * MiB, 2 * MiB, MiB };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(gm_heap_init(&tmp, &m, &bad[i]), -EINVAL, "cfg %zu", i);
	cr_expect_eq(gm_heap_init(&tmp, &nomap, &good), -EINVAL);
	cr_expect_eq(gm_heap_init(&tmp, NULL, &good), -EINVAL);
}

Test(heap, small_allocs_share_one_arena_without_overlap)
{
	uintptr_t p[100];
	int i, k;

	for (i = 0; i < 100; i++)
		p[i] = (uintptr_t)alloc_ok(100 + i, 0);
	cr_expect_eq(fk.maps, 1, "100 small allocations should need one mapping");
	for (i = 0; i < 100; i++) {
		cr_expect_eq(p[i] % GM_HEAP_GRANULE, 0);
		cr_expect_eq(gm_heap_size(&h, (void *)p[i]), (100 + i + 63) / 64 * 64);
		for (k = 0; k < i; k++)
			cr_assert(p[i] + 100 + i <= p[k] || p[k] + 100 + k <= p[i],
				  "allocations %d and %d overlap", i, k);
	}
	/* Sizes 100..199 round up to 128 (29 of them), 192 (64) and 256 (7). */
	cr_expect_eq(h.used, 29 * 128 + 64 * 192 + 7 * 256, "used bytes");
}

Test(heap, first_fit_reuses_freed_space)
{
	void *a = alloc_ok(1000, 0), *b = alloc_ok(1000, 0), *c;

	free_ok(a);
	c = alloc_ok(512, 0);
	cr_expect_eq(c, a, "first fit should reuse the lowest hole");
	(void)b;
}

Test(heap, coalesces_both_neighbours)
{
	char *a = alloc_ok(4096, 0), *b = alloc_ok(4096, 0), *c = alloc_ok(4096, 0);
	void *guard = alloc_ok(64, 0), *big;
	unsigned int before;

	cr_assert_eq(b, a + 4096);
	cr_assert_eq(c, b + 4096);
	free_ok(a);
	free_ok(c);
	before = h.arenas->nr_free;
	free_ok(b);		/* joins a's and c's holes */
	cr_expect_eq(h.arenas->nr_free, before - 1, "three holes must merge into one");
	big = alloc_ok(3 * 4096, 0);
	cr_expect_eq(big, a, "the merged hole fits a request of all three");
	(void)guard;
}

Test(heap, alignment_up_to_max)
{
	size_t aligns[] = { 64, 128, 4096, 64 * KiB, MiB, 2 * MiB };
	size_t i;

	alloc_ok(64, 0);	/* misalign the next free byte */
	for (i = 0; i < sizeof(aligns) / sizeof(*aligns); i++) {
		uintptr_t p = (uintptr_t)alloc_ok(100, aligns[i]);

		cr_expect_eq(p % aligns[i], 0, "align %zu gave %#lx", aligns[i], (unsigned long)p);
	}
	/* Below the granule is raised to it. */
	cr_expect_eq((uintptr_t)alloc_ok(1, 8) % GM_HEAP_GRANULE, 0);
}

Test(heap, bad_requests_change_nothing)
{
	void *p = (void *)1;
	uint64_t used = h.used;

	alloc_ok(64, 0);
	used = h.used;
	cr_expect_eq(gm_heap_alloc(&h, 0, 0, &p), -EINVAL);
	cr_expect_eq(gm_heap_alloc(&h, 64, 3, &p), -EINVAL);
	cr_expect_eq(gm_heap_alloc(&h, 64, 4 * MiB, &p), -EINVAL);
	cr_expect_eq(gm_heap_alloc(&h, SIZE_MAX - 10, 0, &p), -ENOMEM);
	cr_expect_eq(p, (void *)1, "output written on error");
	cr_expect_eq(h.used, used);
	cr_expect_eq(h.nr_recs, 1);
	cr_expect_eq(gm_heap_check(&h), 0);
}

Test(heap, invalid_and_double_free)
{
	char *a = alloc_ok(256, 0);
	uint64_t used = h.used;

	cr_expect_eq(gm_heap_free(&h, a + 64), -EINVAL, "interior pointer");
	cr_expect_eq(gm_heap_free(&h, NULL), -EINVAL);
	cr_expect_eq(gm_heap_free(&h, (void *)0x1000), -EINVAL);
	cr_expect_eq(h.used, used, "a bad free changed the heap");
	free_ok(a);
	cr_expect_eq(gm_heap_free(&h, a), -EINVAL, "double free");
	cr_expect_eq(gm_heap_check(&h), 0);
}

Test(heap, large_allocation_gets_its_own_mapping)
{
	void *small = alloc_ok(64, 0), *big;
	int maps = fk.maps;

	big = alloc_ok(3 * MiB, 0);
	cr_expect_eq(fk.maps, maps + 1);
	cr_expect_eq(fk.last_len, 4 * MiB, "large mapping rounded to max_align");
	cr_expect_eq(gm_heap_size(&h, big), 4 * MiB);
	cr_expect_eq(h.nr_large, 1);
	free_ok(big);
	cr_expect_eq(fk.unmaps, 1, "freeing a large allocation unmaps it at once");
	cr_expect_eq(h.nr_large, 0);
	(void)small;
}

Test(heap, arena_exhaustion_then_recovery)
{
	void *p[64], *q = NULL;
	int i, n = 0, err;

	gm_heap_fini(&h);
	setup_cfg(4 * MiB, 2 * MiB, 2 * MiB, 1);	/* one mapping at most */
	for (i = 0; i < 64; i++) {
		err = gm_heap_alloc(&h, 256 * KiB, 0, &p[i]);
		if (err) {
			cr_expect_eq(err, -ENOMEM, "exhaustion reports the mapper's ENOMEM");
			break;
		}
		n++;
	}
	cr_expect_eq(n, 16, "a 4 MiB arena holds 16 x 256 KiB");
	cr_expect_eq(gm_heap_check(&h), 0);
	cr_expect_eq(gm_heap_alloc(&h, 64, 0, &q), -ENOMEM);
	free_ok(p[3]);
	q = alloc_ok(200 * KiB, 0);
	cr_expect_eq(q, p[3], "the freed slot is reused");
}

Test(heap, empty_arenas_are_unmapped_but_one_stays)
{
	void *a[3];
	int i;

	for (i = 0; i < 3; i++)
		a[i] = alloc_ok(1536 * KiB, 2 * MiB);	/* two per 4 MiB arena */
	cr_expect_eq(h.nr_arenas, 2);
	free_ok(a[2]);
	cr_expect_eq(h.nr_arenas, 1, "an emptied second arena is unmapped");
	cr_expect_eq(fk.unmaps, 1);
	free_ok(a[0]);
	free_ok(a[1]);
	cr_expect_eq(h.nr_arenas, 1, "the last arena is kept for reuse");
	cr_expect_eq(h.used, 0);
	alloc_ok(64, 0);
	cr_expect_eq(fk.maps, 2, "reuse of the kept arena needs no mapping");
}

/* Random alloc/free against a model of live blocks; invariants after each step. */
Test(heap, random_stress_against_model)
{
	struct { uintptr_t p; size_t size; } live[400];
	size_t nr = 0, i, k;
	unsigned int seed = 12345;
	int step;

	for (step = 0; step < 4000; step++) {
		seed = seed * 1103515245 + 12345;
		if (nr < 400 && (nr == 0 || (seed >> 16) % 3)) {
			size_t size = 1 + (seed >> 8) % (96 * KiB);
			size_t align = (size_t)64 << ((seed >> 4) % 8);
			void *p = NULL;

			cr_assert_eq(gm_heap_alloc(&h, size, align, &p), 0);
			cr_assert_eq((uintptr_t)p % align, 0);
			for (k = 0; k < nr; k++)
				cr_assert((uintptr_t)p + size <= live[k].p ||
					  live[k].p + live[k].size <= (uintptr_t)p,
					  "step %d: overlap", step);
			live[nr].p = (uintptr_t)p;
			live[nr++].size = size;
		} else {
			i = (seed >> 16) % nr;
			cr_assert_eq(gm_heap_free(&h, (void *)live[i].p), 0);
			live[i] = live[--nr];
		}
		if (step % 50 == 0)
			cr_assert_eq(gm_heap_check(&h), 0, "step %d", step);
	}
	while (nr)
		cr_assert_eq(gm_heap_free(&h, (void *)live[--nr].p), 0);
	cr_expect_eq(gm_heap_check(&h), 0);
	cr_expect_eq(h.used, 0);
	cr_expect_eq(h.nr_recs, 0);
	cr_expect_eq(h.nr_arenas, 1);
	cr_expect_eq(h.arenas->nr_free, 1, "everything coalesced back into one extent");
}

Test(heap, forget_drops_bookkeeping_without_unmapping)
{
	alloc_ok(64, 0);
	alloc_ok(3 * MiB, 0);
	cr_assert_eq(fk.live, 2);
	gm_heap_forget(&h);
	cr_expect_eq(fk.unmaps, 0, "forget must not unmap (the child has no mappings)");
	cr_expect_eq(h.nr_recs, 0);
	cr_expect_eq(h.arenas, NULL);
	cr_expect_eq(h.mapped, 0);
	fk.live = 0;		/* as a forked child sees it */
}
