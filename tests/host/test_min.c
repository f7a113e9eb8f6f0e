// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests for Belady's MIN (bench/min.c): checked against an exhaustive
 * search over every eviction choice on hand-made and random small traces,
 * and against textbook numbers.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "min.h"
#include "workload.h"

/*
 * The optimum by exhaustive search: keys are < 8, so the cache is a bitmask
 * and (position, cache) is the whole state. On a miss with a full cache every
 * resident block is tried as the victim; memoised so longer traces stay fast.
 */
#define BF_MAX_N 64
static int bf_memo[BF_MAX_N + 1][256];

static int bf_count(unsigned int mask)
{
	return __builtin_popcount(mask);
}

static int bf_best(const uint64_t *k, int n, int pos, unsigned int cap, unsigned int mask)
{
	unsigned int bit, v;
	int best = 1 << 30, r;

	if (pos == n)
		return 0;
	if (bf_memo[pos][mask] >= 0)
		return bf_memo[pos][mask];
	bit = 1u << k[pos];
	if (mask & bit) {
		best = bf_best(k, n, pos + 1, cap, mask);
	} else if ((unsigned int)bf_count(mask) < cap) {
		best = 1 + bf_best(k, n, pos + 1, cap, mask | bit);
	} else {
		for (v = 0; v < 8; v++) {
			if (!(mask & (1u << v)))
				continue;
			r = 1 + bf_best(k, n, pos + 1, cap, (mask & ~(1u << v)) | bit);
			if (r < best)
				best = r;
		}
	}
	bf_memo[pos][mask] = best;
	return best;
}

static int brute_force_misses(const uint64_t *k, int n, unsigned int cap)
{
	memset(bf_memo, 0xff, sizeof(bf_memo));
	return bf_best(k, n, 0, cap, 0);
}

static uint64_t run_min(const uint64_t *k, size_t n, uint64_t cap)
{
	struct min_result r;

	cr_assert_eq(min_simulate(k, NULL, n, cap, &r), 0);
	cr_assert_eq(r.accesses, n);
	return r.misses;
}

/* Silberschatz's reference string: OPT 9, LRU 12 faults with 3 frames. */
static const uint64_t textbook[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };
#define NTEXT (sizeof(textbook) / sizeof(textbook[0]))

Test(min, textbook_opt_and_lru)
{
	struct min_result min, lru;

	cr_assert_eq(min_simulate(textbook, NULL, NTEXT, 3, &min), 0);
	cr_assert_eq(lru_simulate(textbook, NULL, NTEXT, 3, &lru), 0);
	cr_expect_eq(min.misses, 9);
	cr_expect_eq(lru.misses, 12);
	cr_expect_eq(min.distinct, 6);
	cr_expect_eq(min.evictions, 9 - 3);
	cr_expect_eq(brute_force_misses(textbook, NTEXT, 3), 9);
}

Test(min, hand_made_against_brute_force)
{
	static const uint64_t cyc[] = { 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3 };
	static const uint64_t mirror[] = { 0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 0, 1, 2, 3, 4 };
	static const uint64_t hot[] = { 0, 5, 0, 6, 0, 7, 0, 5, 0, 6, 0, 7, 1, 0 };
	static const struct { const uint64_t *k; size_t n; } cases[] = {
		{ cyc, sizeof(cyc) / 8 }, { mirror, sizeof(mirror) / 8 },
		{ hot, sizeof(hot) / 8 }, { textbook, NTEXT },
	};
	unsigned int c, cap;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (cap = 1; cap <= 5; cap++)
			cr_expect_eq(run_min(cases[c].k, cases[c].n, cap),
				     (uint64_t)brute_force_misses(cases[c].k, (int)cases[c].n, cap),
				     "case %u capacity %u", c, cap);
	/*
	 * A cyclic scan one block larger than the cache: LRU misses every
	 * access; MIN misses the 4 first touches, then once per 3 accesses.
	 */
	{
		struct min_result lru;

		cr_assert_eq(lru_simulate(cyc, NULL, 12, 3, &lru), 0);
		cr_expect_eq(lru.misses, 12);
		cr_expect_eq(run_min(cyc, 12, 3), 6);
	}
}

Test(min, random_traces_against_brute_force)
{
	uint64_t state = 12345, k[BF_MAX_N];
	int round;

	for (round = 0; round < 400; round++) {
		int n = 1 + (int)(wl_rand_next(&state) % 40);
		unsigned int keys = 2 + (unsigned int)(wl_rand_next(&state) % 6);
		unsigned int cap = 1 + (unsigned int)(wl_rand_next(&state) % 4);
		struct min_result min, lru;
		int i, bf;

		for (i = 0; i < n; i++)
			k[i] = wl_rand_next(&state) % keys;
		bf = brute_force_misses(k, n, cap);
		cr_assert_eq(min_simulate(k, NULL, (size_t)n, cap, &min), 0);
		cr_assert_eq(lru_simulate(k, NULL, (size_t)n, cap, &lru), 0);
		cr_assert_eq(min.misses, (uint64_t)bf, "round %d n %d keys %u cap %u: MIN %llu, optimum %d",
			     round, n, keys, cap, (unsigned long long)min.misses, bf);
		cr_assert_geq(lru.misses, min.misses);
		cr_assert_geq(min.misses, min.distinct);
	}
}

Test(min, large_keys_and_accounting)
{
	/* Real block ids: object in the high half, index in the low half. */
	uint64_t k[6] = { 1ull << 32 | 5, 2ull << 32 | 5, 1ull << 32 | 5, 3ull << 32, 2ull << 32 | 5,
			  1ull << 32 | 5 };
	struct min_result r;

	/* A B A C B A, 2 slots: C evicts A (next use farther than B's), A misses again. */
	cr_assert_eq(min_simulate(k, NULL, 6, 2, &r), 0);
	cr_expect_eq(r.distinct, 3);
	cr_expect_eq(r.misses, 4);
	cr_expect_eq(r.evictions, 2);
	/* Capacity at least the distinct count: only compulsory misses. */
	cr_assert_eq(min_simulate(k, NULL, 6, 3, &r), 0);
	cr_expect_eq(r.misses, 3);
	cr_expect_eq(r.evictions, 0);
}

Test(min, bad_input)
{
	struct min_result r;
	uint64_t k[1] = { 0 };

	r.misses = 77;
	cr_expect_eq(min_simulate(k, NULL, 1, 0, &r), -EINVAL);
	cr_expect_eq(lru_simulate(k, NULL, 1, 0, &r), -EINVAL);
	cr_expect_eq(min_simulate(NULL, NULL, 0, 4, &r), 0);
	cr_expect_eq(r.misses, 0);
	cr_expect_eq(r.accesses, 0);
}

/*
 * Write-backs: a victim costs a write-back only if an access wrote it since
 * it was brought in (min.h). Hand-computed; the old pricing charged every
 * eviction, which each case below tells apart.
 */
Test(min, dirty_evictions_only_for_written_victims)
{
	/* A B A C B A, 2 slots (large_keys_and_accounting): C evicts A, A evicts B or C. */
	static const uint64_t k[6] = { 0, 1, 0, 2, 1, 0 };
	static const uint8_t none[6] = { 0 };
	static const uint8_t first_a[6] = { 1, 0, 0, 0, 0, 0 };
	static const uint8_t hit_a[6] = { 0, 0, 1, 0, 0, 0 };
	static const uint8_t last_a[6] = { 0, 0, 0, 0, 0, 1 };
	static const uint8_t b_and_c[6] = { 0, 1, 0, 1, 1, 0 };
	struct min_result r;

	cr_assert_eq(min_simulate(k, none, 6, 2, &r), 0);
	cr_expect_eq(r.misses, 4);
	cr_expect_eq(r.evictions, 2);
	cr_expect_eq(r.dirty_evictions, 0, "a read-only trace writes nothing back");
	cr_expect_eq(min_moved(&r), 4);
	/* A written on its miss, evicted by C: one write-back. */
	cr_assert_eq(min_simulate(k, first_a, 6, 2, &r), 0);
	cr_expect_eq(r.dirty_evictions, 1);
	cr_expect_eq(min_moved(&r), 5);
	/* A written on a hit: as dirty when C evicts it. */
	cr_assert_eq(min_simulate(k, hit_a, 6, 2, &r), 0);
	cr_expect_eq(r.dirty_evictions, 1);
	/* A written after its reload and never evicted again: nothing out. */
	cr_assert_eq(min_simulate(k, last_a, 6, 2, &r), 0);
	cr_expect_eq(r.dirty_evictions, 0);
	/* B and C both written; exactly one of them is the second victim. */
	cr_assert_eq(min_simulate(k, b_and_c, 6, 2, &r), 0);
	cr_expect_eq(r.evictions, 2);
	cr_expect_eq(r.dirty_evictions, 1);
}

Test(min, reload_cleans_the_block)
{
	/* One slot, A(w) B A B: A out dirty, B out clean, A out clean (reloaded, not rewritten). */
	static const uint64_t k[4] = { 0, 1, 0, 1 };
	static const uint8_t w[4] = { 1, 0, 0, 0 };
	struct min_result min, lru;

	cr_assert_eq(min_simulate(k, w, 4, 1, &min), 0);
	cr_assert_eq(lru_simulate(k, w, 4, 1, &lru), 0);
	cr_expect_eq(min.misses, 4);
	cr_expect_eq(min.evictions, 3);
	cr_expect_eq(min.dirty_evictions, 1);
	cr_expect_eq(lru.evictions, 3);
	cr_expect_eq(lru.dirty_evictions, 1);
}

Test(min, lru_counts_dirty_evictions)
{
	/* 2 slots, A(w) B C A: LRU evicts A (dirty) for C, then B (clean) for A. */
	static const uint64_t k[4] = { 0, 1, 2, 0 };
	static const uint8_t w[4] = { 1, 0, 0, 0 };
	struct min_result lru;

	cr_assert_eq(lru_simulate(k, w, 4, 2, &lru), 0);
	cr_expect_eq(lru.misses, 4);
	cr_expect_eq(lru.evictions, 2);
	cr_expect_eq(lru.dirty_evictions, 1);
}

/*
 * min.h's caveat, pinned: MIN is miss-optimal, not (misses + write-backs)-
 * optimal. 2 slots, A(w) B C B A: MIN evicts dirty A for C (farthest next
 * use), 4 misses + 1 write-back; evicting clean B instead is 4 misses + 0.
 */
Test(min, priced_min_is_not_a_bound_on_the_total)
{
	static const uint64_t k[5] = { 0, 1, 2, 1, 0 };
	static const uint8_t w[5] = { 1, 0, 0, 0, 0 };
	struct min_result r;

	cr_assert_eq(min_simulate(k, w, 5, 2, &r), 0);
	cr_expect_eq(r.misses, 4);
	cr_expect_eq(r.misses, (uint64_t)brute_force_misses(k, 5, 2));
	cr_expect_eq(r.dirty_evictions, 1);
	cr_expect_eq(min_moved(&r), 5);
}

/*
 * Among victims never used again (equally far) MIN takes a clean one: the
 * same misses, fewer write-backs. 2 slots, A(w) B C: both A and B are dead
 * when C comes; B goes, A (dirty) stays to the end and is never written back.
 */
Test(min, dead_clean_victim_before_dead_dirty)
{
	static const uint64_t k[3] = { 0, 1, 2 };
	static const uint8_t a_written[3] = { 1, 0, 0 };
	static const uint8_t b_written[3] = { 0, 1, 0 };
	struct min_result r;

	cr_assert_eq(min_simulate(k, a_written, 3, 2, &r), 0);
	cr_expect_eq(r.evictions, 1);
	cr_expect_eq(r.dirty_evictions, 0);
	cr_assert_eq(min_simulate(k, b_written, 3, 2, &r), 0);
	cr_expect_eq(r.evictions, 1);
	cr_expect_eq(r.dirty_evictions, 0);
}

/* Writes price the schedule, never change it; NULL prices every eviction. */
Test(min, writes_do_not_change_the_schedule)
{
	uint64_t state = 99, k[400];
	uint8_t w[400], zero[400] = { 0 };
	int round, i;

	for (round = 0; round < 50; round++) {
		struct min_result all, some, none;
		uint64_t cap = 1 + wl_rand_next(&state) % 8;

		for (i = 0; i < 400; i++) {
			k[i] = wl_rand_next(&state) % 20;
			w[i] = wl_rand_next(&state) % 4 == 0;
		}
		cr_assert_eq(min_simulate(k, NULL, 400, cap, &all), 0);
		cr_assert_eq(min_simulate(k, w, 400, cap, &some), 0);
		cr_assert_eq(min_simulate(k, zero, 400, cap, &none), 0);
		cr_assert_eq(some.misses, all.misses);
		cr_assert_eq(some.evictions, all.evictions);
		cr_assert_eq(all.dirty_evictions, all.evictions);
		cr_assert_eq(none.dirty_evictions, 0);
		cr_assert_leq(some.dirty_evictions, some.evictions);
		cr_assert_gt(some.dirty_evictions, 0, "round %d", round);
		cr_assert_lt(some.dirty_evictions, some.evictions, "round %d", round);
	}
}

Test(min, long_trace_is_fast_and_bounded)
{
	/* 2M accesses over 5000 blocks: must finish quickly in O(n log n). */
	size_t n = 2u << 20, i;
	uint64_t *k = malloc(n * sizeof(*k)), state = 7;
	struct min_result min, lru;

	cr_assert_not_null(k);
	for (i = 0; i < n; i++)
		k[i] = wl_rand_next(&state) % 5000;
	cr_assert_eq(min_simulate(k, NULL, n, 1000, &min), 0);
	cr_assert_eq(lru_simulate(k, NULL, n, 1000, &lru), 0);
	cr_expect_eq(min.distinct, 5000);
	cr_expect_lt(min.misses, lru.misses);
	/* Uniform over 5000 with 1000 slots: LRU hits about 20%, MIN clearly more. */
	cr_expect_gt(lru.misses, n * 3 / 4);
	free(k);
}
